"""Checks of a problem's horizon-wide inputs while it compiles: the tariff's prices, the site
power limit, and operations that fit no free window of their machines."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.model.errors import InputIssue
from planner.model.time import as_utc

if TYPE_CHECKING:
    from planner.model.problem import Problem


def _collect(issues: list[InputIssue]) -> Callable[[str, str], None]:
    def fail(path: str, message: str) -> None:
        issues.append(InputIssue(path, message))

    return fail


def compile_tariff(p: Problem, horizon: int) -> tuple[np.ndarray | None, int, list[InputIssue]]:
    """The tariff's hourly prices and the minutes from their start to the horizon start,
    with every problem found at its path."""
    issues: list[InputIssue] = []
    fail = _collect(issues)
    tariff = p.tariff
    if tariff is None:
        if p.objective.energy_cost > 0:
            fail(
                "objective.energy_cost",
                "is positive but the problem has no tariff; add a tariff or set it to 0",
            )
        return None, 0, issues
    if tariff.hourly_prices is None:
        fail(
            "tariff.prices_csv",
            "prices were not loaded; read the problem with planner.io.load_problem or call "
            "planner.io.resolve_tariff(problem) first",
        )
        return None, 0, issues
    start = tariff.start or p.horizon_start
    if start is None:
        fail("tariff.start", "give the tariff's start or the problem's horizon_start")
        return None, 0, issues
    offset = 0
    if p.horizon_start is not None:
        delta = (as_utc(p.horizon_start) - as_utc(start)).total_seconds()
        if delta < 0:
            fail(
                "tariff.start",
                f"prices start at {start}, after the horizon start {p.horizon_start}; "
                "give prices from the horizon start on",
            )
            return None, 0, issues
        offset = int(delta // 60)
    prices = np.asarray(tariff.hourly_prices, dtype=np.float64)
    if not np.isfinite(prices).all():
        fail("tariff.hourly_prices", "contains NaN or infinite prices")
    if p.horizon_minutes is not None and len(prices) * 60 - offset < horizon:
        fail(
            "tariff",
            f"prices cover {len(prices) * 60 - offset} minutes from the horizon start, fewer "
            f"than horizon_minutes={horizon}; give more prices or shorten the horizon",
        )
    if len(prices) * 60 - offset <= 0:
        fail("tariff", "no price falls inside the horizon")
    return prices, offset, issues


def power_issues(p: Problem, ops: list[dict[str, Any]]) -> list[InputIssue]:
    """A site power limit below the idle draw, and operations no eligible machine can run
    under it."""
    issues: list[InputIssue] = []
    fail = _collect(issues)
    limit = p.peak_power_kw
    if limit is None:
        return issues
    idle = sum(m.idle_power_kw for m in p.machines)
    if idle > limit:
        fail(
            "peak_power_kw",
            f"{limit} kW is below the idle draw of all machines ({idle} kW); raise the limit",
        )
        return issues
    machines = p.machines
    jobs_ops = [(j, k) for j, job in enumerate(p.jobs) for k in range(len(job.operations))]
    for (j, k), op in zip(jobs_ops, ops, strict=True):
        extra = [machines[m].power_kw - machines[m].idle_power_kw for m, _ in op["options"]]
        if extra and min(extra) + idle > limit:
            fail(
                f"jobs[{j}].operations[{k}]",
                f"every eligible machine draws more than the site's peak_power_kw ({limit} kW) "
                "allows on top of the idle draw; raise the limit or add a machine",
            )
    return issues


def calendar_issues(
    p: Problem,
    ops: list[dict[str, Any]],
    unavailable: tuple[tuple[tuple[int, int], ...], ...],
    horizon: int,
) -> list[InputIssue]:
    """Operations longer than every free window of their eligible machines."""
    issues: list[InputIssue] = []
    fail = _collect(issues)
    longest = []
    for windows in unavailable:
        gaps, t = [], 0
        for s, e in windows:
            gaps.append(min(s, horizon) - t)
            t = max(t, e)
        gaps.append(horizon - t)
        longest.append(max(gaps))
    jobs_ops = [(j, k) for j, job in enumerate(p.jobs) for k in range(len(job.operations))]
    for (j, k), op in zip(jobs_ops, ops, strict=True):
        if op["options"] and all(d > longest[m] for m, d in op["options"]):
            fail(
                f"jobs[{j}].operations[{k}]",
                "is longer than every free window of its eligible machines within the "
                f"horizon ({horizon} min); split it, shorten the unavailability or extend "
                "the horizon",
            )
    return issues
