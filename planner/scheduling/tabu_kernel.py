"""The compiled inner loop of the critical-path tabu search (see :mod:`planner.scheduling.tabu`).

Everything here works on flat integer arrays so that Numba compiles it to machine code:
operations are indices, routings are given in CSR form (``*_ptr``/``*_idx``), and the machine
sequences are doubly linked lists (``mprev``/``mnext``, -1 at the ends). ``graph`` is the
tuple (duration, release, pred_ptr, pred_idx, succ_ptr, succ_idx, sinks, zeros), on a shop
with sequence-dependent changeovers followed by (machine, family, setup, initial) (see
:mod:`planner.scheduling.changeover_arcs`; ``graph[8:]`` is empty without them): ``sinks`` are
the operations without a routing successor, ``zeros`` what tails start from. The Python class
:class:`~planner.scheduling.tabu.CriticalPathTabuSearch` owns the arrays and calls
:func:`run_steps` in chunks, checking the clock and reporting progress between chunks.

The random numbers come from a xorshift64* generator whose state lives in an array, so a seed
gives the same steps on every machine.

Small helpers are called only outside the per-operation loops: a Numba call costs about as
much as the work of one operation there (measured: a head pass five times slower through a
helper).
"""

from __future__ import annotations

import functools

import numpy as np

from planner.jit import jit as _jit
from planner.scheduling.changeover_arcs import changeover, first_setup
from planner.scheduling.critical_blocks import (
    blocks,
    critical_path,
    n5_moves,
    routed,
    swap,
    swap_estimate,
)
from planner.scheduling.jit import random53 as _random

# how run_steps returned
CHUNK_DONE = 0
AT_FLOOR = 1
NO_MOVES = 2
PATIENCE_SPENT = 3
CYCLE = 4

# indices into the int64 state array
STEPS = 0
MAKESPAN = 1
BEST = 2
SINCE_BEST = 3
FRUITLESS = 4
IMPROVEMENTS = 5
RESTARTS = 6
TABU_NEXT = 7
STATE_SIZE = 8

# rows of the int64 work array, each of length n + 1
ORDER = 0  # a topological order of routing and machine arcs
POS = 1  # each operation's position in it
MARK = 2  # flags, all zero between calls
SCRATCH_A = 3
SCRATCH_B = 4
PATH = 5
BLOCK_START = 6
MOVE_U = 7
MOVE_V = 8
WORK_ROWS = 9


@_jit
def evaluate(
    graph: tuple[np.ndarray, ...],
    mprev: np.ndarray,
    mnext: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    work: np.ndarray,
) -> int:
    """Fill heads (earliest starts), tails (longest path after the end) and a topological
    order with each operation's position in it; return the makespan, or -1 when the machine
    sequences and routings form a cycle."""
    duration, release, pred_ptr, pred_idx, succ_ptr, succ_idx = graph[:6]
    order = work[ORDER]
    pos = work[POS]
    indegree = work[SCRATCH_A]
    n = duration.shape[0]
    count = 0
    for o in range(n):
        d = pred_ptr[o + 1] - pred_ptr[o]
        if mprev[o] >= 0:
            d += 1
        indegree[o] = d
        if d == 0:
            order[count] = o
            count += 1
    k = 0
    while k < count:
        o = order[k]
        k += 1
        for i in range(succ_ptr[o], succ_ptr[o + 1]):
            q = succ_idx[i]
            indegree[q] -= 1
            if indegree[q] == 0:
                order[count] = q
                count += 1
        q = mnext[o]
        if q >= 0:
            indegree[q] -= 1
            if indegree[q] == 0:
                order[count] = q
                count += 1
    if count < n:
        return -1
    pos[order[:n]] = np.arange(n)
    dirty = work[MARK]
    dirty[:n] = 1
    _propagate(head, release, duration, pred_ptr, pred_idx, mprev, succ_ptr, succ_idx, mnext,
               order, pos, dirty, 0, n - 1, True, graph[8:])  # fmt: skip
    dirty[:n] = 1
    _propagate(tail, graph[7], duration, succ_ptr, succ_idx, mnext, pred_ptr, pred_idx, mprev,
               order, pos, dirty, 0, n - 1, False, graph[8:])  # fmt: skip
    return _makespan(graph, head)


@_jit
def _makespan(graph: tuple[np.ndarray, ...], head: np.ndarray) -> int:
    """The latest end; some last operation of a job ends then (durations are positive)."""
    duration, sinks = graph[0], graph[6]
    makespan = 0
    for o in sinks:
        if head[o] + duration[o] > makespan:
            makespan = head[o] + duration[o]
    return makespan


@_jit
def swap_and_update(
    u: int,
    v: int,
    graph: tuple[np.ndarray, ...],
    mprev: np.ndarray,
    mnext: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    work: np.ndarray,
) -> int:
    """Swap ``u`` and its machine successor ``v``, then bring the topological order, heads
    and tails up to date by touching only what the swap can change; return the makespan.

    The order is repaired as in Pearce and Kelly (2006), "A dynamic topological sort algorithm
    for directed acyclic graphs": only operations between ``u`` and ``v`` in the order that
    follow ``u`` or precede ``v`` move. Heads are then recomputed forward, and tails backward,
    from the operations whose arcs changed, as far as a value actually changes.
    """
    duration, release, pred_ptr, pred_idx, succ_ptr, succ_idx = graph[:6]
    order = work[ORDER]
    pos = work[POS]
    mark = work[MARK]
    forward = work[SCRATCH_A]
    backward = work[SCRATCH_B]
    a = mprev[u]
    b = mnext[v]
    swap(u, v, mprev, mnext)
    # what follows u up to v's place must now come after v, what precedes v down to u's
    # place before u
    nf = _reach(u, succ_ptr, succ_idx, mnext, pos, pos[v], True, mark, forward)
    nb = _reach(v, pred_ptr, pred_idx, mprev, pos, pos[u], False, mark, backward)
    moved = np.empty(nb + nf, dtype=np.int64)
    moved[:nb] = backward[:nb][np.argsort(pos[backward[:nb]])]
    moved[nb:] = forward[:nf][np.argsort(pos[forward[:nf]])]
    places = np.sort(pos[moved])
    for i in range(nb + nf):
        o = moved[i]
        mark[o] = 0
        order[places[i]] = o
        pos[o] = places[i]
    # heads change from v, u and b on (their machine predecessors changed), tails from u, v, a
    low, high = _flag(v, u, b, pos, mark)
    _propagate(head, release, duration, pred_ptr, pred_idx, mprev, succ_ptr, succ_idx, mnext,
               order, pos, mark, low, high, True, graph[8:])  # fmt: skip
    low, high = _flag(u, v, a, pos, mark)
    _propagate(tail, graph[7], duration, succ_ptr, succ_idx, mnext, pred_ptr, pred_idx, mprev,
               order, pos, mark, low, high, False, graph[8:])  # fmt: skip
    return _makespan(graph, head)


@_jit
def _reach(
    start: int,
    ptr: np.ndarray,
    idx: np.ndarray,
    link: np.ndarray,
    pos: np.ndarray,
    limit: int,
    forward: bool,
    mark: np.ndarray,
    found: np.ndarray,
) -> int:
    """Collect into ``found`` (and flag in ``mark``) ``start`` and what it reaches along
    routing arcs (``ptr``/``idx``) and machine arcs (``link``) without leaving the part of the
    order before ``limit`` (forward) or after it (backward); return how many."""
    count = 1
    found[0] = start
    mark[start] = 1
    k = 0
    while k < count:
        o = found[k]
        k += 1
        for i in range(ptr[o], ptr[o + 1] + 1):
            q = idx[i] if i < ptr[o + 1] else link[o]
            if q >= 0 and mark[q] == 0 and (pos[q] < limit if forward else pos[q] > limit):
                mark[q] = 1
                found[count] = q
                count += 1
    return count


@_jit
def _flag(
    first: int, second: int, third: int, pos: np.ndarray, dirty: np.ndarray
) -> tuple[int, int]:
    """Flag the given operations (``third`` may be -1); return their lowest and highest
    positions in the order."""
    low = min(pos[first], pos[second])
    high = max(pos[first], pos[second])
    dirty[first] = 1
    dirty[second] = 1
    if third >= 0:
        dirty[third] = 1
        low = min(low, pos[third])
        high = max(high, pos[third])
    return low, high


@_jit
def _propagate(
    values: np.ndarray,
    base: np.ndarray,
    duration: np.ndarray,
    in_ptr: np.ndarray,
    in_idx: np.ndarray,
    in_link: np.ndarray,
    out_ptr: np.ndarray,
    out_idx: np.ndarray,
    out_link: np.ndarray,
    order: np.ndarray,
    pos: np.ndarray,
    dirty: np.ndarray,
    low: int,
    high: int,
    forward: bool,
    changeovers: tuple[np.ndarray, ...],
) -> None:
    """Recompute the flagged ``values``: heads forward (``base`` the releases, arcs in from
    predecessors), or tails backward (``base`` zeros, arcs in from successors).

    Walks the order from ``low`` up (forward) or from ``high`` down (backward); an operation's
    value is ``base`` or the largest value plus duration of its in-neighbours (routing arcs
    ``in_ptr``/``in_idx`` and the machine arc ``in_link``). Where a value changes, its
    out-neighbours are flagged and the walk extends to reach them. Leaves all flags clear.
    ``changeovers`` is the end of ``graph`` (:mod:`~planner.scheduling.changeover_arcs`): a
    machine arc adds the changeover, a machine's first operation waits for its initial setup.
    """
    k = low if forward else high
    end = high if forward else low
    while k <= end if forward else k >= end:
        o = order[k]
        k += 1 if forward else -1
        if dirty[o] == 0:
            continue
        dirty[o] = 0
        value = base[o]
        for i in range(in_ptr[o], in_ptr[o + 1] + 1):
            p = in_idx[i] if i < in_ptr[o + 1] else in_link[o]
            if p >= 0:
                arc = values[p] + duration[p]
                if i == in_ptr[o + 1] and forward:  # the machine arc
                    arc += changeover(changeovers, p, o)
                elif i == in_ptr[o + 1]:
                    arc += changeover(changeovers, o, p)
                if arc > value:
                    value = arc
            elif forward:
                value = max(value, first_setup(changeovers, o))
        if value == values[o]:
            continue
        values[o] = value
        for i in range(out_ptr[o], out_ptr[o + 1] + 1):
            q = out_idx[i] if i < out_ptr[o + 1] else out_link[o]
            if q >= 0:
                dirty[q] = 1
                end = max(end, pos[q]) if forward else min(end, pos[q])


@_jit
def _tabu_until(u: int, v: int, tabu: np.ndarray) -> int:
    """The step until which the swap ``u``, ``v`` is tabu (-1 when it is not listed)."""
    until = -1
    for i in range(tabu.shape[0]):
        if tabu[i, 0] == u and tabu[i, 1] == v and tabu[i, 2] > until:
            until = tabu[i, 2]
    return int(until)


@_jit
def run_steps(
    graph: tuple[np.ndarray, ...],
    mprev: np.ndarray,
    mnext: np.ndarray,
    best_mprev: np.ndarray,
    best_mnext: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    work: np.ndarray,
    tabu: np.ndarray,
    state: np.ndarray,
    rng: np.ndarray,
    steps: int,
    floor: int,
    tenure: int,
    stall_steps: int,
    patience: int,
) -> int:
    """Make up to ``steps`` tabu steps from the state left by the previous call.

    On entry and on return, ``head``, ``tail``, the order in ``work`` and ``state[MAKESPAN]``
    describe the current sequences. ``tabu`` holds rows (u, v, step until which undoing the
    swap of u before v is tabu), used as a ring.
    """
    path = work[PATH]
    block_start = work[BLOCK_START]
    move_u = work[MOVE_U]
    move_v = work[MOVE_V]
    slots = tabu.shape[0]
    for _ in range(steps):
        makespan = state[MAKESPAN]
        if makespan <= floor:
            return AT_FLOOR
        state[STEPS] += 1
        step = state[STEPS]
        length = critical_path(graph, mprev, head, tail, makespan, path)
        count = blocks(path, length, mprev, block_start)
        moves = n5_moves(path, block_start, count, move_u, move_v, graph)
        if moves == 0:
            return NO_MOVES  # every critical block is a single operation: the makespan is optimal
        chosen = -1
        chosen_value = 0
        chosen_key = 0
        fallback = -1
        fallback_until = 0
        for m in range(moves):
            u = move_u[m]
            v = move_v[m]
            value = swap_estimate(u, v, graph, mprev, mnext, head, tail)
            until = _tabu_until(v, u, tabu)
            key = _random(rng)
            if (until < step or value < state[BEST]) and (
                chosen < 0 or value < chosen_value or (value == chosen_value and key < chosen_key)
            ):
                chosen = m
                chosen_value = value
                chosen_key = key
            if fallback < 0 or until < fallback_until:
                fallback = m
                fallback_until = until
        if chosen < 0:
            chosen = fallback
        u = move_u[chosen]
        v = move_v[chosen]
        slot = state[TABU_NEXT]
        tabu[slot, 0] = u
        tabu[slot, 1] = v
        tabu[slot, 2] = step + tenure + _random(rng) % tenure
        state[TABU_NEXT] = (slot + 1) % slots
        makespan = swap_and_update(u, v, graph, mprev, mnext, head, tail, work)
        state[MAKESPAN] = makespan
        if makespan < state[BEST]:
            state[BEST] = makespan
            best_mprev[:] = mprev
            best_mnext[:] = mnext
            state[IMPROVEMENTS] += 1
            state[SINCE_BEST] = 0
            state[FRUITLESS] = 0
            continue
        state[SINCE_BEST] += 1
        if state[SINCE_BEST] >= stall_steps:
            state[SINCE_BEST] = 0
            state[RESTARTS] += 1
            state[FRUITLESS] += 1
            if state[FRUITLESS] > patience:
                return PATIENCE_SPENT
            mprev[:] = best_mprev
            mnext[:] = best_mnext
            tabu[:, 2] = -1
            makespan = _perturb(graph, mprev, mnext, head, tail, work, rng)
            if makespan < 0:
                return CYCLE
            state[MAKESPAN] = makespan
    return CHUNK_DONE


@_jit
def _perturb(
    graph: tuple[np.ndarray, ...],
    mprev: np.ndarray,
    mnext: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    work: np.ndarray,
    rng: np.ndarray,
) -> int:
    """A few random swaps inside critical blocks (each keeps the sequences acyclic: a draw
    that falls on two steps of one job is skipped); returns the makespan after them, with
    heads, tails and order filled (-1 on a cycle)."""
    path = work[PATH]
    block_start = work[BLOCK_START]
    long_blocks = work[MOVE_U]
    makespan = evaluate(graph, mprev, mnext, head, tail, work)
    if makespan < 0:
        return makespan
    swaps = 2 + _random(rng) % 4
    for _ in range(swaps):
        length = critical_path(graph, mprev, head, tail, makespan, path)
        count = blocks(path, length, mprev, block_start)
        candidates = 0
        for b in range(count):
            if block_start[b + 1] - block_start[b] > 1:
                long_blocks[candidates] = b
                candidates += 1
        if candidates == 0:
            break
        b = long_blocks[_random(rng) % candidates]
        s = block_start[b]
        k = s + _random(rng) % (block_start[b + 1] - s - 1)
        if not routed(path[k], path[k + 1], graph):
            makespan = swap_and_update(path[k], path[k + 1], graph, mprev, mnext, head, tail,
                                       work)  # fmt: skip
    return makespan


@functools.cache
def compile_kernels() -> None:
    """Compile every kernel (or load it from Numba's on-disk cache) with the types the search
    uses: about ten seconds once per installation, a fraction of a second from the cache
    afterwards, nothing on later calls in the same process. :func:`planner.scheduling.solve`
    calls it before its clock starts, so that no solve pays for compilation in its budget;
    without it the first call of a kernel compiles it."""
    empty = np.zeros(0, dtype=np.int64)
    ptr = np.zeros(3, dtype=np.int64)
    one = np.ones(2, dtype=np.int64)
    zeros = np.zeros(2, dtype=np.int64)
    graph = (one, zeros, ptr, empty, ptr, empty, np.arange(2), zeros)
    mprev = np.array([-1, 0], dtype=np.int64)
    mnext = np.array([1, -1], dtype=np.int64)
    head = np.zeros(2, dtype=np.int64)
    tail = np.zeros(2, dtype=np.int64)
    work = np.zeros((WORK_ROWS, 3), dtype=np.int64)
    evaluate(graph, mprev, mnext, head, tail, work)
    state = np.zeros(STATE_SIZE, dtype=np.int64)
    state[MAKESPAN] = state[BEST] = 2
    tabu = np.full((2, 3), -1, dtype=np.int64)
    rng = np.ones(1, dtype=np.uint64)
    run_steps(graph, mprev, mnext, mprev.copy(), mnext.copy(), head, tail, work, tabu, state, rng,
              1, 0, 1, 1, 1)  # fmt: skip
