"""Constructive schedules by dispatching rules: a feasible plan in seconds, even at 100k operations.

The generator is non-delay list scheduling: among the operations whose predecessors are done,
it repeatedly takes the one that can start earliest (ties and near-ties go to the highest
priority), and places it on the eligible machine where it completes first, respecting setups,
calendars, release times, time lags and transfer batches, pinned operations, the site power
limit and resource pools (maximum lags: see :mod:`planner.scheduling.max_lags`). "Can start"
counts the machines' calendars: before a night break, an operation that still fits comes
before one that would have to wait for the morning (measured on the synthetic factories with
two shifts: 15,302 to 15,162 at 10,000 operations, 68,876 to 66,099 at 100,000, makespan).

:func:`best_dispatch` tries several rules, then, while its budget lasts, the best of them again
with randomly perturbed priorities (restarts, seeded): at 10,000 operations the best of 20
such runs was 1.5% shorter than the rule's own plan.

Rules (the priority):

* ``"mwkr"``: most work remaining in the job (strong for makespan);
* ``"atcs"``: apparent tardiness cost with setups (Lee, Bhaskaran & Pinedo 1997), for weighted
  tardiness;
* ``"edd"``: earliest due date;
* ``"spt"``: shortest processing time.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from planner.model.data import FloatArray, ProblemData
from planner.schedule import Schedule
from planner.scheduling.draft import Draft, best_machine
from planner.scheduling.max_lags import assign_holding, holding_max_lags
from planner.scheduling.timeline import Placer

RULES = ("mwkr", "atcs", "edd", "spt")


def remaining_work(data: ProblemData) -> list[int]:
    """Longest path of shortest durations from each operation to the end of its job (inclusive)."""
    shortest = [min((d for _, d in options), default=0) for options in data.op_options]
    work = [0] * data.num_operations
    succ = data.op_successors
    for o in reversed(data.topological_order):
        work[o] = shortest[o] + max((work[s] for s in succ[o]), default=0)
    return work


def default_rule(data: ProblemData) -> str:
    """ATCS when tardiness is weighted and jobs have due dates, else MWKR."""
    has_due = any(d is not None for d in data.job_due)
    return "atcs" if data.objective.weighted_tardiness > 0 and has_due else "mwkr"


Priority = Callable[[int, float], float]


def dispatch(
    data: ProblemData,
    rule: str | None = None,
    *,
    window: float = 0.0,
    active: bool = False,
    noise: float = 0.0,
    seed: int = 0,
    shares: FloatArray | None = None,
) -> Schedule:
    """Build a feasible schedule with a dispatching rule.

    Parameters
    ----------
    data
        The problem.
    rule
        One of :data:`RULES`; defaults to :func:`default_rule`.
    window
        Operations that could start within ``window`` times the mean duration of the earliest
        one compete on priority (0 = strictly earliest start first).
    active
        Giffler-Thompson generation: find the operation that can finish first and its machine;
        every ready operation that could start on that machine before then competes on
        priority. Gives active schedules; costs more per step than non-delay generation.
    noise
        Each operation's priority is raised by ``noise * u`` times its size, with ``u``
        uniform in ``[0, 1)`` and drawn once per operation from ``seed`` (0: the rule as it
        is).
    seed
        Seeds the perturbation.
    shares
        The ``u`` of each operation, instead of drawing them from ``seed``.

    Returns
    -------
    Schedule
        Feasible unless pinned operations conflict with their own predecessors or a maximum
        lag could not be held (the checker then rejects it).
    """
    rule = rule or default_rule(data)
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose from {RULES}")
    priority = _priorities(data, rule, remaining_work(data))
    if noise > 0:
        if shares is None:
            shares = random_shares(data.num_operations, seed)
        priority = _perturbed(priority, noise * shares)
    mean_duration = float(np.mean([min(d for _, d in opts) for opts in data.op_options])) or 1.0

    def generate(not_before: list[int] | None) -> Draft:
        draft = Draft(data, not_before)
        draft.place_pinned()
        if active:
            _active(draft, priority)
        else:
            _non_delay(draft, priority, window * mean_duration)
        return draft

    return holding_max_lags(data, generate)


def _non_delay(draft: Draft, priority: Priority, slack_window: float) -> None:
    """Repeatedly the operation that can start first (near-ties by priority), on the machine
    where it completes first."""
    data, placer, ready = draft.data, draft.placer, draft.ready
    heap: list[tuple[float, float, int]] = []
    for o in draft.ready_operations():
        heapq.heappush(heap, (_estimate(data, placer, o, ready[o]), -priority(o, 0), o))
    while heap:
        key, _, o = heapq.heappop(heap)
        if draft.done[o]:
            continue
        est = _estimate(data, placer, o, ready[o])
        if est > key:
            heapq.heappush(heap, (est, -priority(o, est), o))
            continue
        if slack_window > 0 and heap:
            # among operations that can start almost as early, take the most urgent
            candidates: list[tuple[int, float]] = [(o, est)]
            while heap and heap[0][0] <= est + slack_window and len(candidates) < 16:
                k2, _, o2 = heapq.heappop(heap)
                if not draft.done[o2]:
                    candidates.append((o2, max(k2, _estimate(data, placer, o2, ready[o2]))))
            best = max(candidates, key=lambda c: (priority(c[0], c[1]), -c[1], -c[0]))
            for other, other_est in candidates:
                if other != best[0]:
                    heapq.heappush(heap, (other_est, -priority(other, other_est), other))
            o = best[0]
        m, t, s = best_machine(data, placer, o, functools.partial(draft.ready_for, o))
        for freed in assign_holding(draft, o, m, t, s):
            est2 = _estimate(data, placer, freed, ready[freed])
            heapq.heappush(heap, (est2, -priority(freed, est2), freed))


def _active(draft: Draft, priority: Priority) -> None:
    """Giffler-Thompson active schedule generation (see :func:`dispatch`)."""
    data, placer, ready = draft.data, draft.placer, draft.ready
    ready_on: list[set[int]] = [set() for _ in range(data.num_machines)]
    heap: list[tuple[int, int]] = []

    def completion(o: int) -> tuple[int, int]:
        family = data.op_family[o]
        return min(
            (max(ready[o], placer.free_at[m] + placer.setup_for(m, family)) + d, m)
            for m, d in data.op_options[o]
        )

    def enqueue(o: int) -> None:
        for m, _ in data.op_options[o]:
            ready_on[m].add(o)
        heapq.heappush(heap, (completion(o)[0], o))

    for o in draft.ready_operations():
        enqueue(o)
    while heap:
        key, o = heapq.heappop(heap)
        if draft.done[o]:
            continue
        finish, m_star = completion(o)
        if finish > key:
            heapq.heappush(heap, (finish, o))
            continue
        heapq.heappush(heap, (finish, o))  # o stays a candidate unless chosen
        candidates = []
        for q in ready_on[m_star]:
            family = data.op_family[q]
            est = max(ready[q], placer.free_at[m_star] + placer.setup_for(m_star, family))
            if est < finish:
                candidates.append((priority(q, est), -est, -q))
        chosen = -max(candidates)[2]
        d = data.durations[chosen][m_star]
        t, s = placer.earliest(chosen, m_star, draft.ready_for(chosen, d))
        for m, _ in data.op_options[chosen]:
            ready_on[m].discard(chosen)
        for freed in assign_holding(draft, chosen, m_star, t, s):
            enqueue(freed)


def _estimate(data: ProblemData, placer: Placer, o: int, ready: int) -> int:
    """Earliest start of ``o`` after ``ready`` on any of its machines, with their calendars,
    setups and what the site power and pools allow (a transfer share can only delay it)."""
    return min(placer.earliest(o, m, ready)[0] for m, _ in data.op_options[o])


def random_shares(n: int, seed: int) -> FloatArray:
    """Per operation, how much of :data:`RESTART_NOISE` (or another noise) a perturbed run
    raises its priority by: uniform in ``[0, 1)``, from ``seed``."""
    return np.random.default_rng(seed).random(n)


def _perturbed(priority: Priority, shift: FloatArray) -> Priority:
    """``priority`` raised by ``shift[o]`` times its size for each operation ``o``."""

    def perturbed(o: int, t: float) -> float:
        value = priority(o, t)
        return value + abs(value) * float(shift[o])

    return perturbed


def _priorities(data: ProblemData, rule: str, work: Sequence[int]):  # type: ignore[no-untyped-def]
    """Priority function ``(operation, time) -> float``; larger is more urgent."""
    if rule == "mwkr":
        return lambda o, t: float(work[o])
    if rule == "spt":
        return lambda o, t: -float(min(d for _, d in data.op_options[o]))
    if rule == "edd":
        far = float(data.horizon)

        def edd(o: int, t: int) -> float:
            due = data.job_due[data.op_job[o]]
            return -(float(due) if due is not None else far) + 1e-6 * work[o]

        return edd
    # ATCS: w/p * exp(-max(0, slack) / (k1 * p_bar)); setups enter through the machine choice
    durations = [min(d for _, d in opts) for opts in data.op_options]
    p_bar = max(1.0, float(np.mean(durations)))
    k1 = 2.0

    def atcs(o: int, t: int) -> float:
        j = data.op_job[o]
        due = data.job_due[j]
        p = max(1, durations[o])
        weight = data.job_weight[j] or 1e-3
        if due is None:
            return weight / p * 1e-6
        slack = max(0.0, due - work[o] - t)
        return weight / p * math.exp(-slack / (k1 * p_bar))

    return atcs


RESTART_NOISE = 0.3
"""How much a restart of :func:`best_dispatch` perturbs the priorities (see :func:`dispatch`):
on the 10,000-operation factory with due dates (makespan) the best of 20 restarts was 14,934
with 0.3 and 14,935 with 1.0 (the rule's own plan: 15,162)."""


@dataclass(frozen=True)
class Dispatched:
    """The best plan of :func:`best_dispatch`, and how to make it again."""

    schedule: Schedule
    value: float
    name: str
    rule: str
    window: float
    shares: FloatArray | None
    """The perturbation of a restart (see :func:`dispatch`); ``None``: the rule as it is."""


def best_dispatch(
    data: ProblemData,
    rules: Sequence[str] | None = None,
    budget: float = math.inf,
    restarts: int = 0,
    seed: int = 0,
) -> tuple[Schedule, str]:
    """Run several rules and windows and keep the schedule with the lowest objective.

    Parameters
    ----------
    data
        The problem.
    rules
        The rules to try (each without and with a window); by default the objective's own
        rule (:func:`default_rule`), MWKR and EDD.
    budget
        Operations the runs may place in all: a further variant or restart runs only while
        it fits (the first variant always runs). Counted in operations, not seconds, so that
        the first plan is the same on any machine.
    restarts
        Afterwards, up to this many runs of the best variant with priorities perturbed by
        :data:`RESTART_NOISE`, from ``seed``, ``seed + 1``, ...

    Returns
    -------
    tuple[Schedule, str]
        The best schedule and how it was made (``"mwkr/w0.0"``, ``"mwkr/w0.0/restart3"``).
    """
    best = dispatch_best(data, rules, budget, restarts, seed)
    return best.schedule, best.name


def dispatch_best(
    data: ProblemData,
    rules: Sequence[str] | None = None,
    budget: float = math.inf,
    restarts: int = 0,
    seed: int = 0,
) -> Dispatched:
    """:func:`best_dispatch`, with what it takes to make its plan again."""
    from planner.check import compute_kpis

    n = max(1, data.num_operations)
    runs = max(1, int(budget // n)) if budget < math.inf else math.inf
    rules = list(rules or dict.fromkeys([default_rule(data), "mwkr", "edd"]))
    variants = [(rule, window) for rule in rules for window in (0.0, 0.5)]
    if runs < len(variants):
        variants = variants[: int(runs)]
    tried: list[Dispatched] = []
    for rule, window in variants:
        schedule = dispatch(data, rule, window=window)
        value = compute_kpis(data, schedule).objective
        tried.append(Dispatched(schedule, value, f"{rule}/w{window}", rule, window, None))
    best = min(tried, key=lambda d: d.value)
    for r in range(int(min(restarts, runs - len(variants)))):
        shares = random_shares(data.num_operations, seed + r)
        again = dispatch(data, best.rule, window=best.window, noise=RESTART_NOISE, shares=shares)
        value = compute_kpis(data, again).objective
        if value < best.value:
            name = f"{best.rule}/w{best.window}/restart{r}"
            best = Dispatched(again, value, name, best.rule, best.window, shares)
    return best
