"""Timing the flexible tabu search's solutions under shared capacity: the site power limit and
resource pools (operators, tools), compiled (array layout in
:mod:`planner.scheduling.flexible_kernel`).

Without shared capacity every operation's start follows from its predecessors alone, so the
order in which a pass times them does not matter. With it, an operation also waits until what
it draws fits beside what is already placed, and the order decides who gets a scarce minute.
:func:`~planner.scheduling.flexible_timing._propagate_shared` times the operations as a
serial schedule-generation scheme: among the operations whose routing and machine
predecessors are timed, the one that could start earliest goes next (ties by number), at the
earliest minute from there where its calendar, the power limit and its pools allow. The
result is deterministic and feasible by construction; a candidate move is timed by a full
pass (an earlier operation's new place can change what is free for any later one).

Capacity is kept per minute (``problem[33]``: per row, what is left at each minute of the
horizon once the pinned operations' processing is placed; one row per pool, and the site's
power above the idle draw in row ``limits[2]`` where a limit is set), so a fit check reads
the minutes an operation spans.
"""

from __future__ import annotations

import numpy as np

from planner.jit import jit

Arrays = tuple[np.ndarray, ...]

SLACK = 1e-9
"""What a fit may exceed a capacity by (the checker allows 1e-6 kW)."""


@jit
def shared_capacity(problem: Arrays) -> bool:
    """Whether the problem has a site power limit or resource pools to time."""
    return bool(problem[33].shape[0] > 0)


@jit
def _last_short(row: np.ndarray, lo: int, hi: int, amount: float) -> int:
    """The last minute of ``[lo, hi)`` at which ``row`` has less than ``amount`` left, or -1."""
    for x in range(hi - 1, lo - 1, -1):
        if row[x] < amount - SLACK:
            return x
    return -1


@jit
def _shortage(
    problem: Arrays, usage: np.ndarray, o: int, m: int, t: int, su: int, d: int, pinned: bool
) -> int:
    """The earliest start after ``t`` that the first shortage found for ``o`` (on ``m``, after
    a changeover of ``su``, running ``d``) leaves possible, or ``t`` when everything fits.
    A pinned operation's processing is already placed: only its changeover needs count."""
    need_ptr, need_row, need_units, need_setup = problem[29:33]
    power_row = problem[19][2]
    extra = problem[34][m]
    if not pinned and power_row >= 0 and extra > 0 and d > 0:
        x = _last_short(usage[power_row], t, t + d, extra)
        if x >= 0:
            return x + 1
    for k in range(need_ptr[o], need_ptr[o + 1]):
        units = need_units[k]
        if need_setup[k]:
            if su > 0:
                x = _last_short(usage[need_row[k]], max(0, t - su), t, units)
                if x >= 0:
                    return x + 1 + su
        elif not pinned and d > 0:
            x = _last_short(usage[need_row[k]], t, t + d, units)
            if x >= 0:
                return x + 1
    return t


@jit
def _take(
    problem: Arrays,
    usage: np.ndarray,
    o: int,
    m: int,
    t: int,
    su: int,
    d: int,
    pinned: bool,
    sign: float = 1.0,
) -> None:
    """Take (``sign`` -1: give back) what ``o`` draws when it starts at ``t`` (as
    :func:`_shortage` reads it)."""
    need_ptr, need_row, need_units, need_setup = problem[29:33]
    power_row = problem[19][2]
    extra = problem[34][m]
    if not pinned and power_row >= 0 and extra > 0:
        usage[power_row, t : t + d] -= sign * extra
    for k in range(need_ptr[o], need_ptr[o + 1]):
        if need_setup[k]:
            usage[need_row[k], max(0, t - su) : t] -= sign * need_units[k]
        elif not pinned:
            usage[need_row[k], t : t + d] -= sign * need_units[k]


@jit
def give_back(problem: Arrays, solution: Arrays, timing: Arrays) -> None:
    """Give back what the operations a pass placed (``timing[4]`` -1: timed) took, so that
    ``timing[10]`` holds ``problem[33]`` again for the next pass (cheaper than copying every
    minute of the horizon)."""
    machine, duration = solution[0], solution[1]
    start, setup_before, indegree, usage = timing[0], timing[2], timing[4], timing[10]
    horizon = problem[19][0]
    for o in range(start.shape[0]):
        if indegree[o] == -1 and start[o] <= horizon:
            pinned = problem[26][o] >= 0
            m = machine[o]
            _take(problem, usage, o, m, start[o], setup_before[o], duration[o], pinned, -1.0)


@jit
def calendar_fit(problem: Arrays, m: int, t: int, su: int, d: int) -> int:
    """Earliest start from ``t`` at which the changeover ``su`` before it and the operation
    (``d`` minutes) avoid ``m``'s unavailable windows."""
    win_ptr, win_start, win_end = problem[11:14]
    lo = win_ptr[m]
    hi = win_ptr[m + 1]
    if hi > lo and su + d > 0:
        k = lo + np.searchsorted(win_end[lo:hi], t - su, side="right")
        while k < hi:
            if win_start[k] >= t + d:
                break
            if win_end[k] + su > t:
                t = win_end[k] + su
            k += 1
    return t


@jit
def fit_shared(problem: Arrays, usage: np.ndarray, o: int, m: int, t: int, su: int, d: int) -> int:
    """Place ``o`` at its earliest feasible start from ``t`` and take what it draws; a pinned
    operation goes exactly where it is pinned. Past the horizon (or a pin that cannot hold)
    it returns the horizon plus one, which the score reads as infeasible."""
    horizon = int(problem[19][0])
    pin = int(problem[26][o])
    if pin >= 0:
        if t > pin or _shortage(problem, usage, o, m, pin, su, d, True) != pin:
            return horizon + 1
        _take(problem, usage, o, m, pin, su, d, True)
        return pin
    while True:
        t = calendar_fit(problem, m, t, su, d)
        if t + d > horizon:
            return horizon + 1
        later = _shortage(problem, usage, o, m, t, su, d, False)
        if later == t:
            _take(problem, usage, o, m, t, su, d, False)
            return t
        t = later


@jit
def _push(heap: np.ndarray, size: int, key: int) -> int:
    x = size
    heap[x] = key
    while x > 0:
        parent = (x - 1) // 2
        if heap[parent] <= heap[x]:
            break
        heap[parent], heap[x] = heap[x], heap[parent]
        x = parent
    return size + 1


@jit
def _pop(heap: np.ndarray, size: int) -> int:
    """Remove the smallest key (returned by the caller from ``heap[0]`` before this)."""
    size -= 1
    heap[0] = heap[size]
    x = 0
    while True:
        child = 2 * x + 1
        if child >= size:
            break
        if child + 1 < size and heap[child + 1] < heap[child]:
            child += 1
        if heap[x] <= heap[child]:
            break
        heap[x], heap[child] = heap[child], heap[x]
        x = child
    return size
