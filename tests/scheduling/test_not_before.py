"""An operation's own earliest start (``not_before``; rescheduling sets it to now for work not
started): a tiny model per strategy, with its known optimum, and the checker's verdict."""

from __future__ import annotations

import pytest

from planner.check import check
from planner.scheduling import solve
from tests.conftest import QUICK, assert_checked, job, machine, op, problem


def _tiny() -> object:
    # A then B on M; B may not start before 40 although A ends at 10: makespan 50
    return problem(
        machines=[machine("M")],
        jobs=[job("J", op("a", ("M", 10)), op("b", ("M", 10), not_before=40))],
    ).build()


@pytest.mark.parametrize("strategy", ["cpsat", "lns"])
def test_an_operation_waits_for_its_own_earliest_start(strategy: str) -> None:
    data = _tiny()
    result = solve(data, QUICK.with_overrides(strategy=strategy, lns_max_iterations=5))
    assert_checked(result, data)
    assert result.objective == 50
    assert data.op_release == (0, 40)  # type: ignore[attr-defined]


def test_the_checker_catches_an_operation_before_its_earliest_start() -> None:
    data = _tiny()
    result = solve(data, QUICK.with_overrides(strategy="cpsat"))
    s = result.assignment
    assert s is not None
    early = s.copy()
    early.start[1], early.end[1] = 10, 20
    report = check(data, early)  # type: ignore[arg-type]
    assert [v.kind for v in report.violations] == ["release"]
