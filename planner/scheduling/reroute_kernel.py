"""The compiled steps of the rerouting tabu search (see :mod:`planner.scheduling.reroute`).

It extends the classical kernel (:mod:`planner.scheduling.tabu_kernel` and
:mod:`planner.scheduling.critical_blocks`, whose heads, tails, critical path, blocks, swap
estimate and perturbation it calls, with changeovers where the shop has them) with machine
choice: each
operation's ``machine`` and ``duration`` change when it moves, and ``mfirst`` holds each
machine's first operation (-1 when it has none). ``options`` is the tuple (opt_ptr,
opt_machine, opt_duration): the eligible machines of each operation in CSR form.

A step collects two kinds of candidate moves and ranks them by an estimate: the N5 swaps of
the classical search (Taillard's estimate), and *reroutes*, each critical operation moved to
another eligible machine at the position there where the longest path through it is shortest
(the estimate of Mastrolilli and Gambardella, 2000: the later of its routing predecessors'
ends and its new machine predecessor's end, plus its duration there, plus the longer of the
tails after its routing successors and its new machine successor, each with the changeover
it makes there). The few best admissible
candidates are then evaluated exactly, and the best of them is made.
"""

from __future__ import annotations

import numpy as np

from planner.jit import jit as _jit
from planner.scheduling import critical_blocks as cb
from planner.scheduling import tabu_kernel as tk
from planner.scheduling.changeover_arcs import changeover_on, first_setup_on
from planner.scheduling.jit import random53 as _random

REROUTES = tk.STATE_SIZE  # state index: reroutes made
STATE_SIZE = tk.STATE_SIZE + 1

SWAP = 0
REROUTE = 1

# rows of the candidate array (int64, one column per candidate)
KIND = 0
FIRST = 1  # the swap's u, or the rerouted operation
SECOND = 2  # the swap's v, or the new machine
AFTER = 3  # a reroute's new machine predecessor (-1: first on the machine)
ESTIMATE = 4
KEY = 5  # a random tie-break
CANDIDATE_ROWS = 6


@_jit
def _unlink(
    v: int, machine: np.ndarray, mprev: np.ndarray, mnext: np.ndarray, mfirst: np.ndarray
) -> None:
    a = mprev[v]
    b = mnext[v]
    if a >= 0:
        mnext[a] = b
    else:
        mfirst[machine[v]] = b
    if b >= 0:
        mprev[b] = a
    mprev[v] = -1
    mnext[v] = -1


@_jit
def _link(v: int, k: int, u: int, mprev: np.ndarray, mnext: np.ndarray, mfirst: np.ndarray) -> None:
    """Insert ``v`` on machine ``k`` after ``u`` (first when ``u`` is -1)."""
    w = mnext[u] if u >= 0 else mfirst[k]
    mprev[v] = u
    mnext[v] = w
    if u >= 0:
        mnext[u] = v
    else:
        mfirst[k] = v
    if w >= 0:
        mprev[w] = v


@_jit
def reroute(
    v: int,
    k: int,
    u: int,
    d: int,
    machine: np.ndarray,
    duration: np.ndarray,
    mprev: np.ndarray,
    mnext: np.ndarray,
    mfirst: np.ndarray,
) -> tuple[int, int, int]:
    """Move ``v`` to machine ``k`` after ``u``, running ``d``; returns what undoes it (the old
    machine, machine predecessor and duration, for another call)."""
    old = (machine[v], mprev[v], duration[v])
    _unlink(v, machine, mprev, mnext, mfirst)
    machine[v] = k
    duration[v] = d
    _link(v, k, u, mprev, mnext, mfirst)
    return old


@_jit
def _duration_on(v: int, k: int, options: tuple[np.ndarray, ...]) -> int:
    opt_ptr, opt_machine, opt_duration = options
    for i in range(opt_ptr[v], opt_ptr[v + 1]):
        if opt_machine[i] == k:
            return int(opt_duration[i])
    return -1


@_jit
def _best_position(
    v: int,
    k: int,
    d: int,
    graph: tuple[np.ndarray, ...],
    mnext: np.ndarray,
    mfirst: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
) -> tuple[int, int]:
    """``(estimate, u)``: where on machine ``k`` (after ``u``, -1 for first) the longest
    path through ``v`` would be shortest (with the changeovers into and out of ``v`` there),
    among positions that cannot close a cycle (judged by heads: nothing after a routing
    successor, nothing before a routing predecessor); the estimate is -1 when no position
    qualifies."""
    duration, release, pred_ptr, pred_idx, succ_ptr, succ_idx = graph[:6]
    ready = release[v]
    for i in range(pred_ptr[v], pred_ptr[v + 1]):
        p = pred_idx[i]
        ready = max(ready, head[p] + duration[p])
    after = 0
    for i in range(succ_ptr[v], succ_ptr[v + 1]):
        s = succ_idx[i]
        after = max(after, duration[s] + tail[s])
    best = -1
    best_u = -1
    u = -1
    w = mfirst[k]
    while True:
        fits = True
        if u >= 0:
            for i in range(succ_ptr[v], succ_ptr[v + 1]):
                s = succ_idx[i]
                if u == s or head[u] >= head[s] + duration[s]:
                    fits = False
        if fits and w >= 0:
            for i in range(pred_ptr[v], pred_ptr[v + 1]):
                p = pred_idx[i]
                if w == p or head[p] >= head[w] + duration[w]:
                    fits = False
        if fits:
            if u < 0:
                start = max(ready, first_setup_on(graph[8:], k, v))
            else:
                start = max(ready, head[u] + duration[u] + changeover_on(graph[8:], k, u, v))
            if w < 0:
                end_after = after
            else:
                end_after = max(after, changeover_on(graph[8:], k, v, w) + duration[w] + tail[w])
            value = start + d + end_after
            if best < 0 or value < best:
                best = value
                best_u = u
        if w < 0:
            break
        u = w
        w = mnext[w]
    return best, best_u


@_jit
def _candidates(
    path: np.ndarray,
    length: int,
    count: int,
    graph: tuple[np.ndarray, ...],
    options: tuple[np.ndarray, ...],
    machine: np.ndarray,
    mprev: np.ndarray,
    mnext: np.ndarray,
    mfirst: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    work: np.ndarray,
    cand: np.ndarray,
    rng: np.ndarray,
) -> int:
    """Fill ``cand`` with the N5 swaps and the reroutes of the critical path; return how
    many."""
    opt_ptr, opt_machine, opt_duration = options
    moves = cb.n5_moves(path, work[tk.BLOCK_START], count, work[tk.MOVE_U], work[tk.MOVE_V], graph)
    total = 0
    for i in range(moves):
        u = work[tk.MOVE_U][i]
        v = work[tk.MOVE_V][i]
        cand[KIND, total] = SWAP
        cand[FIRST, total] = u
        cand[SECOND, total] = v
        cand[AFTER, total] = -1
        cand[ESTIMATE, total] = cb.swap_estimate(u, v, graph, mprev, mnext, head, tail)
        cand[KEY, total] = _random(rng)
        total += 1
    for j in range(length):
        v = path[j]
        for i in range(opt_ptr[v], opt_ptr[v + 1]):
            k = opt_machine[i]
            if k == machine[v]:
                continue
            value, u = _best_position(v, k, opt_duration[i], graph, mnext, mfirst, head, tail)
            if value < 0:
                continue
            cand[KIND, total] = REROUTE
            cand[FIRST, total] = v
            cand[SECOND, total] = k
            cand[AFTER, total] = u
            cand[ESTIMATE, total] = value
            cand[KEY, total] = _random(rng)
            total += 1
    return total


@_jit
def _apply(
    c: int,
    cand: np.ndarray,
    graph: tuple[np.ndarray, ...],
    options: tuple[np.ndarray, ...],
    machine: np.ndarray,
    mprev: np.ndarray,
    mnext: np.ndarray,
    mfirst: np.ndarray,
) -> tuple[int, int, int]:
    """Make candidate ``c``; returns what :func:`_undo` needs."""
    v = cand[FIRST, c]
    if cand[KIND, c] == SWAP:
        u, w = v, cand[SECOND, c]
        cb.swap(u, w, mprev, mnext)
        if mprev[w] < 0:
            mfirst[machine[w]] = w
        return (-1, -1, -1)
    k = cand[SECOND, c]
    d = _duration_on(v, k, options)
    return reroute(v, k, cand[AFTER, c], d, machine, graph[0], mprev, mnext, mfirst)


@_jit
def _undo(
    c: int,
    cand: np.ndarray,
    old: tuple[int, int, int],
    graph: tuple[np.ndarray, ...],
    machine: np.ndarray,
    mprev: np.ndarray,
    mnext: np.ndarray,
    mfirst: np.ndarray,
) -> None:
    if cand[KIND, c] == SWAP:
        u, w = cand[FIRST, c], cand[SECOND, c]
        cb.swap(w, u, mprev, mnext)  # w now precedes u: swap them back
        if mprev[u] < 0:
            mfirst[machine[u]] = u
        return
    reroute(cand[FIRST, c], old[0], old[1], old[2], machine, graph[0], mprev, mnext, mfirst)


@_jit
def _admissible(c: int, cand: np.ndarray, tabu: np.ndarray, step: int, best: int) -> int:
    """The step until which candidate ``c`` is tabu, or -1 when it may be made (not tabu, or
    its estimate beats the best makespan)."""
    if cand[KIND, c] == SWAP:
        until = tk._tabu_until(cand[SECOND, c], cand[FIRST, c], tabu)
    else:
        until = tk._tabu_until(cand[FIRST, c], -1 - cand[SECOND, c], tabu)
    if until < step or cand[ESTIMATE, c] < best:
        return -1
    return until


@_jit
def _choose(
    total: int,
    cand: np.ndarray,
    tabu: np.ndarray,
    state: np.ndarray,
    exact: int,
    graph: tuple[np.ndarray, ...],
    options: tuple[np.ndarray, ...],
    machine: np.ndarray,
    mprev: np.ndarray,
    mnext: np.ndarray,
    mfirst: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    work: np.ndarray,
) -> int:
    """The candidate to make: of the ``exact`` admissible ones with the best estimates, the
    one with the best exact makespan (each made, timed and undone); the least tabu one when
    none is admissible; -1 when every one closes a cycle."""
    step = state[tk.STEPS]
    rank = np.argsort(cand[ESTIMATE, :total] * 4 + (cand[KEY, :total] & 3))
    chosen = -1
    chosen_value = 0
    tried = 0
    fallback = -1
    fallback_until = 0
    for r in range(total):
        c = rank[r]
        until = _admissible(c, cand, tabu, step, state[tk.BEST])
        if until >= 0:
            if fallback < 0 or until < fallback_until:
                fallback = c
                fallback_until = until
            continue
        old = _apply(c, cand, graph, options, machine, mprev, mnext, mfirst)
        value = tk.evaluate(graph, mprev, mnext, head, tail, work)
        _undo(c, cand, old, graph, machine, mprev, mnext, mfirst)
        if value < 0:
            continue
        if chosen < 0 or value < chosen_value:
            chosen = c
            chosen_value = value
        tried += 1
        if tried >= exact:
            break
    if chosen < 0:
        chosen = fallback
    return chosen


@_jit
def run_steps(
    graph: tuple[np.ndarray, ...],
    options: tuple[np.ndarray, ...],
    machine: np.ndarray,
    mprev: np.ndarray,
    mnext: np.ndarray,
    mfirst: np.ndarray,
    best: tuple[np.ndarray, ...],
    head: np.ndarray,
    tail: np.ndarray,
    work: np.ndarray,
    cand: np.ndarray,
    tabu: np.ndarray,
    state: np.ndarray,
    rng: np.ndarray,
    settings: tuple[int, int, int, int, int, int],
) -> int:
    """Make up to ``settings[0]`` steps from the state left by the previous call.

    ``settings`` is (steps, floor, tenure, stall steps, patience, exact evaluations per
    step); ``best`` is (machine, duration, mprev, mnext, mfirst) of the best schedule found.
    On entry and on return, ``head``, ``tail`` and the order in ``work`` describe the
    current schedule and ``state[MAKESPAN]`` is its makespan.
    """
    steps, floor, tenure, stall_steps, patience, exact = settings
    path = work[tk.PATH]
    slots = tabu.shape[0]
    for _ in range(steps):
        makespan = state[tk.MAKESPAN]
        if makespan <= floor:
            return tk.AT_FLOOR
        state[tk.STEPS] += 1
        step = state[tk.STEPS]
        length = cb.critical_path(graph, mprev, head, tail, makespan, path)
        count = cb.blocks(path, length, mprev, work[tk.BLOCK_START])
        total = _candidates(path, length, count, graph, options, machine, mprev, mnext, mfirst,
                            head, tail, work, cand, rng)  # fmt: skip
        chosen = -1
        if total > 0:
            chosen = _choose(total, cand, tabu, state, exact, graph, options, machine, mprev,
                             mnext, mfirst, head, tail, work)  # fmt: skip
        if chosen < 0:
            return tk.NO_MOVES  # a single critical operation per block, none can move
        slot = state[tk.TABU_NEXT]
        if cand[KIND, chosen] == SWAP:
            tabu[slot, 0] = cand[FIRST, chosen]
            tabu[slot, 1] = cand[SECOND, chosen]
        else:
            tabu[slot, 0] = cand[FIRST, chosen]
            tabu[slot, 1] = -1 - machine[cand[FIRST, chosen]]  # moving back is tabu
            state[REROUTES] += 1
        tabu[slot, 2] = step + tenure + _random(rng) % tenure
        state[tk.TABU_NEXT] = (slot + 1) % slots
        _apply(chosen, cand, graph, options, machine, mprev, mnext, mfirst)
        makespan = tk.evaluate(graph, mprev, mnext, head, tail, work)
        if makespan < 0:
            return tk.CYCLE
        state[tk.MAKESPAN] = makespan
        if makespan < state[tk.BEST]:
            state[tk.BEST] = makespan
            _save(best, machine, graph[0], mprev, mnext, mfirst)
            state[tk.IMPROVEMENTS] += 1
            state[tk.SINCE_BEST] = 0
            state[tk.FRUITLESS] = 0
            continue
        state[tk.SINCE_BEST] += 1
        if state[tk.SINCE_BEST] >= stall_steps:
            state[tk.SINCE_BEST] = 0
            state[tk.RESTARTS] += 1
            state[tk.FRUITLESS] += 1
            if state[tk.FRUITLESS] > patience:
                return tk.PATIENCE_SPENT
            _restore(best, machine, graph[0], mprev, mnext, mfirst)
            tabu[:, 2] = -1
            makespan = tk._perturb(graph, mprev, mnext, head, tail, work, rng)
            if makespan < 0:
                return tk.CYCLE
            _first_of_each(machine, mprev, mfirst)
            state[tk.MAKESPAN] = makespan
    return tk.CHUNK_DONE


@_jit
def _save(
    best: tuple[np.ndarray, ...],
    machine: np.ndarray,
    duration: np.ndarray,
    mprev: np.ndarray,
    mnext: np.ndarray,
    mfirst: np.ndarray,
) -> None:
    best[0][:] = machine
    best[1][:] = duration
    best[2][:] = mprev
    best[3][:] = mnext
    best[4][:] = mfirst


@_jit
def _restore(
    best: tuple[np.ndarray, ...],
    machine: np.ndarray,
    duration: np.ndarray,
    mprev: np.ndarray,
    mnext: np.ndarray,
    mfirst: np.ndarray,
) -> None:
    machine[:] = best[0]
    duration[:] = best[1]
    mprev[:] = best[2]
    mnext[:] = best[3]
    mfirst[:] = best[4]


@_jit
def _first_of_each(machine: np.ndarray, mprev: np.ndarray, mfirst: np.ndarray) -> None:
    """Each machine's first operation again, after swaps that may have changed it."""
    mfirst[:] = -1
    for o in range(machine.shape[0]):
        if mprev[o] < 0:
            mfirst[machine[o]] = o
