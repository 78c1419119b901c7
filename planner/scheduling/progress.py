"""Progress of a search: best objective and bound over time, passed on to a callback."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from planner.scheduling.result import ProgressEvent


class Tracker:
    """Keeps the best objective and bound seen so far and reports improvements."""

    def __init__(self, started: float, hook: Callable[[ProgressEvent], None] | None) -> None:
        self.started = started
        self.hook = hook
        self.best = math.inf
        self.bound: float | None = None
        self.events: list[ProgressEvent] = []

    def improved(self, objective: float, bound: float | None, source: str) -> None:
        better_bound = (
            bound is not None
            and not math.isnan(bound)
            and (self.bound is None or bound > self.bound + 1e-9)
        )
        if objective < self.best - 1e-9 or better_bound:
            self.best = min(self.best, objective)
            if better_bound:
                self.bound = bound
            event = ProgressEvent(time.perf_counter() - self.started, self.best, self.bound, source)
            self.events.append(event)
            if self.hook is not None:
                self.hook(event)
