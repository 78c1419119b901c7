"""Dispatching rules give feasible schedules on every shared instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.check import check
from planner.io import read_instance
from planner.io.synthetic import synthetic_problem
from planner.scheduling.construct import RULES, dispatch

ROOT = Path(__file__).resolve().parents[2] / "benchmarks" / "instances"
SMALL = sorted(p for p in ROOT.rglob("*.txt") if "large" not in p.parts)
LARGE = sorted((ROOT / "jobshop" / "large").glob("*.txt"))


def _fmt(path: Path) -> str:
    return "fjs" if "fjsp" in path.parts else "jsp"


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.stem)
def test_dispatch_is_feasible_on_every_instance(path: Path) -> None:
    data = read_instance(path, _fmt(path)).build()
    schedule = dispatch(data)
    report = check(data, schedule)
    assert report.feasible, report.summary()


@pytest.mark.slow
@pytest.mark.parametrize("path", LARGE, ids=lambda p: p.stem)
def test_dispatch_is_feasible_on_the_large_instances(path: Path) -> None:
    data = read_instance(path, "jsp").build()
    schedule = dispatch(data)
    report = check(data, schedule)
    assert report.feasible, report.summary()


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_handles_setups_calendars_power(rule: str) -> None:
    data = synthetic_problem(30, 6, 4, seed=3, peak_power_kw=200).build()
    for window in (0.0, 0.5):
        for active in (False, True):
            report = check(data, dispatch(data, rule, window=window, active=active))
            assert report.feasible, report.summary()


def test_calendar_aware_load_bound() -> None:
    from planner.model import Problem
    from planner.scheduling.bounds import makespan_lower_bound

    # two machines share 300 minutes of work; one is off 0-100: by T they offer 2T - 100
    problem = Problem.from_dict(
        {
            "machines": [{"id": "A", "unavailable": [{"start": 0, "end": 100}]}, {"id": "B"}],
            "jobs": [
                {
                    "id": f"J{k}",
                    "operations": [
                        {
                            "id": "o",
                            "machines": [
                                {"machine": "A", "duration": 100},
                                {"machine": "B", "duration": 100},
                            ],
                        }
                    ],
                }
                for k in range(3)
            ],
        }
    )
    assert makespan_lower_bound(problem.build()) == 200
