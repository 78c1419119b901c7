"""Re-timing the rest of a schedule after a neighbourhood was re-solved: the operations after
it keep their machines and order and start as early as everything allows (or no earlier than
before)."""

from __future__ import annotations

from planner.model.data import ProblemData
from planner.schedule import Schedule
from planner.scheduling.cpsat import Placement
from planner.scheduling.timeline import Usage, earliest_fit


def decode(
    data: ProblemData,
    s: Schedule,
    free: list[int],
    after: set[int],
    placement: Placement,
    keep_times: bool = False,
) -> Schedule | None:
    """Apply ``placement`` to the free operations and re-time the operations after them.

    Operations after keep their machine and order and start as early as their routing, their
    machine (with setups), its calendar, the site power limit and the resource pools allow;
    with ``keep_times`` they start no earlier than before. Returns ``None`` when the result
    would break the horizon, a pinned operation or a maximum lag.
    """
    new = s.copy()
    for o, (m, start, end, setup) in placement.assignments.items():
        new.machine[o], new.start[o], new.end[o], new.setup_before[o] = m, start, end, setup
    if not after:
        return new if new.end.max() <= data.horizon else None
    after_list = sorted(after, key=lambda o: (int(s.start[o]), int(s.end[o]), o))
    moving = set(free) | after
    # machine state after the fixed prefix and the free operations
    last_end: dict[int, int] = {}
    last_family: dict[int, int] = {}
    machines = {int(new.machine[o]) for o in after}
    sequences = s.machine_sequences(data.num_machines)
    for m in machines:
        stay = [o for o in sequences[m] if o not in moving]
        if stay:
            last_end[m], last_family[m] = int(s.end[stay[-1]]), data.op_family[stay[-1]]
    for o in sorted(free, key=lambda o: (int(new.start[o]), int(new.end[o]))):
        m = int(new.machine[o])
        if new.end[o] >= last_end.get(m, -1):
            last_end[m], last_family[m] = int(new.end[o]), data.op_family[o]
    usage = Usage(data)  # site power and resource pools
    if usage.active:
        for o in range(data.num_operations):
            if o not in after:
                start, setup = int(new.start[o]), int(new.setup_before[o])
                usage.add(o, int(new.machine[o]), start, setup, int(new.end[o]) - start)
    window_ends = [[e for _, e in w] for w in data.unavailable]
    for o in after_list:
        m = int(new.machine[o])
        family = data.op_family[o]
        duration = int(s.end[o] - s.start[o])
        ready = data.ready_time(o, new.start, new.end, duration)
        setup = data.changeover(m, last_family.get(m, -1), family)
        t = max(ready, last_end.get(m, 0) + setup)
        if keep_times:
            t = max(t, int(s.start[o]))
        while True:
            t = earliest_fit(data.unavailable[m], window_ends[m], t, setup, duration)
            if not usage.active:
                break
            t2 = usage.earliest(o, m, t, setup, duration)
            if t2 == t:
                break
            t = t2
        pinned = data.op_pinned[o]
        if pinned is not None:
            if t > pinned[1]:
                return None
            t = pinned[1]
        if data.has_max_lags and not _within_max_lags(data, o, t, new):
            return None
        new.start[o], new.end[o], new.setup_before[o] = t, t + duration, setup
        last_end[m], last_family[m] = t + duration, family
        usage.add(o, m, t, setup, duration)
    if new.end.max() > data.horizon:
        return None
    return new


def _within_max_lags(data: ProblemData, o: int, start: int, s: Schedule) -> bool:
    """Whether ``o`` starting at ``start`` is within the maximum lag of its predecessors in
    ``s``."""
    for p in data.op_predecessors[o]:
        latest = data.latest_start_after(o, p, int(s.end[p]))
        if latest is not None and start > latest:
            return False
    return True
