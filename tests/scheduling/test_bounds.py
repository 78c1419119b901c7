"""The makespan bound on machine sets whose machines are not equally fast."""

from __future__ import annotations

import pytest

from planner.io.synthetic import synthetic_problem
from planner.scheduling import solve
from planner.scheduling.bounds import makespan_lower_bound
from tests.conftest import assert_checked, job, machine, op, problem


def test_a_slower_machine_does_less_work_a_minute() -> None:
    # three operations of 10 minutes on A or 20 on B: A does two, B one, all end at 20;
    # counting B as fast as A would give 15
    data = problem(
        machines=[machine("A"), machine("B")],
        jobs=[job(f"J{k}", op("O", ("A", 10), ("B", 20))) for k in range(3)],
    ).build()
    assert makespan_lower_bound(data) == 20
    result = solve(data, time_limit=5, workers=1)
    assert_checked(result, data)
    assert result.objective == 20
    assert result.status == "optimal"


def test_a_changeover_costs_the_slowest_machine_s_share() -> None:
    # three families on A (10 min) or B (20 min), a changeover of 6: the two machines may
    # start with two of them, the third needs a changeover, worth at least 6 * 0.5 of A's
    # work (B's rate): (60 + 3) / 1.5 = 42
    data = problem(
        machines=[machine("A"), machine("B")],
        jobs=[
            job(f"J{k}", op("O", ("A", 10), ("B", 20), setup_family="abc"[k % 3])) for k in range(6)
        ],
        setups=[{"from_family": "*", "to_family": "*", "minutes": 6}],
    ).build()
    bound = makespan_lower_bound(data)
    assert bound == 42
    result = solve(data, time_limit=5, workers=1)
    assert_checked(result, data)
    assert result.status == "optimal"
    assert bound <= result.objective


@pytest.mark.parametrize("seed", range(6))
def test_never_above_the_proved_optimum_of_a_small_factory(seed: int) -> None:
    """Eight jobs on one group of three machines at different speeds, with changeovers and
    two shifts a day (``planner.io.synthetic``)."""
    raw = synthetic_problem(8, 3, 2, seed=seed, energy=False, due_dates=False)
    weights = raw.objective.model_copy(
        update={"makespan": 1.0, "weighted_tardiness": 0.0, "setup_time": 0.0}
    )
    data = raw.model_copy(update={"objective": weights}).build()
    assert data.has_setups and data.has_calendars
    result = solve(data, time_limit=20, workers=2, strategy="cpsat")
    assert_checked(result, data)
    assert result.objective is not None
    assert makespan_lower_bound(data) <= result.objective
