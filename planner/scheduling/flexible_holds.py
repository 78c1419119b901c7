"""Holds at the previous plan's starts in the flexible tabu search, and moves that release
them (see :mod:`planner.scheduling.flexible_kernel` for the array layout).

Re-planning against a previous plan, the timing holds an operation on its previous machine
at its previous start less the tolerance (:func:`~planner.scheduling.flexible_timing._ready`):
semi-active timing would otherwise pull every operation earlier as soon as room appears, and
each would count as moved. Where starting earlier pays for the moves, a step may release the
hold of an operation and of the held operations after it (``solution[5]``, 1: released), or
restore a released one. Plans from CP-SAT or the rules that start work earlier than before
arrive with those operations released (:meth:`FlexibleTabuSearch._solution
<planner.scheduling.flexible.FlexibleTabuSearch>`), so the search times them as they are.

Measured on the default factory's captured breakdown re-plan (benchmarks README, "The
move-based search that prices stability"): with holds that could not be released the search
timed the best plan CP-SAT had found for it (2,834 with the stability term) at 11,509, since
three of its coating operations start 32-60 minutes earlier than before.
"""

from __future__ import annotations

import numpy as np

from planner.jit import jit
from planner.scheduling.flexible_timing import INFEASIBLE, Arrays, hold_start, retime

HOLD = -2
"""The machine :func:`~planner.scheduling.flexible_kernel._best_move` names for a move that
releases or restores holds (not a machine)."""

MAX_RELEASED = 8
"""Held operations one move releases together at most (:func:`_held_after`)."""


@jit
def _held(problem: Arrays, solution: Arrays, timing: Arrays, o: int) -> bool:
    """Whether ``o`` waits at its hold: on its previous machine, at its previous start less
    the tolerance, not released (it may be there of itself too)."""
    return bool(timing[0][o] == hold_start(problem, solution, o))


@jit
def _held_after(problem: Arrays, solution: Arrays, timing: Arrays, o: int, out: np.ndarray) -> int:
    """``o`` and the operations at their hold that follow it, in breadth-first order along
    routing and machine arcs through such operations (up to ``MAX_RELEASED``): releasing a
    prefix lets that much of the held work start earlier together."""
    succ_ptr, succ_idx = problem[4], problem[5]
    mnext = solution[3]
    if not _held(problem, solution, timing, o):
        return 0
    out[0] = o
    count = 1
    head = 0
    while head < count and count < MAX_RELEASED:
        u = out[head]
        head += 1
        for k in range(succ_ptr[u], succ_ptr[u + 1] + 1):
            q = succ_idx[k] if k < succ_ptr[u + 1] else mnext[u]
            if q < 0 or count >= MAX_RELEASED or not _held(problem, solution, timing, q):
                continue
            seen = False
            for x in range(count):
                seen = seen or out[x] == q
            if not seen:
                out[count] = q
                count += 1
    return count


@jit
def best_release(
    problem: Arrays, solution: Arrays, timing: Arrays, work: np.ndarray, o: int
) -> tuple[float, int]:
    """The best objective from releasing the hold of ``o`` and of the first few held
    operations after it (:func:`_held_after`), and how many; or, where ``o`` is released
    already, from restoring its hold (count 0). Starting earlier than in the previous plan
    moves an operation, which pays where it makes room behind it."""
    free, held = solution[5], work[2]
    if free[o] == 1:
        free[o] = 0
        value = retime(problem, solution, timing, work, o, -1)
        free[o] = 1
        return value, 0
    count = _held_after(problem, solution, timing, o, held)
    best_value, best_count = INFEASIBLE, -1
    for x in range(count):
        free[held[x]] = 1
        value = retime(problem, solution, timing, work, o, -1)
        if value < best_value - 1e-9:
            best_value, best_count = value, x + 1
    for x in range(count):
        free[held[x]] = 0
    return best_value, best_count


@jit
def apply_release(
    problem: Arrays, solution: Arrays, timing: Arrays, work: np.ndarray, o: int, count: int
) -> None:
    """Make the move :func:`best_release` chose (``timing`` holds the current plan's times)."""
    if count == 0:
        solution[5][o] = 0
        return
    held = work[2]
    _held_after(problem, solution, timing, o, held)
    for x in range(count):
        solution[5][held[x]] = 1
