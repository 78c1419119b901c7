"""Taking units off the front of a queue of supply (first in, first out), for pegging orders
and linking components to the jobs that consume them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

EPS = 1e-6
"""Units below this are none."""


class Supply(Protocol):
    left: float


S = TypeVar("S", bound=Supply)


def take_in_order(supply: Iterable[S], need: float) -> tuple[list[tuple[S, float]], float]:
    """Take ``need`` units from ``supply`` in its order, each entry's ``left`` shrinking:
    the entries taken from with their units, and what no entry covered."""
    taken: list[tuple[S, float]] = []
    for entry in supply:
        if need <= EPS:
            break
        if entry.left <= EPS:
            continue
        units = min(entry.left, need)
        entry.left -= units
        need -= units
        taken.append((entry, units))
    return taken, max(0.0, need)
