"""Repairing a previous plan (the warm start of a re-plan): what still fits stays exactly
where it was, displaced work goes into a gap that holds it (changeovers in and out included),
and only what fits nowhere is appended. Every repaired schedule passes the checker."""

from __future__ import annotations

from planner.check import check
from planner.scheduling.repair import dispatch_in_order
from tests.conftest import job, machine, op, problem


def _line(gap_end: int, setup: int = 5) -> object:
    # A (family X) and B (X) on M, C (Y) displaced; changeovers between X and Y
    return problem(
        machines=[machine("M")],
        jobs=[
            job("A", op("a", ("M", 10), setup_family="X")),
            job("B", op("b", ("M", 10), setup_family="X")),
            job("C", op("c", ("M", 10), setup_family="Y")),
        ],
        setups=[{"from_family": "*", "to_family": "*", "minutes": setup}],
        horizon_minutes=500,
    ).build()


def test_displaced_work_goes_into_a_gap_that_holds_it() -> None:
    data = _line(50)
    # previous plan: A at 0, B at 50, C at 5 (where it no longer fits: A runs until 10)
    s = dispatch_in_order(data, [0, 2, 1], [0, 0, 0], [0, 50, 5])
    assert check(data, s).feasible  # type: ignore[arg-type]
    assert (int(s.start[0]), int(s.start[1])) == (0, 50)  # A and B stay where they were
    assert int(s.start[2]) == 15  # C after A's end and its changeover, before B
    assert int(s.setup_before[1]) == 5  # B now needs the changeover from C's family


def test_work_that_fits_no_gap_is_appended() -> None:
    data = _line(50)
    # B at 25: the gap [10, 25) cannot hold C with both changeovers (5 + 10 + 5 = 20 > 15)
    s = dispatch_in_order(data, [0, 2, 1], [0, 0, 0], [0, 25, 5])
    assert check(data, s).feasible  # type: ignore[arg-type]
    assert (int(s.start[0]), int(s.start[1])) == (0, 25)
    assert int(s.start[2]) == 40  # after B (ends 35) and the changeover


def test_without_keeping_in_place_displaced_work_pushes_what_follows() -> None:
    data = _line(50)
    # same previous plan as above; keeping the order, C goes first and pushes B by 5 minutes
    s = dispatch_in_order(data, [0, 2, 1], [0, 0, 0], [0, 25, 5], keep_in_place=False)
    assert check(data, s).feasible  # type: ignore[arg-type]
    assert [int(t) for t in s.start] == [0, 30, 15]


def test_a_held_back_step_lets_the_work_its_successor_waits_for_go_first() -> None:
    # "b" must start within 10 min of "a" and needs the feed job F (11 min) done; F's
    # material now arrives at 45, so F lands after "a" and "b" after F: 15 min after "a".
    # Holding "a" back to end just before "b" pushed F (queued behind "a") by as much, one
    # minute a round, until the rounds ran out (a Hypothesis counterexample); now the held
    # "a" goes where it is held, F into the gap before it, and the lag holds.
    data = problem(
        machines=[machine("M")],
        jobs=[
            job("F", op("f", ("M", 11)), release=45),
            job(
                "J",
                op("a", ("M", 1)),
                op(
                    "b",
                    ("M", 1),
                    max_lag_minutes=10,
                    components=[{"job": "F", "quantity": 1}],
                ),
            ),
        ],
        horizon_minutes=500,
    ).build()
    f, a, b = (data.op_ids.index(name) for name in ("f", "a", "b"))
    hints = [0] * 3
    starts: list[int | None] = [0] * 3
    starts[f], starts[a], starts[b] = 0, 40, 50
    s = dispatch_in_order(data, [a, f, b], hints, starts)
    report = check(data, s)
    assert report.feasible, report.summary()
    assert s.start[f] == 45 and s.end[f] <= s.start[a]
    assert s.start[b] - s.end[a] <= 10
