"""A seed repeats a run: with one worker and bounded searches, the same schedule twice, for
the neighbourhood search, the tabu searches and the whole plan (issue 17's reproducibility)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import planner
from planner.io.synthetic import synthetic_problem
from planner.model import SolverSettings
from planner.scheduling import solve

SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"


def test_the_neighbourhood_search_repeats_and_says_the_iteration_cap_stopped_it() -> None:
    # energy and a power limit: only the neighbourhood search applies
    data = synthetic_problem(12, 4, 4, seed=3, peak_power_kw=250).build()
    settings = SolverSettings(
        time_limit_s=120, workers=1, seed=3, strategy="lns", lns_max_iterations=8
    )
    runs = [solve(data, settings) for _ in range(2)]
    a, b = (r.assignment for r in runs)
    assert a is not None and b is not None
    assert runs[0].objective == runs[1].objective
    assert np.array_equal(a.start, b.start) and np.array_equal(a.machine, b.machine)
    assert all(r.termination.value == "iteration_limit" for r in runs)
    assert runs[0].stats["lns_iterations"] == 8


def test_the_flexible_tabu_search_repeats_within_a_solve() -> None:
    data = synthetic_problem(15, 6, 5, seed=2, energy=False, due_dates=True).build()
    settings = SolverSettings(
        time_limit_s=120,
        workers=1,
        seed=5,
        strategy="lns",
        lns_max_iterations=3,
        tabu_max_steps=300,
    )
    runs = [solve(data, settings) for _ in range(2)]
    a, b = (r.assignment for r in runs)
    assert a is not None and b is not None
    assert runs[0].stats["flex_steps"] == runs[1].stats["flex_steps"]
    assert np.array_equal(a.start, b.start) and np.array_equal(a.machine, b.machine)


def test_the_whole_plan_repeats() -> None:
    raw = planner.load_scenario(SMALL).raw()
    raw["solver"].update(
        workers=1, seed=11, strategy="lns", lns_max_iterations=4, tabu_max_steps=200
    )
    raw["solver"]["time_limit_s"] = 120
    loaded = planner.load_scenario(raw, base_dir=SMALL.parent)
    runs = [planner.plan(loaded) for _ in range(2)]
    columns = ["job", "operation", "machine", "start", "end"]
    first, second = (r.schedule[columns].reset_index(drop=True) for r in runs)
    assert first.equals(second)
    assert runs[0].lots.equals(runs[1].lots)
    assert runs[0].kpis["objective"] == runs[1].kpis["objective"]
