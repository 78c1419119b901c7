"""Earliest feasible placement on a machine calendar, under a site power limit and within
the capacities of resource pools.

Shared by the dispatching rules, the repair and the schedule decoder: they place operations
one at a time at the earliest minute where the setup and the operation fit between
unavailability windows and where what the operation draws (extra power, pool units) fits.
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


class LoadProfile:
    """A load over time (extra site power above the idle draw, or units of a resource pool)
    under a capacity, as a step function.

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


class Usage:
    """What operations placed so far draw from shared capacity: the site's power above the
    idle draw (under its limit) and the units of each resource pool (under its capacity, less
    what its capacity windows take away)."""

    def __init__(self, data: ProblemData) -> None:
        self.data = data
        self.extra_power = data.extra_power_kw
        self.power: LoadProfile | None = None
        if data.power_headroom_kw is not None:
            self.power = LoadProfile(data.power_headroom_kw)
        self.pools: list[LoadProfile] = []
        for pool in range(len(data.pool_ids)):
            peak, missing = data.pool_capacity_steps(pool)
            profile = LoadProfile(peak)
            for start, end, units in missing:
                profile.add(start, end, units)
            self.pools.append(profile)

    def needs(self, o: int) -> tuple[tuple[int, int, bool], ...]:
        return self.data.op_needs[o] if self.data.op_needs else ()

    def earliest(self, o: int, machine: int, t: int, setup: int, duration: int) -> int:
        """Earliest start ``>= t`` where ``o`` fits: its extra power during processing, its
        pool units during processing (or during the setup before it)."""
        while True:
            before = t
            if self.power is not None:
                t = self.power.earliest(t, duration, self.extra_power[machine])
            for pool, units, setup_only in self.needs(o):
                if not setup_only:
                    t = self.pools[pool].earliest(t, duration, units)
                elif setup > 0:
                    t = self.pools[pool].earliest(t - setup, setup, units) + setup
            if t == before:
                return t

    def add(
        self, o: int, machine: int, start: int, setup: int, duration: int, sign: int = 1
    ) -> None:
        """Take (``sign=-1``: give back) what ``o`` draws when it starts at ``start``."""
        if self.power is not None:
            self.power.add(start, start + duration, sign * self.extra_power[machine])
        for pool, lo, hi, units in self.data.holds(o, start, start + duration, setup):
            self.pools[pool].add(lo, hi, sign * units)

    @property
    def active(self) -> bool:
        return self.power is not None or bool(self.data.op_needs)


class Placer:
    """Places operations at their earliest feasible start, machine by machine.

    Tracks each machine's last operation (for setups), its calendar and what operations draw
    from the site power and the resource pools. Used by the dispatching rules and the repair.
    """

    def __init__(self, data: ProblemData) -> None:
        self.data = data
        self.window_ends = [[e for _, e in w] for w in data.unavailable]
        self.free_at = [0] * data.num_machines
        self.last_family = [-1] * data.num_machines
        self.usage = Usage(data)

    def setup_for(self, machine: int, family: int) -> int:
        return self.data.changeover(machine, self.last_family[machine], family)

    def earliest(self, o: int, machine: int, ready: int) -> tuple[int, int]:
        """Earliest start of ``o`` on ``machine`` after ``ready``, appended to what the machine
        has; returns ``(start, setup)``."""
        setup = self.setup_for(machine, self.data.op_family[o])
        return self.fit(o, machine, max(ready, self.free_at[machine] + setup), setup), setup

    def fit(self, o: int, machine: int, t: int, setup: int) -> int:
        """Earliest start ``>= t`` where the setup and ``o`` avoid the machine's unavailable
        windows and ``o`` fits under the site power limit and its pools' capacities."""
        windows = self.data.unavailable[machine]
        ends = self.window_ends[machine]
        duration = self.data.durations[o][machine]
        while True:
            t = earliest_fit(windows, ends, t, setup, duration)
            if not self.usage.active:
                return t
            later = self.usage.earliest(o, machine, t, setup, duration)
            if later == t:
                return t
            t = later

    def place(self, o: int, machine: int, start: int, setup: int) -> None:
        duration = self.data.durations[o][machine]
        self.free_at[machine] = max(self.free_at[machine], start + duration)
        self.last_family[machine] = self.data.op_family[o]
        self.usage.add(o, machine, start, setup, duration)
