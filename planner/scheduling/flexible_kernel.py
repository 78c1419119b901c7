"""The compiled inner loop of the flexible tabu search (see :mod:`planner.scheduling.flexible`).

Flat arrays only, so that Numba compiles it to machine code. ``problem`` is the tuple built by
:func:`planner.scheduling.flexible.problem_arrays`::

    (release, family, pred_ptr, pred_idx, succ_ptr, succ_idx, opt_ptr, opt_machine,
     opt_duration, setup, initial, win_ptr, win_start, win_end, op_job, due, has_due,
     job_weight, weights, limits, min_lag, transfer_share, max_lag, link, power,
     cumulative_price, pin, previous_machine, previous_start, need_ptr, need_row,
     need_units, need_setup, capacity, extra_power)

``weights`` holds the objective weights (makespan, weighted tardiness, setup time), the
guide's (per minute of the sum of all ends and of changeover; see
:func:`planner.scheduling.flexible_timing.true_objective`), energy cost's (0 where
energy is not priced) and stability's (per moved operation; 0 without a previous plan),
``limits`` the horizon, the stability tolerance and the power's row in ``capacity`` (-1:
no site limit); ``pin`` each operation's pinned start (-1: none; pinned operations never
move), ``previous_machine`` and ``previous_start`` where the previous plan had it (-1: no
previous plan); the needs rows name each operation's pool units (during the operation, or
with ``need_setup`` during the changeover before it), ``capacity`` what is left of each pool
and of the site's power at each minute once the pinned work is placed, and ``extra_power``
each machine's draw above idle (see :mod:`planner.scheduling.flexible_resources`);
``min_lag`` and ``transfer_share`` each operation's lag after its routing predecessors and
its share of overlap with them (-1: none; see
:func:`planner.scheduling.flexible_timing.arc_start`), ``max_lag`` its maximum lag after them
(-1: none; empty without maximum lags), ``link`` per predecessor arc (as ``pred_idx``) its
transfer time when it is a component link between jobs (-1: a routing arc); ``power``
each machine's power (kW) and ``cumulative_price`` the price of a kW drawn from minute 0 to
each minute of the horizon (a single 0 where energy is not priced). A solution
is ``(machine, duration, mprev, mnext, mfirst, released)``: each operation's machine and its
duration there, the machine sequences as doubly linked lists (``-1`` at the ends,
``mfirst[m]`` the first operation on ``m``), and whether its hold at the previous plan's
start is released (see :mod:`planner.scheduling.flexible_holds`). ``timing`` holds the
arrays the evaluation writes: ``(start, end, setup_before, order, indegree, completion,
total, mark, hold, saved_hold, usage)``. ``total[0]`` is the sum of all ends, the tie-break
between moves of equal value; ``total[1]`` counts evaluations, ``total[2]`` sums the
changeovers, ``mark`` holds the count of the evaluation that last touched each operation,
and ``hold`` the earliest start each operation is held to so that its successors start
within their maximum lags; ``usage`` is the pass's copy of ``capacity``. ``work`` holds
scratch rows of one length each: insertion positions (0), the chain (1), position scores or
the held operations a move may release (2) and the re-timing's saved times (3 to 6).

Timing (full and incremental) lives in :mod:`planner.scheduling.flexible_timing`.

Random numbers come from a xorshift64* state array, so a seed gives the same steps anywhere.
"""

from __future__ import annotations

import numpy as np

from planner.jit import jit
from planner.scheduling.flexible_holds import HOLD, apply_release, best_release
from planner.scheduling.flexible_timing import (
    INFEASIBLE,
    Arrays,
    arc_start,
    evaluate,
    is_moved,
    moved_operations,
    retime,
    true_objective,
)
from planner.scheduling.jit import random53 as _random

__all__ = ["INFEASIBLE", "evaluate", "run_steps", "true_objective"]

# indices into the float64 state array: the search's value (objective and guide) of the
# current and the best schedule, and the objective alone of the best schedule by objective
VALUE = 0
BEST = 1
TRUE_BEST = 2
F_STATE_SIZE = 3

# indices into the int64 state array
STEPS = 0
SINCE_BEST = 1
FRUITLESS = 2
IMPROVEMENTS = 3
RESTARTS = 4
I_STATE_SIZE = 5

# how run_steps returned
CHUNK_DONE = 0
PATIENCE_SPENT = 1
AT_FLOOR = 2


@jit
def _unlink(o: int, solution: Arrays) -> None:
    machine, mprev, mnext, mfirst = solution[0], solution[2], solution[3], solution[4]
    p = mprev[o]
    q = mnext[o]
    if p >= 0:
        mnext[p] = q
    else:
        mfirst[machine[o]] = q
    if q >= 0:
        mprev[q] = p
    mprev[o] = -1
    mnext[o] = -1


@jit
def _link(o: int, m: int, d: int, after: int, solution: Arrays) -> None:
    """Put ``o`` on ``m`` (duration ``d``) right after ``after`` (-1: first)."""
    machine, duration, mprev, mnext, mfirst = solution[:5]
    machine[o] = m
    duration[o] = d
    if after >= 0:
        q = mnext[after]
        mnext[after] = o
    else:
        q = mfirst[m]
        mfirst[m] = o
    mprev[o] = after
    mnext[o] = q
    if q >= 0:
        mprev[q] = o


@jit
def _moved(problem: Arrays, solution: Arrays, timing: Arrays, k: int) -> int:
    """The ``k``-th operation (by number) away from where the previous plan had it."""
    for o in range(timing[0].shape[0]):
        if is_moved(problem, solution, timing, o):
            if k == 0:
                return o
            k -= 1
    return 0  # pragma: no cover - k counts the moved operations


@jit
def _target(problem: Arrays, solution: Arrays, timing: Arrays, rng: np.ndarray) -> int:
    """The operation the step tries to advance or put back: the last one in the plant
    (makespan), the last of a late job drawn by its weighted lateness (tardiness), or an
    operation away from where the previous plan had it (stability), in proportion to their
    shares of the objective."""
    op_job, due, has_due, job_weight, weights = problem[14:19]
    end = timing[1]
    completion = timing[5]
    n = end.shape[0]
    last = 0
    for o in range(n):
        if end[o] > end[last]:
            last = o
    late_total = 0.0
    if weights[1] > 0:
        for j in range(completion.shape[0]):
            if has_due[j] and completion[j] > due[j]:
                late_total += job_weight[j] * (completion[j] - due[j])
    share_makespan = weights[0] * end[last]
    share_late = weights[1] * late_total
    moved = moved_operations(problem, solution, timing) if weights[6] > 0 else 0
    share_moved = weights[6] * moved
    draw = _uniform(rng) * (share_makespan + share_late + share_moved)
    if share_moved > 0 and draw >= share_makespan + share_late:
        return _moved(problem, solution, timing, _random(rng) % moved)
    if share_late <= 0 or draw < share_makespan:
        return last
    pick = _uniform(rng) * late_total
    job = -1
    for j in range(completion.shape[0]):
        if has_due[j] and completion[j] > due[j]:
            job = j
            pick -= job_weight[j] * (completion[j] - due[j])
            if pick <= 0:
                break
    best = -1
    for o in range(n):
        if op_job[o] == job and (best < 0 or end[o] > end[best]):
            best = o
    return best if best >= 0 else last


@jit
def _uniform(rng: np.ndarray) -> float:
    return _random(rng) / 9007199254740992.0


@jit
def _chain(
    problem: Arrays,
    solution: Arrays,
    timing: Arrays,
    target: int,
    chain: np.ndarray,
    rng: np.ndarray,
) -> int:
    """Operations that hold ``target`` where it is, back from it: at each step the routing or
    machine predecessor that ends exactly when the operation (with its changeover) starts;
    where a calendar window, not a predecessor, set the start, the predecessor that ends last.
    Stops at an operation that starts at its job's release."""
    release, _, pred_ptr, pred_idx = problem[:4]
    mprev = solution[2]
    start, end, setup_before = timing[:3]
    length = 0
    o = target
    while o >= 0 and length < chain.shape[0]:
        chain[length] = o
        length += 1
        s = start[o]
        tight_pred = -1
        latest = -1
        latest_end = -1
        for k in range(pred_ptr[o], pred_ptr[o + 1]):
            p = pred_idx[k]
            if arc_start(problem, o, k, start[p], end[p], end[o] - s) == s:
                tight_pred = p
            if end[p] > latest_end:
                latest, latest_end = p, end[p]
        q = mprev[o]
        tight_machine = q >= 0 and end[q] + setup_before[o] == s
        if q >= 0 and end[q] > latest_end:
            latest, latest_end = q, end[q]
        if tight_pred >= 0 and tight_machine:
            o = tight_pred if _random(rng) & 1 else q
        elif tight_pred >= 0:
            o = tight_pred
        elif tight_machine:
            o = q
        elif s > release[o] and latest >= 0:
            o = latest  # a window set the start: what ends last before it may still matter
        else:
            o = -1
    return length


@jit
def _positions(
    solution: Arrays,
    m: int,
    lo: int,
    hi: int,
    before: np.ndarray,
    after: np.ndarray,
    out: np.ndarray,
) -> int:
    """Where an unlinked operation may go on ``m``: the operations it may follow (-1: first), in
    sequence order, for every gap whose neighbours overlap ``[lo, hi)`` in the current times
    ``before`` (starts) and ``after`` (ends). Inserting outside that range would make ``o``
    wait for a later operation or overtake one its successors wait for."""
    mnext, mfirst = solution[3], solution[4]
    count = 0
    a = -1
    b = mfirst[m]
    while True:
        if (a < 0 or before[a] < hi) and (b < 0 or after[b] > lo):
            out[count] = a
            count += 1
        if b < 0 or (a >= 0 and before[a] >= hi):
            break
        a = b
        b = mnext[b]
    return count


@jit
def _window(problem: Arrays, o: int, starts: np.ndarray, ends: np.ndarray) -> tuple[int, int]:
    """From when ``o`` may start (its release, its routing predecessors' ends) to when its
    routing successors start (or its own end when later), in the current times."""
    release, _, pred_ptr, pred_idx, succ_ptr, succ_idx = problem[:6]
    lo = release[o]
    for k in range(pred_ptr[o], pred_ptr[o + 1]):
        p = pred_idx[k]
        after = arc_start(problem, o, k, starts[p], ends[p], ends[o] - starts[o])
        if after > lo:
            lo = after
    hi = 1 << 62
    for k in range(succ_ptr[o], succ_ptr[o + 1]):
        if starts[succ_idx[k]] < hi:
            hi = starts[succ_idx[k]]
    if ends[o] > hi:
        hi = ends[o]
    return lo, hi


@jit
def _best_move(
    problem: Arrays,
    solution: Arrays,
    timing: Arrays,
    work: np.ndarray,
    ops: np.ndarray,
    count: int,
    tabu_until: np.ndarray,
    step: int,
    best: float,
    rng: np.ndarray,
    max_positions: int,
    batching: bool,
) -> tuple[float, int, int, int, int]:
    """Evaluate re-inserting each of ``ops[:count]`` at every admissible position of every
    eligible machine (with ``batching``, only next to an operation of its own family), and,
    for one on its previous machine, releasing or restoring holds
    (:func:`~planner.scheduling.flexible_holds.best_release`); return (value, op, machine,
    duration, after) of the best move that is not tabu, or tabu but better than ``best``
    (aspiration). ``op`` is -1 when none is; for a hold move ``machine`` is ``HOLD`` and
    ``duration`` the count it releases. Among moves of equal value the one whose work ends
    earlier in total wins."""
    family = problem[1]
    opt_ptr, opt_machine, opt_duration = problem[6:9]
    machine, duration, mprev, mnext, mfirst = solution[:5]
    # each candidate's re-timing restores these: they stay the current plan's times
    starts, ends = timing[0], timing[1]
    places = work[0]
    best_value = INFEASIBLE
    best_total = 0
    best_op, best_machine, best_duration, best_after = -1, -1, -1, -1
    for i in range(count):
        o = ops[i]
        if problem[26][o] >= 0:
            continue  # pinned: never moves
        home, home_duration, home_after = machine[o], duration[o], mprev[o]
        home_next = mnext[o]
        tabu = tabu_until[o] > step
        lo, hi = _window(problem, o, starts, ends)
        _unlink(o, solution)
        for k in range(opt_ptr[o], opt_ptr[o + 1]):
            m = opt_machine[k]
            d = opt_duration[k]
            found = _positions(solution, m, lo, hi, starts, ends, places)
            if found > max_positions:
                found = _screen(problem, solution, timing, o, m, d, lo, work, found, max_positions)
            for x in range(found):
                a = places[x]
                if m == home and a == home_after:
                    continue  # where it is now
                if batching:
                    b = mnext[a] if a >= 0 else mfirst[m]
                    if not (a >= 0 and family[a] == family[o]) and not (
                        b >= 0 and family[b] == family[o]
                    ):
                        continue
                _link(o, m, d, a, solution)
                value = retime(problem, solution, timing, work, o, home_next)
                _unlink(o, solution)
                if value >= INFEASIBLE or (tabu and value >= best - 1e-9):
                    continue
                total = timing[6][0]
                if value < best_value - 1e-9 or (
                    value < best_value + 1e-9
                    and (total < best_total or (total == best_total and _random(rng) & 1))
                ):
                    best_value = value
                    best_total = total
                    best_op, best_machine, best_duration, best_after = o, m, d, a
        _link(o, home, home_duration, home_after, solution)
        if problem[27][o] == home:
            value, released = best_release(problem, solution, timing, work, o)
            if value < INFEASIBLE and not (tabu and value >= best - 1e-9):
                total = timing[6][0]
                if value < best_value - 1e-9 or (value < best_value + 1e-9 and total < best_total):
                    best_value, best_total = value, total
                    best_op, best_machine, best_duration, best_after = o, HOLD, released, -1
    return best_value, best_op, best_machine, best_duration, best_after


@jit
def _screen(
    problem: Arrays,
    solution: Arrays,
    timing: Arrays,
    o: int,
    m: int,
    d: int,
    lo: int,
    work: np.ndarray,
    found: int,
    keep: int,
) -> int:
    """Move the ``keep`` most promising of the ``found`` positions in ``work[0]`` to its
    front, by an estimate from the current times (calendars ignored): when ``o`` would end
    there, plus how far it would push the operation after it."""
    family, setup, initial = problem[1], problem[9], problem[10]
    mnext, mfirst = solution[3], solution[4]
    starts, ends = timing[0], timing[1]
    places, scores = work[0], work[2]
    g = family[o]
    for x in range(found):
        a = places[x]
        t = lo
        if a >= 0:
            t = max(t, ends[a] + setup[m, family[a], g])
            b = mnext[a]
        else:
            t = max(t, initial[m, g])
            b = mfirst[m]
        score = t + d
        if b >= 0:
            score += max(0, t + d + setup[m, g, family[b]] - starts[b])
        scores[x] = score
    for x in range(keep):
        best = x
        for y in range(x + 1, found):
            if scores[y] < scores[best]:
                best = y
        places[x], places[best] = places[best], places[x]
        scores[x], scores[best] = scores[best], scores[x]
    return keep


@jit
def _changed_over(problem: Arrays, timing: Arrays, out: np.ndarray) -> int:
    """Operations preceded by a changeover (candidates for joining a run of their family)."""
    setup_before = timing[2]
    pin = problem[26]
    count = 0
    for o in range(setup_before.shape[0]):
        if setup_before[o] > 0 and pin[o] < 0:
            out[count] = o
            count += 1
    return count


@jit
def _pick(chain: np.ndarray, length: int, count: int, rng: np.ndarray) -> int:
    """Move ``count`` random entries of ``chain[:length]`` to its front (partial shuffle)."""
    if count > length:
        count = length
    for i in range(count):
        j = i + _random(rng) % (length - i)
        chain[i], chain[j] = chain[j], chain[i]
    return count


@jit
def _copy(source: Arrays, target: Arrays) -> None:
    for k in range(len(source)):
        target[k][:] = source[k]


@jit
def _perturb(
    problem: Arrays, solution: Arrays, timing: Arrays, work: np.ndarray, kicks: int, rng: np.ndarray
) -> float:
    """Make ``kicks`` random feasible re-insertions of operations that hold the target back;
    returns the objective afterwards."""
    opt_ptr, opt_machine, opt_duration = problem[6:9]
    machine, duration, mprev = solution[0], solution[1], solution[2]
    value = evaluate(problem, solution, timing)
    chain = work[1]
    for _ in range(kicks):
        target = _target(problem, solution, timing, rng)
        length = _chain(problem, solution, timing, target, chain, rng)
        o = chain[_random(rng) % length]
        if problem[26][o] >= 0:
            continue  # pinned: never moves
        lo, hi = _window(problem, o, timing[0], timing[1])
        home, home_duration, home_after = machine[o], duration[o], mprev[o]
        _unlink(o, solution)
        k = opt_ptr[o] + _random(rng) % (opt_ptr[o + 1] - opt_ptr[o])
        found = _positions(solution, opt_machine[k], lo, hi, timing[0], timing[1], work[0])
        if found > 0:
            _link(o, opt_machine[k], opt_duration[k], work[0][_random(rng) % found], solution)
            moved = evaluate(problem, solution, timing)
        else:
            _link(o, home, home_duration, home_after, solution)
            moved = INFEASIBLE
        if moved >= INFEASIBLE:
            _unlink(o, solution)
            _link(o, home, home_duration, home_after, solution)
            moved = evaluate(problem, solution, timing)
        value = moved
    return value


@jit
def run_steps(
    problem: Arrays,
    solution: Arrays,
    best_solution: Arrays,
    true_best: Arrays,
    timing: Arrays,
    work: np.ndarray,
    tabu_until: np.ndarray,
    fstate: np.ndarray,
    istate: np.ndarray,
    rng: np.ndarray,
    settings: tuple[int, int, int, int, int, int, int, int, float, float],
) -> int:
    """Make up to ``settings[0]`` tabu steps from ``solution`` (timed in ``timing``). The
    search walks on the objective plus the guide (``best_solution`` is the best by that
    value); ``true_best`` keeps the best schedule by the objective alone.

    ``settings``: (steps, operations sampled per step, positions per machine, least tenure,
    tenure spread, steps without a new best before a restart, restarts in a row without a
    new best before giving up, kicks per restart, objective floor, share of batching steps).
    """
    steps, sample, max_positions, tenure, spread, stall, patience, kicks, floor, batch = settings
    chain = work[1]
    setups = problem[9].max() > 0 or problem[10].max() > 0
    for _ in range(steps):
        step = istate[STEPS]
        istate[STEPS] += 1
        length = 0
        batching = setups and _uniform(rng) < batch
        if batching:
            length = _changed_over(problem, timing, chain)
        if length == 0:
            batching = False
            target = _target(problem, solution, timing, rng)
            length = _chain(problem, solution, timing, target, chain, rng)
        count = _pick(chain, length, sample, rng)
        _, o, m, d, a = _best_move(
            problem, solution, timing, work, chain, count, tabu_until, step, fstate[BEST], rng,
            max_positions, batching,
        )  # fmt: skip
        if o >= 0:
            if m == HOLD:
                apply_release(problem, solution, timing, work, o, d)
            else:
                _unlink(o, solution)
                _link(o, m, d, a, solution)
            tabu_until[o] = step + tenure + _random(rng) % spread
        fstate[VALUE] = evaluate(problem, solution, timing)
        objective = true_objective(problem, timing, fstate[VALUE])
        if objective < fstate[TRUE_BEST] - 1e-9:
            fstate[TRUE_BEST] = objective
            _copy(solution, true_best)
            if objective <= floor + 1e-9:
                return AT_FLOOR
        if fstate[VALUE] < fstate[BEST] - 1e-9:
            fstate[BEST] = fstate[VALUE]
            _copy(solution, best_solution)
            istate[IMPROVEMENTS] += 1
            istate[SINCE_BEST] = 0
            istate[FRUITLESS] = 0
            continue
        istate[SINCE_BEST] += 1
        if istate[SINCE_BEST] >= stall:
            istate[FRUITLESS] += 1
            istate[RESTARTS] += 1
            istate[SINCE_BEST] = 0
            if istate[FRUITLESS] > patience:
                return PATIENCE_SPENT
            _copy(best_solution, solution)
            fstate[VALUE] = _perturb(problem, solution, timing, work, kicks, rng)
    return CHUNK_DONE
