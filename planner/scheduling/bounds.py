"""Simple lower bounds, for when the search has no proof of its own (neighbourhood search)."""

from __future__ import annotations

from planner.model.data import ProblemData
from planner.scheduling.timeline import earliest_fit


def makespan_lower_bound(data: ProblemData) -> int:
    """A valid lower bound on the makespan, ignoring setups: the longest routing path (each
    operation alone in the plant, on its best machine and within that machine's calendar), and
    the time each set of interchangeable machines needs for the work only it can do, given
    its calendars."""
    shortest = [min(d for _, d in options) for options in data.op_options]
    window_ends = [[e for _, e in w] for w in data.unavailable]
    earliest_end = [0] * data.num_operations
    for o in data.topological_order:
        ready = max(
            [data.job_release[data.op_job[o]], *(earliest_end[p] for p in data.op_predecessors[o])]
        )
        # alone in the plant: the best eligible machine's calendar still applies
        earliest_end[o] = min(
            earliest_fit(data.unavailable[m], window_ends[m], ready, 0, d) + d
            for m, d in data.op_options[o]
        )
    path = max(earliest_end, default=0)
    # operations whose eligible machines form the same set load that set together
    load: dict[tuple[int, ...], int] = {}
    for o, options in enumerate(data.op_options):
        key = tuple(sorted(m for m, _ in options))
        load[key] = load.get(key, 0) + shortest[o]
    best_load = 0
    for key in load:
        # every operation whose machines all lie in this set must run on it
        members = set(key)
        total = sum(v for k, v in load.items() if members.issuperset(k))
        best_load = max(best_load, _time_to_deliver(data, key, total))
    return max(path, best_load)


def _time_to_deliver(data: ProblemData, machines: tuple[int, ...], work: int) -> int:
    """Earliest ``T`` by which ``machines`` together offer ``work`` minutes of available time
    (their calendars' unavailability removed)."""
    if work <= 0:
        return 0
    # available minutes of the set grow piecewise linearly; walk the breakpoints
    events: list[tuple[int, int]] = []
    for m in machines:
        for a, b in data.unavailable[m]:
            events.append((a, -1))
            events.append((b, +1))
    events.sort()
    rate, t, done = len(machines), 0, 0
    for moment, change in events:
        if moment > t and rate > 0:
            if done + rate * (moment - t) >= work:
                return t + -(-(work - done) // rate)
            done += rate * (moment - t)
        t = max(t, moment)
        rate += change
    return t + -(-(work - done) // max(1, rate))


def objective_lower_bound(data: ProblemData) -> float | None:
    """A lower bound on the objective when it is easy to state, else ``None``."""
    w = data.objective
    if w.energy_cost > 0 and data.has_energy:
        return None  # prices can be negative
    return w.makespan * makespan_lower_bound(data)
