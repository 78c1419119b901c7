"""The boundary of a neighbourhood step (:mod:`planner.scheduling.lns`,
:mod:`planner.scheduling.displaced`): the schedule as a graph, the longest path after each
operation, the convex set a step frees and the work it re-times, and the sub-problem that
poses (see :mod:`planner.scheduling.subproblem`)."""

from __future__ import annotations

from collections import deque

import numpy as np

from planner.model.data import IntArray, ProblemData
from planner.model.settings import SolverSettings
from planner.schedule import Schedule
from planner.scheduling.subproblem import MachinePrefix, MachineSuffix, SubProblem


class ScheduleGraph:
    """Successor and predecessor arcs of a schedule: routing arcs plus machine order."""

    def __init__(self, data: ProblemData, schedule: Schedule) -> None:
        n = data.num_operations
        self.sequences = schedule.machine_sequences(data.num_machines)
        self.next = np.full(n, -1, dtype=np.int64)
        self.prev = np.full(n, -1, dtype=np.int64)
        self.position = np.zeros(n, dtype=np.int64)
        for seq in self.sequences:
            for k, o in enumerate(seq):
                self.position[o] = k
                if k:
                    self.prev[o] = seq[k - 1]
                    self.next[seq[k - 1]] = o


def compute_tails(
    data: ProblemData, s: Schedule, graph: ScheduleGraph
) -> tuple[IntArray, IntArray]:
    """Longest path from each operation's start to the end of the schedule (machine and
    routing arcs, setups included), and along its routing only (for job completion)."""
    n = data.num_operations
    tail = np.zeros(n, dtype=np.int64)
    job_tail = np.zeros(n, dtype=np.int64)
    duration = (s.end - s.start).tolist()
    succ, job = data.op_successors, data.op_job
    nxt = graph.next.tolist()
    setup = s.setup_before.tolist()
    tails = tail.tolist()
    jtails = job_tail.tolist()
    for o in np.lexsort((s.end, s.start))[::-1].tolist():
        best, jbest = 0, 0
        for q in succ[o]:
            after_start, after_end = _after_arc(data, o, q, duration[o], duration[q])
            best = max(best, after_start + tails[q])
            if job[q] == job[o]:
                jbest = max(jbest, after_end + jtails[q])
        q = nxt[o]
        if q >= 0 and setup[q] + tails[q] > best:
            best = setup[q] + tails[q]
        tails[o] = duration[o] + best
        jtails[o] = jbest
    return np.asarray(tails, dtype=np.int64), np.asarray(jtails, dtype=np.int64)


def _after_arc(
    data: ProblemData, o: int, q: int, duration: int, q_duration: int
) -> tuple[int, int]:
    """Along the routing arc ``o -> q``: the least time from ``o``'s end to ``q``'s start, and
    from ``o``'s end to ``q``'s end (a transfer share lets ``q`` overlap ``o``: the first may
    be negative)."""
    start_gap = data.start_after(q, o, 0, duration, q_duration, working=False) - duration
    return start_gap, start_gap + q_duration


def convex_closure(
    data: ProblemData, seeds: list[int], s: Schedule, graph: ScheduleGraph
) -> list[int]:
    """Smallest convex set containing ``seeds``: add every operation on a path between two."""
    free = set(seeds)
    latest = max(int(s.start[o]) for o in free)
    succ, pred = data.op_successors, data.op_predecessors
    nxt, prv = graph.next, graph.prev
    reach: set[int] = set()
    queue = deque(free)
    while queue:
        o = queue.popleft()
        for q in (*succ[o], int(nxt[o])):
            if q >= 0 and q not in reach and q not in free and s.start[q] <= latest:
                reach.add(q)
                queue.append(q)
    if not reach:
        return sorted(free)
    back: set[int] = set()
    queue = deque(free)
    while queue:
        o = queue.popleft()
        for q in (*pred[o], int(prv[o])):
            if q >= 0 and q in reach and q not in back:
                back.add(q)
                queue.append(q)
    return sorted(free | back)


def reached_from(data: ProblemData, free: list[int], graph: ScheduleGraph) -> set[int]:
    """Operations reached from the free ones (they are re-timed after the step)."""
    succ, nxt = data.op_successors, graph.next
    free_set = set(free)
    seen: set[int] = set()
    queue = deque(free)
    while queue:
        o = queue.popleft()
        for q in (*succ[o], int(nxt[o])):
            if q >= 0 and q not in seen and q not in free_set:
                seen.add(q)
                queue.append(q)
    return seen


def step_subproblem(
    data: ProblemData,
    settings: SolverSettings,
    s: Schedule,
    free: list[int],
    after: set[int],
    graph: ScheduleGraph,
    tails: IntArray,
    job_tails: IntArray,
) -> SubProblem:
    """The sub-problem of a step freeing ``free`` of ``s``: heads from what stays before it,
    tails of what is re-timed after it (``after``), each machine's prefix and suffix, the
    floors of what stays, and how far free work may move (see :mod:`planner.scheduling.lns`)."""
    free_set = set(free)
    head, job_tail, tardiness_tail = {}, {}, {}
    for o in free:
        h = data.op_release[o]
        jt, tt = 0, 0
        for p in data.op_predecessors[o]:
            if p not in free_set:
                h = max(h, _earliest_after(data, p, o, s))
        for q in data.op_successors[o]:
            if q not in free_set:
                gap, through = _after_arc(data, o, q, _longest(data, o), int(s.end[q] - s.start[q]))
                jt = max(jt, gap + int(tails[q]))
                if data.op_job[q] == data.op_job[o]:
                    tt = max(tt, through + int(job_tails[q]))
        head[o] = h
        if jt:
            job_tail[o] = jt
        if tt:
            tardiness_tail[o] = tt
    prefix, suffix = {}, {}
    machines = {m for o in free for m, _ in data.op_options[o]}
    for m in machines:
        seq = graph.sequences[m]
        k = next((i for i, o in enumerate(seq) if o in free_set or o in after), len(seq))
        if k > 0:
            last = seq[k - 1]
            prefix[m] = MachinePrefix(int(s.end[last]), data.op_family[last])
        first_after = next((o for o in seq[k:] if o in after), None)
        if first_after is not None:
            suffix[m] = MachineSuffix(first_after, int(tails[first_after]))
    moving = np.zeros(data.num_operations, dtype=bool)
    moving[free] = True
    if after:
        moving[list(after)] = True
    staying = ~moving
    makespan_floor = int(s.end[staying].max()) if staying.any() else 0
    completion_floor = {}
    for j in {data.op_job[o] for o in free}:
        ends = [int(s.end[o]) for o in data.job_operations[j] if staying[o]]
        if ends:
            completion_floor[j] = max(ends)
    fixed_power: tuple[tuple[int, int, float], ...] = ()
    if data.peak_power_kw is not None:
        earliest = min(head.values())
        extra = data.extra_power_kw
        fixed_power = tuple(
            (int(s.start[o]), int(s.end[o]), extra[int(s.machine[o])])
            for o in np.flatnonzero(staying & (s.end > earliest))
            if extra[int(s.machine[o])] > 0
        )
    return SubProblem(
        fixed_usage=_fixed_usage(data, s, staying, min(head.values())),
        free=tuple(free),
        head=head,
        job_tail=job_tail,
        prefix=prefix,
        suffix=suffix,
        makespan_floor=makespan_floor,
        completion_floor=completion_floor,
        fixed_power=fixed_power,
        horizon=_horizon(data, s),
        hint=s,
        tardiness_tail=tardiness_tail,
        latest_start=_latest_starts(data, settings, s, free),
    )


def _latest_starts(
    data: ProblemData, settings: SolverSettings, s: Schedule, free: list[int]
) -> dict[int, int]:
    """Free operations may move right by at most twice the neighbourhood's span (at least
    8 hours): enough to reach cheaper hours, small enough for compact models."""
    if makespan_only(data):
        return {}
    span = int(max(s.end[o] for o in free) - min(s.start[o] for o in free))
    reach = min(max(2 * span, 480), 48 * settings.energy_resolution_min)
    latest = {o: int(s.start[o]) + reach for o in free}
    if data.stability_priced:  # always able to return to where the previous plan had it
        tolerance = data.objective.stability_tolerance_min
        for o in free:
            previous = data.op_previous[o]
            if previous is not None:
                latest[o] = max(latest[o], previous[1] + tolerance)
    return latest


def _horizon(data: ProblemData, s: Schedule) -> int:
    """Latest end for free operations: with makespan alone, never past today's makespan."""
    makespan = int(s.end.max())
    if makespan_only(data):
        return min(data.horizon, makespan)
    return min(data.horizon, max(2 * makespan, _previous_end(data)))


def makespan_only(data: ProblemData) -> bool:
    """Whether the objective is makespan alone (starting earlier never costs more)."""
    w = data.objective
    return (
        w.weighted_tardiness == 0
        and w.energy_cost == 0
        and w.setup_time == 0
        and not data.stability_priced
    )


def _previous_end(data: ProblemData) -> int:
    """The latest end of an operation placed where the previous plan had it."""
    return (
        max(
            (
                p[1] + max(d for _, d in data.op_options[o])
                for o, p in enumerate(data.op_previous)
                if p is not None
            ),
            default=0,
        )
        + data.objective.stability_tolerance_min
    )


def _longest(data: ProblemData, o: int) -> int:
    """The longest duration of ``o``: with a transfer share, its successors' least gap after
    its end is the smallest then."""
    return max(d for _, d in data.op_options[o])


def _earliest_after(data: ProblemData, p: int, o: int, s: Schedule) -> int:
    """Earliest start of ``o`` on any of its machines after ``p`` as ``s`` has it."""
    start, end = int(s.start[p]), int(s.end[p])
    return min(data.start_after(o, p, start, end, d) for _, d in data.op_options[o])


def _fixed_usage(
    data: ProblemData, s: Schedule, staying: np.ndarray, earliest: int
) -> tuple[tuple[int, int, int, int], ...]:
    """``(pool, start, end, units)`` that operations staying in place hold of resource pools
    from ``earliest`` on (the neighbourhood's operations cannot start before it)."""
    if not data.op_needs:
        return ()
    return tuple(
        hold
        for o in np.flatnonzero(staying & (s.end > earliest)).tolist()
        for hold in data.holds(o, int(s.start[o]), int(s.end[o]), int(s.setup_before[o]))
    )
