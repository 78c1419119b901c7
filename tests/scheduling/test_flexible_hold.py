"""Flexible tabu search re-planning against a previous plan: an operation on its previous
machine is held at its previous start, and the search may release that hold where starting
earlier pays for the moved operation; plans that start work earlier than before (CP-SAT's,
the rules') are timed as they are."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from planner.check import check
from planner.model import ProblemData
from planner.schedule import Schedule
from planner.scheduling.construct import best_dispatch
from planner.scheduling.flexible import FlexibleTabuSearch, flexible_applies
from tests.conftest import job, machine, op, problem, replanning
from tests.scheduling.test_flexible_shared import shared_factory


def forever() -> float:
    return math.inf


def late_behind_a_hold(shared: bool) -> ProblemData:
    """Cut A (10 minutes on M1, or 30 on M2) then weld B (5 on M2), due at minute 15; the
    previous plan had A on M1 at minute 10 and B at 20, so that B is 10 minutes late unless
    both start 10 minutes earlier, which moves both (each priced 3, a minute late 1). With
    ``shared``, under a site power limit (then every candidate is timed by a full pass)."""
    extra: dict[str, Any] = {"peak_power_kw": 100.0} if shared else {}
    data = problem(
        machines=[machine("M1", power_kw=30.0), machine("M2", power_kw=30.0)],
        jobs=[job("J", op("A", ("M1", 10), ("M2", 30)), op("B", ("M2", 5)), due=15)],
        objective={"makespan": 0.0, "weighted_tardiness": 1.0},
        horizon_minutes=100,
        **extra,
    ).build()
    return replanning(data, [(0, 10), (1, 20)], stability=3.0)


@pytest.mark.parametrize("shared", [False, True])
def test_it_releases_held_work_when_starting_earlier_pays(shared: bool) -> None:
    data = late_behind_a_hold(shared)
    assert flexible_applies(data)
    previous = Schedule.from_lists([0, 1], [10, 20], [20, 25])
    assert check(data, previous).kpis.objective == pytest.approx(10.0)
    search = FlexibleTabuSearch(data, seed=0)
    assert search.objective(previous) == pytest.approx(10.0)  # held where it was
    report = check(data, search.improve(previous, forever, max_steps=200))
    assert report.feasible, report.summary()
    assert report.kpis.objective == pytest.approx(6.0)  # both moved, B on time
    assert report.kpis.moved_operations == 2


@pytest.mark.parametrize("shared", [False, True])
def test_it_keeps_the_hold_when_moving_costs_more(shared: bool) -> None:
    data = late_behind_a_hold(shared)
    data = dataclasses.replace(data, objective=data.objective.model_copy(update={"stability": 6.0}))
    previous = Schedule.from_lists([0, 1], [10, 20], [20, 25])
    report = check(data, FlexibleTabuSearch(data, seed=0).improve(previous, forever, max_steps=200))
    assert report.feasible, report.summary()
    assert report.kpis.moved_operations == 0
    assert report.kpis.objective == pytest.approx(10.0)


@pytest.mark.parametrize("seed", range(3))
def test_work_that_starts_earlier_than_before_is_timed_as_it_is(seed: int) -> None:
    """Re-planning against a previous plan that had every operation an hour later than the
    rule's plan: the search times the rule's plan as it would without a previous plan, each
    operation priced as moved (the holds released; kept, every operation would wait an hour),
    and never ends worse than it."""
    fresh = shared_factory(seed)
    plan, _ = best_dispatch(fresh, budget=0)
    data = replanning(fresh, zip(plan.machine, plan.start + 60, strict=True), stability=20.0)
    assert flexible_applies(data)
    search = FlexibleTabuSearch(data, seed=seed)
    unpriced = FlexibleTabuSearch(fresh, seed=seed).objective(plan)
    assert search.objective(plan) == pytest.approx(unpriced + 20.0 * data.num_operations)
    before = check(data, plan)
    assert before.feasible, before.summary()
    report = check(data, search.improve(plan, forever, max_steps=200))
    assert report.feasible, report.summary()
    assert report.kpis.objective <= before.kpis.objective + 1e-9
