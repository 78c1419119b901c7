"""Shared fixtures: paths to the project's copies of the benchmark instances, tiny builders."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from planner.check import CheckReport, check
from planner.model import Problem, ProblemData, SolverSettings
from planner.scheduling import Result

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "benchmarks" / "instances"


@pytest.fixture
def instances() -> Path:
    return INSTANCES


def machine(id: str, **kw: Any) -> dict[str, Any]:
    return {"id": id, **kw}


def op(id: str, *options: tuple[str, int], **kw: Any) -> dict[str, Any]:
    return {"id": id, "machines": [{"machine": m, "duration": d} for m, d in options], **kw}


def job(id: str, *ops: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"id": id, "operations": list(ops), **kw}


QUICK = SolverSettings(time_limit_s=10, workers=1)
"""Settings for the tiny test problems: they solve to optimality in well under a second."""


def problem(**kw: Any) -> Problem:
    """A problem from plain dicts (as a JSON file would hold it)."""
    return Problem.from_dict(kw)


def replanning(
    data: ProblemData, previous: Iterable[tuple[Any, Any]], stability: float = 20.0
) -> ProblemData:
    """``data`` re-planned against a previous plan (each operation's machine and start there),
    moving an operation priced at ``stability``."""
    return dataclasses.replace(
        data,
        op_previous=tuple((int(m), int(s)) for m, s in previous),
        objective=data.objective.model_copy(update={"stability": stability}),
    )


def assert_checked(result: Result, data: ProblemData) -> CheckReport:
    """The solver's schedule passes the independent checker, and its KPIs agree."""
    assert result.feasible, result.report.summary() if result.report else result.status
    assert result.assignment is not None
    report = check(data, result.assignment)
    assert report.feasible, report.summary()
    assert result.kpis == report.kpis
    # the table form checks the same
    assert result.schedule is not None
    assert check(data, result.schedule).feasible
    return report


def optimum_by_every_strategy(p: Problem) -> float:
    """The objective every strategy reaches on a tiny problem (asserted equal, each plan
    checked), with the dispatching rule's plan checked too and the lower bound never above
    the optimum."""
    from planner.scheduling import solve
    from planner.scheduling.bounds import objective_lower_bound
    from planner.scheduling.construct import dispatch

    data = p.build()
    assert check(data, dispatch(data)).feasible
    values = set()
    for strategy in ("cpsat", "lns", "hybrid"):
        result = solve(p, SolverSettings(time_limit_s=5, workers=1, strategy=strategy))
        assert_checked(result, data)
        assert result.objective is not None
        values.add(result.objective)
    assert len(values) == 1, values
    value = values.pop()
    bound = objective_lower_bound(data)
    assert bound is not None and bound <= value + 1e-9
    return value
