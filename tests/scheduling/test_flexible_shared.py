"""Flexible tabu search under shared capacity (site power limit, resource pools), with pinned
operations and a previous plan priced by the stability term: every timing the search makes is
one the checker accepts and prices the same, down to brute force on tiny factories."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from planner.check import check
from planner.io.synthetic import synthetic_problem
from planner.model import ProblemData
from planner.schedule import Schedule
from planner.scheduling.construct import best_dispatch
from planner.scheduling.flexible import FlexibleTabuSearch, flexible_applies
from tests.conftest import replanning
from tests.scheduling.test_flexible import brute_force, tiny_factory


def forever() -> float:
    return math.inf


@pytest.mark.parametrize("seed", range(4))
def test_every_timing_is_feasible_and_the_search_finds_the_best_of_them(seed: int) -> None:
    """``brute_force`` times every machine assignment and order of the operations with the
    search's own timing and asserts each better one feasible and priced as the checker does;
    the search reaches the best of them (with shared capacity a timing in priority order is
    not always optimal, so the optimum over its timings is what it can find)."""
    objective = {"makespan": 1.0, "weighted_tardiness": 1.0, "setup_time": 0.5}
    data = tiny_factory(seed, objective, shared=True).build()
    assert data.has_pools and data.peak_power_kw is not None and flexible_applies(data)
    start, _ = best_dispatch(data, budget=0)
    search = FlexibleTabuSearch(data, seed=seed)
    best = brute_force(data, search)
    found = check(data, search.improve(start, forever, max_steps=3000))
    assert found.feasible, found.summary()
    assert found.kpis.objective == pytest.approx(best)


def shared_factory(seed: int) -> ProblemData:
    """A synthetic factory of 60 operations with an operator pool in shifts, a power limit
    and energy priced."""
    raw = synthetic_problem(
        15, 6, 4, seed=seed, operators=True, peak_power_kw=250.0, energy=True, due_dates=True
    )
    return raw.build()


@pytest.mark.parametrize("seed", range(3))
def test_under_shared_capacity_it_prices_each_plan_as_the_checker_does(seed: int) -> None:
    data = shared_factory(seed)
    start, _ = best_dispatch(data, budget=0)
    before = check(data, start)
    assert before.feasible
    search = FlexibleTabuSearch(data, seed=seed, workers=2)
    found = search.improve(start, forever, max_steps=300)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.objective <= before.kpis.objective + 1e-9
    assert search.objective(found) == pytest.approx(report.kpis.objective)


def _replan(seed: int, pinned: int) -> tuple[ProblemData, Schedule]:
    """The shared factory re-planned against its rule's plan, its first ``pinned``
    operations (by start) pinned where that plan has them; and the plan."""
    data = shared_factory(seed)
    plan, _ = best_dispatch(data, budget=0)
    first = sorted(range(data.num_operations), key=lambda o: (int(plan.start[o]), o))[:pinned]
    pins = [None] * data.num_operations
    for o in first:
        pins[o] = (int(plan.machine[o]), int(plan.start[o]))
    replanned = replanning(data, zip(plan.machine, plan.start, strict=True))
    return dataclasses.replace(replanned, op_pinned=tuple(pins)), plan


@pytest.mark.parametrize("seed", range(3))
def test_re_planning_an_unchanged_plan_moves_only_what_pays(seed: int) -> None:
    """The rule's plan re-planned as it is: at 20 a moved operation, the search moves work
    only where the plan gets cheaper by more than the moves cost (the rule's plan is loose);
    priced above the whole plan's objective, it moves nothing."""
    data, plan = _replan(seed, pinned=10)
    assert flexible_applies(data)
    before = check(data, plan).kpis.objective
    found = FlexibleTabuSearch(data, seed=seed).improve(plan, forever, max_steps=300)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.moved_operations == 0 or report.kpis.objective < before - 1e-9
    dear = dataclasses.replace(
        data, objective=data.objective.model_copy(update={"stability": before})
    )
    found = FlexibleTabuSearch(dear, seed=seed).improve(plan, forever, max_steps=300)
    report = check(dear, found)
    assert report.feasible, report.summary()
    assert report.kpis.moved_operations == 0
    assert report.kpis.objective == pytest.approx(before)


@pytest.mark.parametrize("seed", range(3))
def test_pinned_work_stays_and_stability_is_priced_as_the_checker_does(seed: int) -> None:
    """After a machine breaks down for a day, from the rule's plan (which moves work), the
    search keeps every pinned operation where it is and its objective (moved operations
    included) is the checker's."""
    data, plan = _replan(seed, pinned=10)
    broken = int(plan.machine[int(np.argmax(plan.end))])
    down = (int(np.median(plan.start)), int(np.median(plan.start)) + 1440)
    windows = list(data.unavailable)
    windows[broken] = tuple(sorted((*windows[broken], down)))
    pins = [
        None if p is None or (p[0] == broken and plan.end[o] > down[0]) else p
        for o, p in enumerate(data.op_pinned)
    ]
    changed = dataclasses.replace(data, unavailable=tuple(windows), op_pinned=tuple(pins))
    start, _ = best_dispatch(changed, budget=0)
    before = check(changed, start)
    assert before.feasible, before.summary()
    assert before.kpis.moved_operations > 0
    search = FlexibleTabuSearch(changed, seed=seed)
    found = search.improve(start, forever, max_steps=300)
    report = check(changed, found)
    assert report.feasible, report.summary()
    # never worse than the start as the search times it (the solver keeps the better)
    assert report.kpis.objective <= search.objective(start) + 1e-9
    assert search.objective(found) == pytest.approx(report.kpis.objective)
    for o, pin in enumerate(changed.op_pinned):
        if pin is not None:
            assert (found.machine[o], found.start[o]) == pin


def test_under_shared_capacity_it_takes_factories_up_to_its_size_limit() -> None:
    from planner.scheduling.flexible import SHARED_MAX_OPERATIONS

    def factory(jobs: int) -> ProblemData:
        return synthetic_problem(jobs, 8, 5, seed=0, operators=True).build()

    assert factory(SHARED_MAX_OPERATIONS // 5).num_operations == SHARED_MAX_OPERATIONS
    assert flexible_applies(factory(SHARED_MAX_OPERATIONS // 5))
    assert not flexible_applies(factory(SHARED_MAX_OPERATIONS // 5 + 1))  # a pass per move
    plain = synthetic_problem(SHARED_MAX_OPERATIONS // 5 + 1, 8, 5, seed=0).build()
    assert flexible_applies(plain)  # without shared capacity a move re-times what follows it


def test_the_solver_runs_it_under_shared_capacity_and_keeps_a_checked_plan() -> None:
    from planner.model import SolverSettings
    from planner.scheduling import solve
    from tests.conftest import assert_checked

    data = shared_factory(0)
    settings = SolverSettings(
        time_limit_s=60, workers=1, seed=0, strategy="lns", lns_max_iterations=2, tabu_max_steps=200
    )
    result = solve(data, settings)
    assert_checked(result, data)
    assert result.stats["flex_steps"] == 200
    assert result.objective is not None and result.objective <= result.progress[0].objective
