"""The critical path of a schedule and the swaps on it, for the compiled critical-path
searches (:mod:`planner.scheduling.tabu_kernel`, :mod:`planner.scheduling.reroute_kernel`).

``graph`` is the kernels' tuple (see :mod:`planner.scheduling.tabu_kernel`); heads are earliest
starts and tails the longest paths after each operation's end. A *critical block* is a run of
operations of one critical path on one machine; the N5 neighbourhood (Nowicki and Smutnicki,
1996) swaps the first two and the last two of each block, and Taillard's (1994) estimate of a
swap's makespan reads the heads and tails around it (with the changeovers it makes, on a shop
with changeovers: :mod:`planner.scheduling.changeover_arcs`).
"""

from __future__ import annotations

import numpy as np

from planner.jit import jit as _jit
from planner.scheduling.changeover_arcs import changeover, first_setup


@_jit
def critical_path(
    graph: tuple[np.ndarray, ...],
    mprev: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    makespan: int,
    path: np.ndarray,
) -> int:
    """Write one critical path, from its start to its end, into ``path``; return its length."""
    duration, pred_ptr, pred_idx, sinks = graph[0], graph[2], graph[3], graph[6]
    o = sinks[0]
    for c in sinks:
        if head[c] + duration[c] == makespan and tail[c] == 0:
            o = c
            break
    length = 0
    path[length] = o
    length += 1
    while True:
        p = mprev[o]
        if p >= 0 and head[p] + duration[p] + changeover(graph[8:], p, o) == head[o]:
            o = p
        else:
            nxt = -1
            for i in range(pred_ptr[o], pred_ptr[o + 1]):
                q = pred_idx[i]
                if head[q] + duration[q] == head[o]:
                    nxt = q
                    break
            if nxt < 0:
                break
            o = nxt
        path[length] = o
        length += 1
    path[:length] = path[:length][::-1].copy()
    return length


@_jit
def blocks(path: np.ndarray, length: int, mprev: np.ndarray, block_start: np.ndarray) -> int:
    """Split the path into critical blocks (runs on one machine); ``block_start[b]`` is the
    position where block ``b`` begins and ``block_start[count]`` is ``length``."""
    count = 1
    block_start[0] = 0
    for k in range(1, length):
        if mprev[path[k]] != path[k - 1]:
            block_start[count] = k
            count += 1
    block_start[count] = length
    return count


@_jit
def n5_moves(
    path: np.ndarray,
    block_start: np.ndarray,
    count: int,
    move_u: np.ndarray,
    move_v: np.ndarray,
    graph: tuple[np.ndarray, ...],
) -> int:
    """N5 swaps: the first two and the last two operations of each block, except the first
    two of the first block and the last two of the last block, and never two steps of one
    job (:func:`routed`)."""
    moves = 0
    last = count - 1
    for b in range(count):
        s = block_start[b]
        e = block_start[b + 1] - 1
        size = e - s + 1
        if size < 2:
            continue
        if b > 0 and not routed(path[s], path[s + 1], graph):
            move_u[moves] = path[s]
            move_v[moves] = path[s + 1]
            moves += 1
        if b < last and (size > 2 or b == 0) and not routed(path[e - 1], path[e], graph):
            move_u[moves] = path[e - 1]
            move_v[moves] = path[e]
            moves += 1
    return moves


@_jit
def routed(u: int, v: int, graph: tuple[np.ndarray, ...]) -> bool:
    """Whether ``v`` follows ``u`` in its routing: two steps of a job in a row on one machine
    (a job that visits a machine twice in a row, or machine choice); swapping them would
    close a cycle, which the N5 argument (Nowicki and Smutnicki) does not consider."""
    succ_ptr, succ_idx = graph[4], graph[5]
    for i in range(succ_ptr[u], succ_ptr[u + 1]):  # noqa: SIM110 (a loop Numba compiles)
        if succ_idx[i] == v:
            return True
    return False


@_jit
def swap_estimate(
    u: int,
    v: int,
    graph: tuple[np.ndarray, ...],
    mprev: np.ndarray,
    mnext: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
) -> int:
    """Taillard's estimate of the makespan after swapping adjacent ``u`` then ``v`` (with
    the changeovers the swap makes, where the shop has them)."""
    duration, release, pred_ptr, pred_idx, succ_ptr, succ_idx = graph[:6]
    a = mprev[u]
    b = mnext[v]
    rv = release[v]
    for i in range(pred_ptr[v], pred_ptr[v + 1]):
        p = pred_idx[i]
        rv = max(rv, head[p] + duration[p])
    # the changeovers after the swap (a -> v -> u -> b)
    into_v = changeover(graph[8:], a, v) if a >= 0 else first_setup(graph[8:], v)
    into_u = changeover(graph[8:], v, u)
    out_u = changeover(graph[8:], u, b) if b >= 0 else 0
    rv = max(rv, head[a] + duration[a] + into_v if a >= 0 else into_v)
    ru = max(release[u], rv + duration[v] + into_u)
    for i in range(pred_ptr[u], pred_ptr[u + 1]):
        p = pred_idx[i]
        ru = max(ru, head[p] + duration[p])
    qu = 0
    for i in range(succ_ptr[u], succ_ptr[u + 1]):
        q = succ_idx[i]
        qu = max(qu, tail[q] + duration[q])
    if b >= 0:
        qu = max(qu, tail[b] + duration[b] + out_u)
    qv = qu + duration[u] + into_u
    for i in range(succ_ptr[v], succ_ptr[v + 1]):
        q = succ_idx[i]
        qv = max(qv, tail[q] + duration[q])
    return int(max(rv + duration[v] + qv, ru + duration[u] + qu))


@_jit
def swap(u: int, v: int, mprev: np.ndarray, mnext: np.ndarray) -> None:
    """Swap ``u`` and its machine successor ``v`` in the machine's linked list."""
    a = mprev[u]
    b = mnext[v]
    if a >= 0:
        mnext[a] = v
    mprev[v] = a
    mnext[v] = u
    mprev[u] = v
    mnext[u] = b
    if b >= 0:
        mprev[b] = u
