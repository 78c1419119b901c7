"""Earliest feasible placement on a machine calendar and under a site power limit.

Shared by the dispatching rules and the schedule decoder: both place operations one at a time
at the earliest minute where the setup and the operation fit between unavailability windows
and, with a site limit, where the extra power fits under the limit.
"""

from __future__ import annotations

import bisect

from planner.model.data import ProblemData


def earliest_fit(
    windows: tuple[tuple[int, int], ...], window_ends: list[int], t: int, setup: int, duration: int
) -> int:
    """Earliest start ``s >= t`` such that ``[s - setup, s + duration)`` avoids every window."""
    if not windows or setup + duration == 0:
        return t
    k = bisect.bisect_right(window_ends, t - setup)
    while k < len(windows):
        w0, w1 = windows[k]
        if w0 >= t + duration:
            return t
        t = max(t, w1 + setup)
        k += 1
    return t


class PowerProfile:
    """Extra site power (above the idle draw) over time, as a step function.

    ``level[i]`` holds on ``[times[i], times[i+1])``; the last level holds to infinity.
    """

    def __init__(self, capacity: float) -> None:
        self.capacity = capacity
        self.times: list[int] = [0]
        self.level: list[float] = [0.0]

    def _split(self, t: int) -> int:
        i = bisect.bisect_right(self.times, t) - 1
        if self.times[i] != t:
            self.times.insert(i + 1, t)
            self.level.insert(i + 1, self.level[i])
            return i + 1
        return i

    def add(self, start: int, end: int, extra: float) -> None:
        if end <= start or extra == 0:
            return
        i = self._split(start)
        k = self._split(end)
        for x in range(i, k):
            self.level[x] += extra

    def earliest(self, t: int, duration: int, extra: float) -> int:
        """Earliest ``s >= t`` with ``level + extra <= capacity`` over ``[s, s + duration)``."""
        if extra <= 0 or duration <= 0:
            return t
        limit = self.capacity - extra + 1e-9
        i = bisect.bisect_right(self.times, t) - 1
        start = t
        while True:
            end = start + duration
            j = i
            ok = True
            while j < len(self.times) and self.times[j] < end:
                if self.level[j] > limit:
                    ok = False
                    break
                j += 1
            if ok:
                return start
            # jump past the overloaded step
            while j < len(self.times) and self.level[j] > limit:
                j += 1
            if j >= len(self.times):  # pragma: no cover - the last level is always reachable
                return start
            start = max(start, self.times[j])
            i = j


class Placer:
    """Places operations at their earliest feasible start, machine by machine.

    Tracks each machine's last operation (for setups), its calendar and the site power
    profile. Used by the dispatching rules and by the LNS decoder.
    """

    def __init__(self, data: ProblemData) -> None:
        self.data = data
        self.window_ends = [[e for _, e in w] for w in data.unavailable]
        self.free_at = [0] * data.num_machines
        self.last_family = [-1] * data.num_machines
        self.power: PowerProfile | None = None
        self.extra_power = [p - i for p, i in zip(data.power_kw, data.idle_power_kw, strict=True)]
        if data.peak_power_kw is not None:
            self.power = PowerProfile(data.peak_power_kw - sum(data.idle_power_kw))

    def setup_for(self, machine: int, family: int) -> int:
        return self.data.changeover(machine, self.last_family[machine], family)

    def earliest(self, machine: int, family: int, duration: int, ready: int) -> tuple[int, int]:
        """Earliest start on ``machine`` after ``ready``; returns ``(start, setup)``."""
        setup = self.setup_for(machine, family)
        return self.fit(machine, max(ready, self.free_at[machine] + setup), setup, duration), setup

    def fit(self, machine: int, t: int, setup: int, duration: int) -> int:
        """Earliest start ``>= t`` where the setup and the operation avoid the machine's
        unavailable windows and the operation's extra power fits under the site limit."""
        windows = self.data.unavailable[machine]
        ends = self.window_ends[machine]
        while True:
            t = earliest_fit(windows, ends, t, setup, duration)
            if self.power is None:
                return t
            later = self.power.earliest(t, duration, self.extra_power[machine])
            if later == t:
                return t
            t = later

    def place(self, machine: int, family: int, start: int, duration: int) -> None:
        self.free_at[machine] = max(self.free_at[machine], start + duration)
        self.last_family[machine] = family
        if self.power is not None:
            self.power.add(start, start + duration, self.extra_power[machine])
