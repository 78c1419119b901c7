"""Large-neighbourhood search on problems with setups, calendars, energy and power limits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from planner.check import check
from planner.io import read_instance
from planner.io.synthetic import synthetic_problem
from planner.model import SolverSettings
from planner.scheduling import solve
from planner.scheduling.construct import best_dispatch
from planner.scheduling.lns import LargeNeighbourhoodSearch
from planner.scheduling.progress import Tracker
from tests.conftest import assert_checked


@pytest.mark.parametrize("seed", [0, 1])
def test_search_never_returns_worse_than_its_start(seed: int) -> None:
    data = synthetic_problem(24, 6, 4, seed=seed, peak_power_kw=250).build()
    start, _ = best_dispatch(data)
    before = check(data, start)
    assert before.feasible, before.summary()
    events = []
    tracker = Tracker(time.perf_counter(), events.append)
    deadline = time.perf_counter() + 6
    search = LargeNeighbourhoodSearch(data, SolverSettings(seed=seed), tracker, deadline)
    result = search.improve(start, lambda: deadline - time.perf_counter())
    after = check(data, result)
    assert after.feasible, after.summary()
    assert after.kpis.objective <= before.kpis.objective + 1e-6
    assert search.iterations > 0
    # every reported improvement is real and the values decrease
    values = [e.objective for e in events]
    assert values == sorted(values, reverse=True)
    if values:
        assert after.kpis.objective == pytest.approx(values[-1])


def test_solve_with_every_feature_is_checked_and_improves_on_dispatch() -> None:
    problem = synthetic_problem(40, 8, 4, seed=5)
    data = problem.build()
    assert data.has_setups and data.has_energy and any(data.unavailable)
    result = solve(problem, time_limit=8, workers=2)
    assert_checked(result, data)
    assert result.progress, "progress events are reported"
    first = result.progress[0].objective
    assert result.objective is not None and result.objective <= first


def test_progress_callback_and_time_limit(instances: Path) -> None:
    problem = read_instance(instances / "jobshop/taillard/ta21.txt", "jsp")
    seen = []
    started = time.perf_counter()
    result = solve(problem, time_limit=4, workers=2, strategy="lns", on_progress=seen.append)
    elapsed = time.perf_counter() - started
    assert_checked(result, problem.build())
    assert seen and seen[0].source.startswith("dispatch")
    assert elapsed < 4 + 1.0  # the budget holds to within a second
    assert result.best_bound is not None and result.best_bound <= result.objective  # type: ignore[operator]


def test_stop_callback_interrupts() -> None:
    problem = synthetic_problem(30, 6, 4, seed=2)
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    result = solve(problem, time_limit=30, strategy="lns", stop=stop)
    assert result.termination.value == "interrupted"
    assert result.runtime_s < 15
    assert result.feasible


def test_search_stops_when_the_schedule_reaches_the_lower_bound() -> None:
    from planner.model import Problem

    # one machine, four single-operation jobs: any gap-free order meets the load bound (10);
    # the maintenance window after the work keeps the tabu search (classical job shops) out
    problem = Problem.from_dict(
        {
            "machines": [{"id": "M", "unavailable": [{"start": 50, "end": 60}]}],
            "jobs": [
                {
                    "id": f"J{k}",
                    "operations": [{"id": "O", "machines": [{"machine": "M", "duration": d}]}],
                }
                for k, d in enumerate((1, 2, 3, 4))
            ],
        }
    )
    result = solve(problem, time_limit=30, strategy="lns")
    assert_checked(result, problem.build())
    assert result.objective == 10
    assert result.termination.value == "optimal"
    assert result.stats["lns_iterations"] == 0


@pytest.mark.parametrize("name", ["family_run", "group_window"])
def test_setup_and_group_neighbourhoods_free_what_they_promise(name: str) -> None:
    import random

    from planner.scheduling.boundary import ScheduleGraph, compute_tails
    from planner.scheduling.neighbourhoods import OPERATORS, SearchView, operators_for

    data = synthetic_problem(30, 9, 4, seed=2, energy=False).build()
    assert name in operators_for(data)
    start, _ = best_dispatch(data)
    tails, _ = compute_tails(data, start, ScheduleGraph(data, start))
    view = SearchView(data, start, tails)
    rng = random.Random(0)
    for _ in range(20):
        seeds = OPERATORS[name](data, start, view, 16, rng)
        assert 0 < len(seeds) <= 16 and len(set(seeds)) == len(seeds)
        machines = {int(start.machine[o]) for o in seeds}
        # one group of interchangeable machines: every freed operation may run on each
        group = {m for m, _ in data.op_options[seeds[0]]}
        assert machines <= group
        if name == "family_run":
            assert start.setup_before[seeds[0]] > 0  # it starts from a changeover
            # with another operation of its family on the group among the freed ones' starts,
            # the run takes some of them along
            families = [data.op_family[o] for o in seeds]
            starts = [int(start.start[o]) for o in seeds]
            kin = [
                q
                for q in range(data.num_operations)
                if q != seeds[0]
                and int(start.machine[q]) in group
                and data.op_family[q] == families[0]
                and min(starts) <= start.start[q] <= max(starts)
            ]
            assert families.count(families[0]) >= 2 or not kin
