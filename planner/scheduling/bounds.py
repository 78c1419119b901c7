"""Lower bounds on the objective, for when the search has no proof of its own.

The makespan bound is the largest of two relaxations, both aware of the machines' calendars:

* **routing**: each job alone in the plant, every operation on its best eligible machine and
  within that machine's working time, from the job's release, with the least time lags (or
  overlaps of transfer batches) between its steps;
* **machine sets with heads, changeovers and tails**: operations whose eligible machines all
  lie in a set S must be processed on S. Take those that cannot start before ``r`` (their
  routing head); from ``r`` on, S must offer their processing time (each on its fastest
  machine of S) plus the changeovers they force, and afterwards the shortest routing tail
  among them must still run. Changeovers: every family among them needs at least one
  changeover in on S, costing at least the cheapest one into it on S from a family that can
  run there; at most one family per machine of S may instead come first (the machine's
  initial setup, or nothing when ``r > 0`` since the machine may already be set up for it).
  When each operation has its own family (operation-to-operation setup times) this is the
  cheapest setup into each operation. Machines of S are not equally fast: a machine does
  each operation's fastest-machine work at a rate of at most ``rate[m]`` (the largest, over
  the set's operations, of their fastest duration on S over their duration on ``m``), so S
  offers ``rate[m]`` work a working minute on ``m``, and its changeovers take at least the
  slowest rate's share of that work.

With resource pools, a pool must offer the unit-minutes its operations hold (each at its
shortest duration) under its capacity over time.

Each threshold ``r`` is a head of an operation in S (at most :data:`MAX_THRESHOLDS` of them,
spread over the range). The bound on the objective adds, to the weighted makespan bound, the
weighted tardiness each job has even alone in the plant and, where energy is priced, the
least bill of the operations each at its cheapest minutes
(:mod:`planner.scheduling.energy_bound`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from planner.model.data import ProblemData
from planner.scheduling.energy_bound import energy_lower_bound
from planner.scheduling.timeline import earliest_fit

MAX_THRESHOLDS = 32
"""Heads tried per machine set (the bound needs O(thresholds * windows) per set)."""


def makespan_lower_bound(data: ProblemData) -> int:
    """A valid lower bound on the makespan (see the module docstring)."""
    return _makespan_bound(data, *routing_heads(data))


def _makespan_bound(data: ProblemData, heads: list[int], ends: list[int]) -> int:
    tails = _routing_tails(data)
    into = _cheapest_changeover_into(data) if data.has_setups else np.zeros((0, 0), np.int64)
    best = max(ends, default=0)
    for machines, ops in _machine_sets(data).items():
        best = max(best, _set_bound(data, machines, ops, (heads, tails), into))
    for pool in range(len(data.pool_ids)):
        best = max(best, _pool_bound(data, pool, heads, tails))
    return best


def _pool_bound(data: ProblemData, pool: int, heads: list[int], tails: list[int]) -> int:
    """For each threshold ``r`` among the heads of the operations that hold ``pool`` while
    they run: the first minute by which the pool can have offered, from ``r`` on, the
    unit-minutes of those that cannot start before ``r`` (each its shortest duration), plus
    the least tail among them; the largest over the thresholds."""
    held = {
        o: units * min(d for _, d in data.op_options[o])
        for o, needs in enumerate(data.op_needs)
        for p, units, setup_only in needs
        if p == pool and not setup_only
    }
    by_head = sorted(held, key=lambda o: heads[o])
    best, cursor = 0, 0
    for r in _thresholds([heads[o] for o in held], MAX_THRESHOLDS):
        while cursor < len(by_head) and heads[by_head[cursor]] < r:
            cursor += 1
        rest = by_head[cursor:]
        offered = _time_to_offer(data, pool, sum(held[o] for o in rest), r)
        if offered is None:
            return 0  # the pool cannot offer it within the horizon: the search says no plan
        best = max(best, offered + min(tails[o] for o in rest))
    return best


def _time_to_offer(data: ProblemData, pool: int, held: int, start: int) -> int | None:
    """The first minute by which ``pool`` can have offered ``held`` unit-minutes from
    ``start`` on, counting its capacity over time; ``None`` when not within the horizon."""
    if held <= 0:
        return start
    t, offered = start, 0
    steps = [*data.pool_windows[pool], (data.horizon + 1, data.horizon + 1, 0)]
    for begin, end, capacity in steps:
        for lo, hi, units in ((t, begin, data.pool_capacity[pool]), (max(t, begin), end, capacity)):
            if hi > lo and units > 0 and offered + units * (hi - lo) >= held:
                return lo + -(-(held - offered) // units)
            offered += units * max(0, hi - lo)
        t = max(t, end)
    return None


def objective_lower_bound(data: ProblemData) -> float | None:
    """A lower bound on the objective when it is easy to state, else ``None``."""
    w = data.objective
    heads, ends = routing_heads(data)
    bound = w.makespan * _makespan_bound(data, heads, ends) if w.makespan > 0 else 0.0
    bound += w.energy_cost * energy_lower_bound(data, heads)  # 0 where energy is not priced
    if w.weighted_tardiness > 0:
        for j, ops in enumerate(data.job_operations):
            due = data.job_due[j]
            if due is not None:
                late = max(ends[o] for o in ops) - due
                bound += w.weighted_tardiness * data.job_weight[j] * max(0, late)
    return bound


def routing_heads(data: ProblemData) -> tuple[list[int], list[int]]:
    """Earliest start and end of each operation with its job alone in the plant (best
    eligible machine, its calendar respected, no changeovers)."""
    window_ends = [[e for _, e in w] for w in data.unavailable]
    gap = least_gaps(data)
    heads = [0] * data.num_operations
    ends = [0] * data.num_operations
    for o in data.topological_order:
        ready = max(
            [data.op_release[o], *(ends[p] + gap(p, o)[0] for p in data.op_predecessors[o])]
        )
        best_start, best_end = None, None
        for m, d in data.op_options[o]:
            start = earliest_fit(data.unavailable[m], window_ends[m], ready, 0, d)
            best_start = start if best_start is None else min(best_start, start)
            best_end = start + d if best_end is None else min(best_end, start + d)
        heads[o] = ready if best_start is None else best_start
        ends[o] = ready if best_end is None else best_end
    return heads, ends


def least_gaps(data: ProblemData) -> Callable[[int, int], tuple[int, int]]:
    """For a routing arc ``p -> q``, the least time from ``p``'s end to ``q``'s start and to
    ``q``'s end over all their machines (a transfer share can make the first negative)."""
    shortest = [min(d for _, d in options) for options in data.op_options]

    @functools.cache
    def gap(p: int, q: int) -> tuple[int, int]:
        if not data.has_lags:
            return 0, shortest[q]
        pairs = [(a, b) for _, a in data.op_options[p] for _, b in data.op_options[q]]
        starts = [data.start_after(q, p, 0, a, b, working=False) - a for a, b in pairs]
        return min(starts), min(x + b for x, (_, b) in zip(starts, pairs, strict=True))

    return gap


def _routing_tails(data: ProblemData) -> list[int]:
    """Shortest processing that must follow each operation in its routing (working minutes,
    so also a bound in calendar time)."""
    gap = least_gaps(data)
    tails = [0] * data.num_operations
    for o in reversed(data.topological_order):
        tails[o] = max((gap(o, q)[1] + tails[q] for q in data.op_successors[o]), default=0)
    return tails


def _machine_sets(data: ProblemData) -> dict[tuple[int, ...], list[int]]:
    """For every distinct set of eligible machines, the operations that must run within it."""
    by_key: dict[tuple[int, ...], list[int]] = {}
    for o, options in enumerate(data.op_options):
        by_key.setdefault(tuple(sorted(m for m, _ in options)), []).append(o)
    sets: dict[tuple[int, ...], list[int]] = {}
    for key in by_key:
        members = set(key)
        sets[key] = [o for k, ops in by_key.items() if members.issuperset(k) for o in ops]
    return sets


def _set_bound(
    data: ProblemData,
    machines: tuple[int, ...],
    ops: list[int],
    heads_tails: tuple[list[int], list[int]],
    into: np.ndarray,
) -> int:
    heads, tails = heads_tails
    inside = set(machines)
    work = {o: min(d for m, d in data.op_options[o] if m in inside) for o in ops}
    rates = _rates(data, machines, ops, work)
    slowest = min(rates.values())
    by_head = sorted(ops, key=lambda o: heads[o])
    best = 0
    cursor = 0
    for r in _thresholds([heads[o] for o in ops], MAX_THRESHOLDS):
        while cursor < len(by_head) and heads[by_head[cursor]] < r:
            cursor += 1
        rest = by_head[cursor:]
        changeovers = _changeovers(data, machines, rest, r > 0, into)
        total = sum(work[o] for o in rest) + slowest * changeovers
        tail = min(tails[o] for o in rest)
        best = max(best, _time_to_deliver(data, rates, total, r) + tail)
    return best


def _thresholds(values: list[int], most: int) -> list[int]:
    """The distinct ``values`` in increasing order, at most ``most`` of them spread over the
    range (the smallest and the largest always among them)."""
    distinct = sorted(set(values))
    if len(distinct) > most:
        picks = np.linspace(0, len(distinct) - 1, most).round().astype(int)
        distinct = [distinct[i] for i in sorted(set(picks.tolist()))]
    return distinct


def _rates(
    data: ProblemData, machines: tuple[int, ...], ops: list[int], work: dict[int, int]
) -> dict[int, float]:
    """For each machine of the set, the most fastest-machine work it does in a minute on
    any of ``ops`` (1.0 on a machine that is fastest for one of them)."""
    rates = dict.fromkeys(machines, 0.0)
    for o in ops:
        for m, d in data.op_options[o]:
            if m in rates and d > 0:
                rates[m] = max(rates[m], work[o] / d)
    return rates


def _cheapest_changeover_into(data: ProblemData) -> np.ndarray:
    """``[m, g]``: the cheapest changeover into family ``g`` on machine ``m`` from another
    family that can run there (any operation's), or -1 where no other family can."""
    runnable = np.zeros((data.num_machines, data.num_families), dtype=bool)
    for o, options in enumerate(data.op_options):
        for m, _ in options:
            runnable[m, data.op_family[o]] = True
    into = np.full((data.num_machines, data.num_families), -1, dtype=np.int64)
    for m in range(data.num_machines):
        rows = np.flatnonzero(runnable[m])
        if len(rows) < 2:
            continue
        block = data.setup_times[m][rows][:, rows].astype(np.float64)
        np.fill_diagonal(block, np.inf)
        into[m, rows] = block.min(axis=0).astype(np.int64)
    return into


def _changeovers(
    data: ProblemData, machines: tuple[int, ...], ops: list[int], preset: bool, into: np.ndarray
) -> int:
    """Least total changeover time ``ops`` force on ``machines`` (see the module docstring)."""
    if not data.has_setups or not ops:
        return 0
    families = sorted({data.op_family[o] for o in ops})
    entry, first = [], []
    for g in families:
        cheapest, alone = None, None
        for m in machines:
            initial = 0 if preset else int(data.initial_setup[m, g])
            cost = int(into[m, g]) if into[m, g] >= 0 else initial
            cheapest = cost if cheapest is None else min(cheapest, cost)
            alone = initial if alone is None else min(alone, initial)
        entry.append(cheapest or 0)
        first.append(alone or 0)
    savings = sorted((max(0, c - i) for c, i in zip(entry, first, strict=True)), reverse=True)
    return sum(entry) - sum(savings[: len(machines)])


def _time_to_deliver(data: ProblemData, rates: dict[int, float], work: float, start: int) -> int:
    """Earliest ``T`` such that the machines of ``rates`` together offer ``work`` (each
    available minute of machine ``m``, its calendar's unavailability removed, worth
    ``rates[m]``) between ``start`` and ``T``."""
    if work <= 0:
        return start
    events: list[tuple[int, float]] = []
    for m, rate in rates.items():
        for a, b in data.unavailable[m]:
            events.append((a, -rate))
            events.append((b, +rate))
    events.sort()
    rate, t, done = sum(rates.values()), start, 0.0
    for moment, change in events:
        if moment > t and rate > _EPS:
            if done + rate * (moment - t) >= work - _EPS:
                return t + _ceil((work - done) / rate)
            done += rate * (moment - t)
        t = max(t, moment)
        rate += change
    if rate <= _EPS:  # unavailable to the end: no plan, and any bound will do
        rate = sum(rates.values())
    return t + _ceil((work - done) / rate)


_EPS = 1e-9


def _ceil(minutes: float) -> int:
    """Whole minutes, rounded up, but not past a value a float's error could have made."""
    return max(0, math.ceil(minutes - 1e-6))
