"""A seed and a worker count in, the same plan out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from planner.io import read_instance
from planner.model import SolverSettings
from planner.scheduling import solve


def test_full_model_same_seed_one_worker_same_schedule(instances: Path) -> None:
    problem = read_instance(instances / "jobshop/lawrence/la02.txt", "jsp")
    runs = [solve(problem, time_limit=30, workers=1, seed=7, strategy="cpsat") for _ in range(2)]
    assert runs[0].status == "optimal"
    a, b = (r.assignment for r in runs)
    assert a is not None and b is not None
    assert np.array_equal(a.start, b.start) and np.array_equal(a.machine, b.machine)


def test_lns_with_iteration_limit_is_reproducible(instances: Path) -> None:
    base = read_instance(instances / "jobshop/lawrence/la16.txt", "jsp")
    settings = SolverSettings(
        time_limit_s=120,
        workers=2,
        seed=3,
        strategy="lns",
        lns_max_iterations=12,
        tabu_max_steps=400,
    )
    runs = [solve(base, settings) for _ in range(2)]
    a, b = (r.assignment for r in runs)
    assert a is not None and b is not None
    assert runs[0].stats["lns_iterations"] == 12
    assert runs[0].stats["tabu_steps"] == 400
    assert np.array_equal(a.start, b.start)
    assert runs[0].objective == runs[1].objective
