"""Timing a solution of the flexible tabu search, compiled (see
:mod:`planner.scheduling.flexible_kernel` for the array layout).

The evaluation times a solution exactly as the checker reads it: each operation starts at the
earliest minute after its routing predecessors, its job's release and its machine
predecessor plus the changeover, where changeover and operation together fit between the
machine's unavailable windows (a semi-active schedule), in topological order of routing and
machine arcs; a cycle or a plan past the horizon scores infinity. A pinned operation starts at
its pin or the plan is infeasible; re-planning, an operation on its previous machine starts
no earlier than its previous start less the tolerance unless its hold is released
(:func:`_ready`, :mod:`planner.scheduling.flexible_holds`). Under shared
capacity the pass is :func:`_propagate_shared`. A candidate move is timed
incrementally (:func:`retime`): only the moved operation, its old machine successor and what
follows them are re-timed (measured on the 10,000-operation factory: 1,609 steps in 20 s
against 1,117 with a full pass per move; a move early in the plan still re-times most of it).
"""

from __future__ import annotations

import numpy as np

from planner.jit import jit
from planner.scheduling.flexible_resources import (
    _pop,
    _push,
    calendar_fit,
    fit_shared,
    give_back,
    shared_capacity,
)

Arrays = tuple[np.ndarray, ...]

INFEASIBLE = 1e300


MAX_HOLD_ROUNDS = 20
"""With maximum lags: how often :func:`evaluate` holds predecessors back and times again."""


@jit
def evaluate(problem: Arrays, solution: Arrays, timing: Arrays) -> float:
    """Time ``solution`` into ``timing`` and return its objective: semi-active, but with
    maximum lags each predecessor that ended too early is held back (``timing[8]``, the
    earliest start it is held to) until every maximum lag holds; if that fails from no holds,
    once more from the holds of the last evaluation (which the incremental re-timing kept)."""
    if problem[22].shape[0] == 0:
        return _evaluate_once(problem, solution, timing)
    hold, saved = timing[8], timing[9]
    saved[:] = hold
    hold[:] = 0
    value = _evaluate_holding(problem, solution, timing)
    if value >= INFEASIBLE:
        hold[:] = saved
        value = _evaluate_holding(problem, solution, timing)
    return value


@jit
def _evaluate_holding(problem: Arrays, solution: Arrays, timing: Arrays) -> float:
    for _ in range(MAX_HOLD_ROUNDS):
        value = _evaluate_once(problem, solution, timing)
        if value >= INFEASIBLE or not _hold_back(problem, timing):
            return value
    return INFEASIBLE


@jit
def _hold_back(problem: Arrays, timing: Arrays) -> bool:
    """Hold back each predecessor that ends more than its successor's maximum lag before the
    successor starts, so that it ends just in time; whether any was."""
    pred_ptr, pred_idx, max_lag, link = problem[2], problem[3], problem[22], problem[23]
    start, end, hold = timing[0], timing[1], timing[8]
    changed = False
    for o in range(max_lag.shape[0]):
        if max_lag[o] < 0:
            continue
        for k in range(pred_ptr[o], pred_ptr[o + 1]):
            p = pred_idx[k]
            if link[k] < 0 and start[o] > end[p] + max_lag[o]:
                need = start[o] - max_lag[o] - (end[p] - start[p])
                if need > hold[p]:
                    hold[p] = need
                    changed = True
    return changed


@jit
def _evaluate_once(problem: Arrays, solution: Arrays, timing: Arrays) -> float:
    """Time ``solution`` semi-actively (after the holds) into ``timing``."""
    pred_ptr, mprev = problem[2], solution[2]
    order, indegree, total, mark = timing[3], timing[4], timing[6], timing[7]
    n = pred_ptr.shape[0] - 1
    total[1] += 1
    stamp = total[1]
    tail = 0
    for o in range(n):
        mark[o] = stamp
        indegree[o] = pred_ptr[o + 1] - pred_ptr[o] + (1 if mprev[o] >= 0 else 0)
        if indegree[o] == 0:
            order[tail] = o
            tail += 1
    if shared_capacity(problem):
        timed = _propagate_shared(problem, solution, timing, tail)
    else:
        timed = _propagate(problem, solution, timing, tail, stamp)
    if timed < n:
        return INFEASIBLE  # the machine sequences contradict the routings
    return _score(problem, solution, timing)


@jit
def retime(
    problem: Arrays, solution: Arrays, timing: Arrays, work: np.ndarray, o: int, was_next: int
) -> float:
    """The objective after ``o`` moved (already linked at its new place; ``was_next`` followed
    it on its old machine), re-timing only what the move can change: ``o``, ``was_next`` and
    everything after them in routing and machine order. Everything else keeps its times, as
    they depend only on unchanged predecessors. ``timing`` is restored before returning, but
    for the completions and the total it derived."""
    if shared_capacity(problem):
        return _retime_fully(problem, solution, timing, work)
    succ_ptr, succ_idx = problem[4], problem[5]
    mnext = solution[3]
    start, end, setup_before, order, indegree, _, total, mark = timing[:8]
    affected, saved_start, saved_end, saved_setup = work[3], work[4], work[5], work[6]
    total[1] += 1
    stamp = total[1]
    count = 0
    for seed in (o, was_next):
        if seed >= 0 and mark[seed] != stamp:
            mark[seed] = stamp
            indegree[seed] = 0
            affected[count] = seed
            count += 1
    head = 0
    while head < count:
        u = affected[head]
        head += 1
        for k in range(succ_ptr[u], succ_ptr[u + 1] + 1):
            q = succ_idx[k] if k < succ_ptr[u + 1] else mnext[u]
            if q < 0:
                continue
            if mark[q] != stamp:
                mark[q] = stamp
                indegree[q] = 0
                affected[count] = q
                count += 1
            indegree[q] += 1
    tail = 0
    for x in range(count):
        q = affected[x]
        saved_start[x], saved_end[x], saved_setup[x] = start[q], end[q], setup_before[q]
        if indegree[q] == 0:
            order[tail] = q
            tail += 1
    value = INFEASIBLE  # a cycle runs through o: some affected operation stays untimed
    if _propagate(problem, solution, timing, tail, stamp) == count and _within_max_lags(
        problem, timing, affected, count
    ):
        value = _score(problem, solution, timing)
    for x in range(count):
        q = affected[x]
        start[q], end[q], setup_before[q] = saved_start[x], saved_end[x], saved_setup[x]
    return value


@jit
def _retime_fully(problem: Arrays, solution: Arrays, timing: Arrays, work: np.ndarray) -> float:
    """As :func:`retime`, by a full pass (under shared capacity a move may change what is
    free for any operation timed after it)."""
    start, end, setup_before = timing[0], timing[1], timing[2]
    saved_start, saved_end, saved_setup = work[4], work[5], work[6]
    saved_start[:] = start
    saved_end[:] = end
    saved_setup[:] = setup_before
    value = evaluate(problem, solution, timing)
    start[:] = saved_start
    end[:] = saved_end
    setup_before[:] = saved_setup
    return value


@jit
def _within_max_lags(problem: Arrays, timing: Arrays, affected: np.ndarray, count: int) -> bool:
    """Whether every re-timed operation starts within the maximum lag of its predecessors
    (the holds stay as they were: a move that needs others is not made)."""
    max_lag = problem[22]
    if max_lag.shape[0] == 0:
        return True
    pred_ptr, pred_idx = problem[2], problem[3]
    start, end = timing[0], timing[1]
    for x in range(count):
        q = affected[x]
        if max_lag[q] < 0:
            continue
        for k in range(pred_ptr[q], pred_ptr[q + 1]):
            if problem[23][k] < 0 and start[q] > end[pred_idx[k]] + max_lag[q]:
                return False
    return True


@jit
def _ready(problem: Arrays, solution: Arrays, timing: Arrays, o: int) -> tuple[int, int]:
    """The earliest start of ``o`` that its timed routing and machine predecessors, its
    release and its hold allow, and the changeover before it. A pinned operation waits for
    its pin; re-planning against a previous plan, an operation on its previous machine waits
    for its previous start less the tolerance (semi-active timing would move it otherwise),
    unless that hold is released (``solution[5]``).
    """
    release, family, pred_ptr, pred_idx = problem[:4]
    setup, initial = problem[9], problem[10]
    pin = problem[26]
    machine, duration, mprev = solution[0], solution[1], solution[2]
    start, end, hold = timing[0], timing[1], timing[8]
    m = machine[o]
    d = duration[o]
    t = max(release[o], hold[o])
    for k in range(pred_ptr[o], pred_ptr[o + 1]):
        q = pred_idx[k]
        after = arc_start(problem, o, k, start[q], end[q], d)
        if after > t:
            t = after
    p = mprev[o]
    if p >= 0:
        su = setup[m, family[p], family[o]]
        if end[p] + su > t:
            t = end[p] + su
    else:
        su = initial[m, family[o]]
        if su > t:
            t = su
    if pin[o] >= 0:
        t = max(t, pin[o])
    return max(t, hold_start(problem, solution, o)), su


NOT_HELD = -(1 << 62)
"""What :func:`hold_start` returns for an operation that is not held (below any start)."""


@jit
def hold_start(problem: Arrays, solution: Arrays, o: int) -> int:
    """The minute re-planning holds ``o`` to: its previous start less the tolerance, where it
    is on its previous machine, not pinned and its hold not released (``solution[5]``);
    else :data:`NOT_HELD`."""
    if problem[26][o] >= 0 or problem[27][o] != solution[0][o] or solution[5][o] != 0:
        return NOT_HELD
    return int(problem[28][o] - problem[19][1])


@jit
def _propagate(problem: Arrays, solution: Arrays, timing: Arrays, tail: int, stamp: int) -> int:
    """Time the operations marked ``stamp``, from the ready ones in ``timing[3][:tail]`` on,
    each after its routing and machine predecessors (Kahn's order; ``timing[4]`` counts the
    marked predecessors not yet timed). Returns how many were timed. A pinned operation that
    cannot start at its pin is put past the horizon (infeasible)."""
    succ_ptr, succ_idx = problem[4], problem[5]
    pin, horizon = problem[26], problem[19][0]
    machine, duration, mnext = solution[0], solution[1], solution[3]
    start, end, setup_before, order, indegree = timing[:5]
    mark = timing[7]
    head = 0
    while head < tail:
        o = order[head]
        head += 1
        d = duration[o]
        t, su = _ready(problem, solution, timing, o)
        t = calendar_fit(problem, machine[o], t, su, d)
        if pin[o] >= 0 and t != pin[o]:
            t = horizon + 1
        start[o] = t
        end[o] = t + d
        setup_before[o] = su
        for k in range(succ_ptr[o], succ_ptr[o + 1] + 1):
            q = succ_idx[k] if k < succ_ptr[o + 1] else mnext[o]
            if q >= 0 and mark[q] == stamp:
                indegree[q] -= 1
                if indegree[q] == 0:
                    order[tail] = q
                    tail += 1
    return tail


@jit
def _propagate_shared(problem: Arrays, solution: Arrays, timing: Arrays, ready: int) -> int:
    """Time every operation under shared capacity (see
    :mod:`planner.scheduling.flexible_resources`), from the ``ready`` ones in
    ``timing[3][:ready]`` on: the one that could start earliest first. Returns how many were
    timed."""
    succ_ptr, succ_idx = problem[4], problem[5]
    machine, duration, mnext = solution[0], solution[1], solution[3]
    start, end, setup_before, heap, indegree = timing[:5]
    usage = timing[10]  # holds problem[33]: every pass gives back what it took
    n = start.shape[0]
    size = 0
    for x in range(ready):
        size = _push_ready(problem, solution, timing, heap, size, heap[x])  # in place: it only
        # overwrites entries already read
    timed = 0
    while size > 0:
        o = heap[0] % n
        size = _pop(heap, size)
        d = duration[o]
        # when it became ready, its earliest start and changeover (they depend only on timed
        # operations, so they still hold)
        t, su = start[o], setup_before[o]
        t = fit_shared(problem, usage, o, machine[o], t, su, d)
        start[o] = t
        end[o] = t + d
        setup_before[o] = su
        indegree[o] = -1  # timed: what it took is given back below
        timed += 1
        for k in range(succ_ptr[o], succ_ptr[o + 1] + 1):
            q = succ_idx[k] if k < succ_ptr[o + 1] else mnext[o]
            if q >= 0:
                indegree[q] -= 1
                if indegree[q] == 0:
                    size = _push_ready(problem, solution, timing, heap, size, q)
    give_back(problem, solution, timing)
    return timed


@jit
def _push_ready(
    problem: Arrays, solution: Arrays, timing: Arrays, heap: np.ndarray, size: int, o: int
) -> int:
    """Put ``o``, whose predecessors are timed, on the heap by its earliest start (kept in
    ``timing[0]``, its changeover in ``timing[2]``, until it is placed); the heap's size."""
    t, su = _ready(problem, solution, timing, o)
    timing[0][o] = t
    timing[2][o] = su
    return _push(heap, size, t * solution[0].shape[0] + o)


@jit
def arc_start(
    problem: Arrays, o: int, k: int, pred_start: int, pred_end: int, duration: int
) -> int:
    """Earliest start of ``o`` (running ``duration``) after its predecessor along arc ``k``
    (of ``problem[3]``) over ``[pred_start, pred_end)``, as
    :meth:`planner.model.data.ProblemData.start_after` says: ``problem[20]`` holds the
    minimum lags, ``problem[21]`` the transfer shares (-1: none), ``problem[23]`` each arc's
    transfer time when it is a component link (-1: a routing arc)."""
    link = problem[23][k]
    if link >= 0:
        return int(pred_end + link)
    lag, share = problem[20][o], problem[21][o]
    if share < 0:
        return int(pred_end + lag)
    first = pred_start + int(np.ceil(share * (pred_end - pred_start) - 1e-9))
    last = pred_end + int(np.ceil(share * duration - 1e-9)) - duration
    return int(max(first, last) + lag)


@jit
def _score(problem: Arrays, solution: Arrays, timing: Arrays) -> float:
    """The search's value of the times in ``timing``: the objective plus the guide (see
    :func:`true_objective`); also writes job completions, the sum of all ends
    (``timing[6][0]``) and of all changeovers (``timing[6][2]``). Energy, where priced, is
    the checker's: each operation's machine power times the price over its minutes."""
    op_job, due, has_due, job_weight, weights, limits = problem[14:20]
    end, setup_before, completion, total = timing[1], timing[2], timing[5], timing[6]
    makespan = 0
    total_setup = 0
    total_end = 0
    completion[:] = 0
    for o in range(end.shape[0]):
        total_end += end[o]
        if end[o] > makespan:
            makespan = end[o]
        total_setup += setup_before[o]
        if end[o] > completion[op_job[o]]:
            completion[op_job[o]] = end[o]
    total[0] = total_end
    total[2] = total_setup
    if makespan > limits[0]:
        return INFEASIBLE
    value = weights[0] * makespan + weights[2] * total_setup
    value += weights[3] * total_end + weights[4] * total_setup  # the guide
    if weights[1] > 0:
        late = 0.0
        for j in range(completion.shape[0]):
            if has_due[j] and completion[j] > due[j]:
                late += job_weight[j] * (completion[j] - due[j])
        value += weights[1] * late
    if weights[5] > 0:
        value += weights[5] * energy_cost(problem, solution, timing)
    if weights[6] > 0:
        value += weights[6] * moved_operations(problem, solution, timing)
    return float(value)


@jit
def is_moved(problem: Arrays, solution: Arrays, timing: Arrays, o: int) -> bool:
    """Whether ``o`` is on another machine than in the previous plan (``problem[27]``, -1:
    none) or its start moved by more than the tolerance (``limits[1]``) from ``problem[28]``."""
    previous = problem[27][o]
    return bool(
        previous >= 0
        and (solution[0][o] != previous or abs(timing[0][o] - problem[28][o]) > problem[19][1])
    )


@jit
def moved_operations(problem: Arrays, solution: Arrays, timing: Arrays) -> int:
    """Operations away from where the previous plan had them (:func:`is_moved`)."""
    moved = 0
    for o in range(timing[0].shape[0]):
        if is_moved(problem, solution, timing, o):
            moved += 1
    return moved


@jit
def energy_cost(problem: Arrays, solution: Arrays, timing: Arrays) -> float:
    """The energy bill of the times in ``timing``: ``problem[24]`` holds each machine's
    power (kW), ``problem[25]`` the price of a kW drawn from minute 0 to each minute."""
    power, cumulative = problem[24], problem[25]
    machine, start, end = solution[0], timing[0], timing[1]
    cost = 0.0
    for o in range(end.shape[0]):
        cost += power[machine[o]] * (cumulative[end[o]] - cumulative[start[o]])
    return cost


@jit
def true_objective(problem: Arrays, timing: Arrays, value: float) -> float:
    """The objective alone of a ``value`` that :func:`evaluate` just returned: without the
    guide (``weights[3]`` per minute of the sum of all ends, ``weights[4]`` per minute of
    changeover), which only steers the search across plateaus of equal objective."""
    weights, total = problem[18], timing[6]
    if value >= INFEASIBLE:
        return value
    return float(value - weights[3] * total[0] - weights[4] * total[2])
