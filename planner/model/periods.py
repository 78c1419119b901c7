"""Planning periods: the buckets lot sizing plans in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlanningPeriod:
    """A period of the plan, ``[start, end)`` in minutes from the horizon start."""

    id: str
    start: int
    end: int
