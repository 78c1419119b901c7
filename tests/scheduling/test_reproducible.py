"""A seed and a worker count in, the same plan out: the full model, the neighbourhood search,
the tabu searches, lot sizing and a whole plan, each run twice and compared (the README's
reproducibility paragraph)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import planner
from planner.io import read_instance
from planner.io.synthetic import synthetic_problem
from planner.model import ProblemData, SolverSettings
from planner.scheduling import Result, solve

SMALL = Path(__file__).parents[1] / "data" / "small" / "scenario.yaml"


def _twice(data: ProblemData, settings: SolverSettings) -> tuple[Result, Result]:
    """Two runs, with the same schedule (asserted)."""
    first, second = (solve(data, settings) for _ in range(2))
    a, b = first.assignment, second.assignment
    assert a is not None and b is not None
    assert np.array_equal(a.start, b.start) and np.array_equal(a.machine, b.machine)
    assert first.objective == second.objective
    return first, second


def test_full_model_same_seed_one_worker_same_schedule(instances: Path) -> None:
    problem = read_instance(instances / "jobshop/lawrence/la02.txt", "jsp")
    runs = [solve(problem, time_limit=30, workers=1, seed=7, strategy="cpsat") for _ in range(2)]
    assert runs[0].status == "optimal"
    a, b = (r.assignment for r in runs)
    assert a is not None and b is not None
    assert np.array_equal(a.start, b.start) and np.array_equal(a.machine, b.machine)


def _step_bounded(workers: int, steps: int, iterations: int = 3, seed: int = 5) -> SolverSettings:
    """Neighbourhood search and tabu searches bounded by counts, not by the clock."""
    return SolverSettings(
        time_limit_s=120,
        workers=workers,
        seed=seed,
        strategy="lns",
        lns_max_iterations=iterations,
        tabu_max_steps=steps,
    )


def test_lns_with_iteration_limit_is_reproducible(instances: Path) -> None:
    base = read_instance(instances / "jobshop/lawrence/la16.txt", "jsp")
    first, _ = _twice(base.build(), _step_bounded(2, steps=400, iterations=12, seed=3))
    assert first.stats["lns_iterations"] == 12
    assert first.stats["tabu_steps"] == 400


def test_the_neighbourhood_search_repeats_and_says_the_iteration_cap_stopped_it() -> None:
    # energy and a power limit; the flexible tabu search bounded by steps too
    data = synthetic_problem(12, 4, 4, seed=3, peak_power_kw=250).build()
    runs = _twice(data, _step_bounded(1, steps=300, iterations=8, seed=3))
    assert all(r.termination.value == "iteration_limit" for r in runs)
    assert runs[0].stats["lns_iterations"] == 8


@pytest.mark.parametrize("workers", [1, 2])
def test_the_flexible_tabu_search_repeats_within_a_solve(workers: int) -> None:
    data = synthetic_problem(15, 6, 5, seed=2, energy=False, due_dates=True).build()
    first, second = _twice(data, _step_bounded(workers, steps=300))
    assert first.stats["flex_steps"] == second.stats["flex_steps"]


@pytest.mark.parametrize("workers", [1, 2])
def test_the_rerouting_tabu_search_repeats_within_a_solve(instances: Path, workers: int) -> None:
    data = read_instance(instances / "fjsp/brandimarte/mk06.txt", "fjs").build()
    first, second = _twice(data, _step_bounded(workers, steps=2000))
    assert first.stats["reroute_steps"] == second.stats["reroute_steps"] > 0


def test_lot_sizing_repeats_when_it_stops_at_its_gap() -> None:
    from planner.lotsizing import solve_lots
    from tests.lotsizing.test_solve import problem, random_demand, random_products

    rng = np.random.default_rng(4)
    lots = problem(
        random_products(rng, 6, max_setup_cost=300),
        8,
        900.0,
        random_demand(rng, 6, 8, 120),
        shortage="backlog",
    )
    plans = [solve_lots(lots, time_limit=60, mip_gap=1e-3) for _ in range(2)]
    assert all(p.termination.value == "optimal" for p in plans)  # stopped at its gap
    assert plans[0].lots is not None and plans[1].lots is not None
    assert plans[0].lots.equals(plans[1].lots)
    assert plans[0].objective == plans[1].objective


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
    assert runs[0].kpis.objective == runs[1].kpis.objective
