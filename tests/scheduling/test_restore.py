"""Putting moved operations back (:mod:`planner.scheduling.restore`): one tiny re-plan per
case, each result checked by the independent checker."""

from __future__ import annotations

import math
from typing import Any

import pytest

from planner.check import check
from planner.schedule import Schedule
from planner.scheduling.restore import restore_moved
from tests.conftest import job, machine, op, problem


def _gap(stability: float) -> Any:
    """Two 10-minute jobs on one machine; the previous plan ran B at 30, leaving a gap."""
    return problem(
        machines=[machine("M")],
        jobs=[
            job("A", op("a", ("M", 10), previous={"machine": "M", "start": 0})),
            job("B", op("b", ("M", 10), previous={"machine": "M", "start": 30})),
        ],
        objective={"makespan": 1, "stability": stability},
    ).build()


def _restore(data: Any, schedule: Schedule) -> tuple[Schedule, float, int]:
    report = check(data, schedule)
    assert report.feasible
    restored, checked, count = restore_moved(data, schedule, report, lambda: math.inf)
    assert checked.feasible and check(data, restored).feasible
    return restored, checked.kpis.objective, count


@pytest.mark.parametrize(("stability", "back"), [(100, True), (5, False)])
def test_a_moved_operation_goes_back_where_that_costs_nothing(stability: float, back: bool) -> None:
    data = _gap(stability)
    moved = Schedule.from_lists([0, 0], [0, 10], [10, 20])  # B pulled forward: makespan 20
    restored, objective, count = _restore(data, moved)
    # back at 30: makespan 40 and nothing moved; forward: makespan 20 plus one move
    assert objective == pytest.approx(min(40, 20 + stability))
    assert count == int(back)
    assert int(restored.start[1]) == (30 if back else 10)


def test_an_occupied_previous_slot_is_left_alone() -> None:
    data = problem(
        machines=[machine("M")],
        jobs=[
            job("A", op("a", ("M", 10), previous={"machine": "M", "start": 0})),
            job("B", op("b", ("M", 10), previous={"machine": "M", "start": 30})),
            job("C", op("c", ("M", 10))),  # new work, where B was
        ],
        objective={"makespan": 1, "stability": 100},
    ).build()
    schedule = Schedule.from_lists([0, 0, 0], [0, 40, 30], [10, 50, 40])
    restored, objective, count = _restore(data, schedule)
    assert count == 0
    assert objective == pytest.approx(50 + 100)
    assert restored.start.tolist() == [0, 40, 30]


def test_a_swapped_pair_stays_swapped() -> None:
    """Single operations only: two that traded places cannot go back one at a time."""
    data = problem(
        machines=[machine("M")],
        jobs=[
            job("A", op("a", ("M", 10), previous={"machine": "M", "start": 0})),
            job("B", op("b", ("M", 10), previous={"machine": "M", "start": 10})),
        ],
        objective={"makespan": 1, "stability": 100},
    ).build()
    swapped = Schedule.from_lists([0, 0], [10, 0], [20, 10])
    restored, objective, count = _restore(data, swapped)
    assert count == 0
    assert objective == pytest.approx(20 + 200)
    assert restored.start.tolist() == [10, 0]


def test_an_operation_goes_back_to_its_previous_machine_with_its_changeover() -> None:
    data = problem(
        machines=[machine("M1"), machine("M2")],
        jobs=[
            job("A", op("a", ("M1", 10), ("M2", 10), setup_family="x")),
            job(
                "B",
                op(
                    "b",
                    ("M1", 10),
                    ("M2", 10),
                    setup_family="y",
                    previous={"machine": "M1", "start": 20},
                ),
            ),
        ],
        setups=[{"from_family": "x", "to_family": "y", "minutes": 5, "machines": ["M1"]}],
        objective={"makespan": 1, "stability": 50},
    ).build()
    away = Schedule.from_lists([0, 1], [0, 0], [10, 10])  # B on M2 beside A: makespan 10
    restored, objective, count = _restore(data, away)
    assert count == 1  # makespan 30 with B back against 10 + 50
    assert (int(restored.machine[1]), int(restored.start[1])) == (0, 20)
    assert int(restored.setup_before[1]) == 5
    assert objective < check(data, away).kpis.objective


def test_it_stops_when_the_time_is_up() -> None:
    data = _gap(100)
    moved = Schedule.from_lists([0, 0], [0, 10], [10, 20])
    report = check(data, moved)
    restored, _, count = restore_moved(data, moved, report, lambda: 0.0)
    assert count == 0 and restored is moved


def test_a_re_plan_reports_what_it_put_back() -> None:
    from planner.scheduling import solve
    from tests.conftest import QUICK, assert_checked

    data = _gap(100)
    result = solve(data, QUICK.with_overrides(strategy="cpsat"))
    assert_checked(result, data)
    assert result.objective == pytest.approx(40)  # B stays at 30
    assert result.stats["restored"] == 0  # the full model left nothing to put back
