"""Known optima of standard instances, proved, and every schedule through the checker."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.io import read_instance
from planner.scheduling import solve
from tests.conftest import assert_checked


@pytest.mark.parametrize(
    ("path", "fmt", "optimum"),
    [
        ("jobshop/fisher-thompson/ft06.txt", "jsp", 55),
        ("jobshop/lawrence/la01.txt", "jsp", 666),
        ("fjsp/brandimarte/mk01.txt", "fjs", 40),
    ],
)
def test_known_optimum_is_proved(instances: Path, path: str, fmt: str, optimum: int) -> None:
    problem = read_instance(instances / path, fmt)
    result = solve(problem, time_limit=60, workers=2)
    assert_checked(result, problem.build())
    assert result.objective == optimum
    assert result.best_bound == optimum
    assert result.status == "optimal"


def test_lns_on_a_larger_instance_stays_above_the_best_known_bound(instances: Path) -> None:
    problem = read_instance(instances / "jobshop/lawrence/la21.txt", "jsp")  # 15x10, optimum 1046
    result = solve(problem, time_limit=5, workers=2, strategy="lns")
    assert_checked(result, problem.build())
    assert result.objective is not None and result.objective >= 1046
    assert result.best_bound is not None and result.best_bound <= 1046
