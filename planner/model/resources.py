"""Secondary resources: operators (of one skill), tools and fixtures that operations need next
to their machine, each pool with a capacity that may change over time (fewer operators on the
late shift)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Literal

from pydantic import Field

from planner.model.errors import InputIssue, index_ids
from planner.model.factory import Frozen
from planner.model.time import TimePoint


class CapacityWindow(Frozen):
    """From ``start`` to ``end`` the pool has ``capacity`` units instead of its own (3
    operators on the late shift; 0 when nobody is there)."""

    start: TimePoint
    end: TimePoint
    capacity: int = Field(ge=0)


class ResourcePool(Frozen):
    """A pool of interchangeable units shared by machines: operators with one skill (a pool
    per skill: "welders", "setters"), tools or fixtures.

    Parameters
    ----------
    id
        Unique name, referred to by the operations' needs.
    capacity
        Units available at any minute outside the windows.
    windows
        Periods with another capacity; they may not overlap.
    """

    id: str = Field(min_length=1)
    capacity: int = Field(ge=0)
    windows: tuple[CapacityWindow, ...] = ()


class ResourceNeed(Frozen):
    """What an operation takes from a pool: ``units`` of it for the whole operation, or only
    during the changeover before it (``during="setup"``: a setter)."""

    pool: str = Field(min_length=1)
    units: int = Field(default=1, ge=1)
    during: Literal["operation", "setup"] = "operation"


PoolWindows = tuple[tuple[int, int, int], ...]
"""``(start, end, capacity)`` per window, sorted, in minutes."""


def compile_pools(
    pools: tuple[ResourcePool, ...], minutes: Callable[[TimePoint, str], int | None]
) -> tuple[dict[str, int], tuple[PoolWindows, ...], list[InputIssue]]:
    """The index of each pool id, each pool's windows in minutes, and every problem found
    (``minutes`` converts a time, reporting its own problems, ``None`` when it cannot)."""
    index, issues = index_ids((p.id for p in pools), "resources", "resource pool")
    compiled = []
    for i, pool in enumerate(pools):
        windows = []
        for k, window in enumerate(pool.windows):
            path = f"resources[{i}].windows[{k}]"
            start, end = minutes(window.start, f"{path}.start"), minutes(window.end, f"{path}.end")
            if start is None or end is None:
                continue
            if end <= start:
                issues.append(InputIssue(path, f"end ({end}) must be after start ({start})"))
                continue
            windows.append((start, end, window.capacity))
        windows.sort()
        for (a0, a1, _), (b0, _, _) in itertools.pairwise(windows):
            if b0 < a1:
                issues.append(
                    InputIssue(
                        f"resources[{i}].windows",
                        f"windows overlap ({a0}-{a1} and from {b0}); give each minute one capacity",
                    )
                )
        compiled.append(tuple(windows))
    return index, tuple(compiled), issues


def compile_needs(
    needs: tuple[ResourceNeed, ...],
    path: str,
    pool_index: dict[str, int],
    pools: tuple[ResourcePool, ...],
) -> tuple[tuple[tuple[int, int, bool], ...], list[InputIssue]]:
    """An operation's needs as ``(pool, units, during setup only)``, and every problem."""
    out, issues = [], []
    for k, need in enumerate(needs):
        where = f"{path}[{k}]"
        if need.pool not in pool_index:
            known = ", ".join(sorted(pool_index)) or "none"
            issues.append(
                InputIssue(f"{where}.pool", f"unknown resource pool {need.pool!r}; known: {known}")
            )
            continue
        pool = pools[pool_index[need.pool]]
        most = max([pool.capacity, *(w.capacity for w in pool.windows)])
        if need.units > most:
            issues.append(
                InputIssue(
                    f"{where}.units",
                    f"needs {need.units} of {need.pool!r}, which never has more than {most}",
                )
            )
            continue
        out.append((pool_index[need.pool], need.units, need.during == "setup"))
    return tuple(out), issues
