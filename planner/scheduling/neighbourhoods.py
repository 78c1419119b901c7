"""Neighbourhoods for the large-neighbourhood search: which operations to free in one step.

Each operator returns a seed set of operations of roughly the target size; the search then
closes it into a convex set (every operation on a path between two freed ones is freed too).

* ``time_window``: consecutive operations by start time, on all machines;
* ``machine_window``: a stretch of the schedule on a few random machines;
* ``job_window``: operations of a few random jobs within a stretch of time;
* ``critical_block``: a stretch of the critical path and what runs beside it;
* ``late_jobs``: operations of late jobs and their machine neighbours (tardiness);
* ``family_run``: one setup family's operations on one group of interchangeable machines
  around a changeover, with what runs between them (merges a family's runs, moves them
  between the group's machines);
* ``group_window``: a stretch of time on every machine of one group of interchangeable
  machines (rebalances the group).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np

from planner.model.data import IntArray, ProblemData
from planner.schedule import Schedule

Operator = Callable[[ProblemData, Schedule, "SearchView", int, random.Random], list[int]]


class SearchView:
    """Read-only facts about the current schedule that the operators share."""

    def __init__(self, data: ProblemData, schedule: Schedule, tails: IntArray) -> None:
        self.by_start = np.argsort(schedule.start, kind="stable")
        self.sequences = schedule.machine_sequences(data.num_machines)
        self.tails = tails
        self.schedule = schedule
        self.data = data

    def critical(self) -> list[int]:
        """Operations that fix the makespan, in start order.

        Without calendars: every operation on a longest path (head + tail == makespan). With
        calendars the tails ignore the windows, so instead the chain from the operation that
        ends last, back through whatever made each one start when it did (its routing
        predecessor, or the previous operation on its machine and the changeover), until a
        release or a calendar window explains the start.
        """
        s, data = self.schedule, self.data
        if not data.has_calendars:
            makespan = int(s.end.max())
            total = s.start + self.tails
            return [int(o) for o in self.by_start if total[o] >= makespan]
        previous = {o: seq[k - 1] for seq in self.sequences for k, o in enumerate(seq) if k}
        op = int(s.end.argmax())
        chain = [op]
        while len(chain) < data.num_operations:
            start = int(s.start[op])
            duration = int(s.end[op] - s.start[op])
            preds = [
                p
                for p in data.op_predecessors[op]
                if data.start_after(op, p, int(s.start[p]), int(s.end[p]), duration) == start
            ]
            q = previous.get(op)
            if preds:
                op = preds[0]
            elif q is not None and int(s.end[q]) == start - int(s.setup_before[op]):
                op = q
            else:
                break
            chain.append(op)
        return chain[::-1]


def time_window(
    data: ProblemData, s: Schedule, view: SearchView, size: int, rng: random.Random
) -> list[int]:
    n = data.num_operations
    first = rng.randrange(0, max(1, n - size + 1))
    return [int(o) for o in view.by_start[first : first + size]]


def machine_window(
    data: ProblemData, s: Schedule, view: SearchView, size: int, rng: random.Random
) -> list[int]:
    count = max(1, min(data.num_machines, rng.choice((2, 3, 4, 6))))
    machines = rng.sample(range(data.num_machines), count)
    ops = sorted((o for m in machines for o in view.sequences[m]), key=lambda o: (s.start[o], o))
    if not ops:
        return []
    first = rng.randrange(0, max(1, len(ops) - size + 1))
    return ops[first : first + size]


def job_window(
    data: ProblemData, s: Schedule, view: SearchView, size: int, rng: random.Random
) -> list[int]:
    per_job = max(1, data.num_operations // max(1, data.num_jobs))
    count = min(data.num_jobs, max(2, 2 * size // per_job))
    jobs = rng.sample(range(data.num_jobs), count)
    ops = sorted((o for j in jobs for o in data.job_operations[j]), key=lambda o: (s.start[o], o))
    first = rng.randrange(0, max(1, len(ops) - size + 1))
    return ops[first : first + size]


def critical_block(
    data: ProblemData, s: Schedule, view: SearchView, size: int, rng: random.Random
) -> list[int]:
    path = view.critical()
    if not path:
        return time_window(data, s, view, size, rng)
    span = max(1, size // 4)
    first = rng.randrange(0, max(1, len(path) - span + 1))
    segment = path[first : first + span]
    lo = int(s.start[segment[0]])
    hi = int(s.end[segment[-1]])
    if not data.has_calendars:
        near = [int(o) for o in view.by_start if lo <= s.start[o] < hi]
        rng.shuffle(near)
        return list(dict.fromkeys(segment + near[: max(0, size - len(segment))]))
    # a calendar chain is short in time: the operations running closest to it, any machine
    distance = np.maximum(0, np.maximum(lo - s.end, s.start - hi))
    noise = np.array([rng.random() for _ in range(len(distance))])
    near = [int(o) for o in np.lexsort((noise, distance))[: max(0, size - len(segment))]]
    return list(dict.fromkeys(segment + near))


def late_jobs(
    data: ProblemData, s: Schedule, view: SearchView, size: int, rng: random.Random
) -> list[int]:
    late = [
        j
        for j, ops in enumerate(data.job_operations)
        if data.job_due[j] is not None and max(int(s.end[o]) for o in ops) > data.job_due[j]  # type: ignore[operator]
    ]
    if not late:
        return time_window(data, s, view, size, rng)
    job = rng.choice(late)
    seeds = list(data.job_operations[job])
    lo = min(int(s.start[o]) for o in seeds)
    hi = max(int(s.end[o]) for o in seeds)
    machines = {int(s.machine[o]) for o in seeds}
    near = [o for m in machines for o in view.sequences[m] if lo - (hi - lo) <= s.start[o] < hi]
    rng.shuffle(near)
    return list(dict.fromkeys(seeds + near))[: max(size, len(seeds))]


def family_run(
    data: ProblemData, s: Schedule, view: SearchView, size: int, rng: random.Random
) -> list[int]:
    changed = np.flatnonzero(s.setup_before > 0)
    if not len(changed):
        return group_window(data, s, view, size, rng)
    o = int(changed[rng.randrange(len(changed))])
    family = data.op_family[o]
    machines = [m for m, _ in data.op_options[o]]
    ops = [q for m in machines for q in view.sequences[m]]
    near = sorted(ops, key=lambda q: (abs(int(s.start[q]) - int(s.start[o])), q))[:size]
    lo = min(int(s.start[q]) for q in near)
    hi = max(int(s.end[q]) for q in near)
    reach = hi - lo
    same = [
        q
        for q in ops
        if data.op_family[q] == family and lo - reach <= s.start[q] < hi + reach and q != o
    ]
    rng.shuffle(same)
    return list(dict.fromkeys([o, *same[: size // 2], *near]))[:size]


def group_window(
    data: ProblemData, s: Schedule, view: SearchView, size: int, rng: random.Random
) -> list[int]:
    flexible = [o for o, options in enumerate(data.op_options) if len(options) > 1]
    if not flexible:
        return machine_window(data, s, view, size, rng)
    o = flexible[rng.randrange(len(flexible))]
    machines = [m for m, _ in data.op_options[o]]
    ops = sorted((q for m in machines for q in view.sequences[m]), key=lambda q: (s.start[q], q))
    first = rng.randrange(0, max(1, len(ops) - size + 1))
    return ops[first : first + size]


OPERATORS: dict[str, Operator] = {
    "time_window": time_window,
    "machine_window": machine_window,
    "job_window": job_window,
    "critical_block": critical_block,
    "late_jobs": late_jobs,
    "family_run": family_run,
    "group_window": group_window,
}


def operators_for(data: ProblemData) -> list[str]:
    """The operators that fit the objective (no late-job moves without due dates, ...)."""
    names = ["time_window", "machine_window", "job_window"]
    if data.objective.makespan > 0:
        names.append("critical_block")
    if data.objective.weighted_tardiness > 0 and any(d is not None for d in data.job_due):
        names.append("late_jobs")
    if data.has_setups:
        names.append("family_run")
    if any(len(options) > 1 for options in data.op_options):
        names.append("group_window")
    return names
