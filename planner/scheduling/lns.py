"""Large-neighbourhood search: CP-SAT re-solves part of the schedule, the rest stays put.

One step:

1. an operator (:mod:`~planner.scheduling.neighbourhoods`) picks a seed set of operations of
   the current target size, closed into a convex set F (see :mod:`~planner.scheduling.subproblem`);
2. operations reached from F ("after") keep their machine and order; the rest stay in place;
3. CP-SAT solves F exactly against heads, machine prefixes and the tails of what follows,
   starting from the current placement as a hint;
4. the decoder re-times the "after" operations (earliest start, or no earlier than before
   when energy is priced) and the full objective decides: the step is kept only if the
   schedule is no worse. The search never accepts a worse schedule.

The target size grows by 10% after a sub-problem that was exhausted within its time slice
(proved optimal, or no better solution found in the second half of the slice) and shrinks
after one that was still improving, so sub-problems stay solvable within their slice.
Operators that found improvements recently are chosen more often.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from planner.model.data import IntArray, ProblemData
from planner.model.settings import SolverSettings
from planner.schedule import Schedule
from planner.scheduling.cpsat import Placement, SchedulingModel
from planner.scheduling.decode import decode
from planner.scheduling.evaluate import Evaluator
from planner.scheduling.neighbourhoods import OPERATORS, SearchView, operators_for
from planner.scheduling.progress import Tracker
from planner.scheduling.subproblem import (
    MachinePrefix,
    MachineSuffix,
    SubProblem,
    held_in_place,
)

MIN_SIZE, MAX_SIZE = 8, 2000
MAX_ARCS = 20_000
DETERMINISTIC_WALL_FACTOR = 25
"""With an iteration limit, a sub-solve stops at its deterministic-time limit; its wall-clock
limit is this many times longer, a guard that a loaded machine does not reach."""


class _Graph:
    """Successor and predecessor arcs of a schedule: routing arcs plus machine order."""

    def __init__(self, data: ProblemData, schedule: Schedule) -> None:
        n = data.num_operations
        self.sequences = schedule.machine_sequences(data.num_machines)
        self.next = np.full(n, -1, dtype=np.int64)
        self.prev = np.full(n, -1, dtype=np.int64)
        self.position = np.zeros(n, dtype=np.int64)
        for seq in self.sequences:
            for k, o in enumerate(seq):
                self.position[o] = k
                if k:
                    self.prev[o] = seq[k - 1]
                    self.next[seq[k - 1]] = o


def compute_tails(data: ProblemData, s: Schedule, graph: _Graph) -> tuple[IntArray, IntArray]:
    """Longest path from each operation's start to the end of the schedule (machine and
    routing arcs, setups included), and along its routing only (for job completion)."""
    n = data.num_operations
    tail = np.zeros(n, dtype=np.int64)
    job_tail = np.zeros(n, dtype=np.int64)
    duration = (s.end - s.start).tolist()
    succ, job = data.op_successors, data.op_job
    nxt = graph.next.tolist()
    setup = s.setup_before.tolist()
    tails = tail.tolist()
    jtails = job_tail.tolist()
    for o in np.lexsort((s.end, s.start))[::-1].tolist():
        best, jbest = 0, 0
        for q in succ[o]:
            after_start, after_end = _after_arc(data, o, q, duration[o], duration[q])
            best = max(best, after_start + tails[q])
            if job[q] == job[o]:
                jbest = max(jbest, after_end + jtails[q])
        q = nxt[o]
        if q >= 0 and setup[q] + tails[q] > best:
            best = setup[q] + tails[q]
        tails[o] = duration[o] + best
        jtails[o] = jbest
    return np.asarray(tails, dtype=np.int64), np.asarray(jtails, dtype=np.int64)


def _after_arc(
    data: ProblemData, o: int, q: int, duration: int, q_duration: int
) -> tuple[int, int]:
    """Along the routing arc ``o -> q``: the least time from ``o``'s end to ``q``'s start, and
    from ``o``'s end to ``q``'s end (a transfer share lets ``q`` overlap ``o``: the first may
    be negative)."""
    start_gap = data.start_after(q, o, 0, duration, q_duration, working=False) - duration
    return start_gap, start_gap + q_duration


@dataclass
class _Task:
    """One neighbourhood of a round: its operator, free and re-timed operations, and model."""

    name: str
    free: list[int]
    after: set[int]
    model: SchedulingModel
    seed: int


class LargeNeighbourhoodSearch:
    """Improves a feasible schedule until the deadline; see the module docstring."""

    def __init__(
        self,
        data: ProblemData,
        settings: SolverSettings,
        tracker: Tracker,
        deadline: float,
        stop: Callable[[], bool] | None = None,
        bound: float | None = None,
    ) -> None:
        self.data = data
        self.settings = settings
        self.tuning = settings.tuning
        self.bound = bound
        """A proved lower bound on the objective: the search stops when it reaches it."""
        self.tracker = tracker
        self.deadline = deadline
        self.stop = stop
        self.rng = random.Random(settings.seed)
        self.evaluator = Evaluator(data)
        self.subproblem_time_s = settings.tuning.lns_subproblem_time_s
        self.operators = operators_for(data)
        self.scores = dict.fromkeys(self.operators, 1.0)
        self.size = float(min(data.num_operations, max(20, 2 * data.num_machines)))
        self.iterations = 0
        self.accepted = 0
        self.improvements = 0
        self.sub_stats: dict[str, int] = {}
        self.exploded = 0
        self.proved_optimal = False
        """Set when a sub-problem holding every operation was solved to optimality, or the
        schedule reached the lower bound."""

    def stats(self) -> dict[str, object]:
        return {
            "lns_iterations": self.iterations,
            "lns_accepted": self.accepted,
            "lns_improvements": self.improvements,
            "lns_final_size": int(self.size),
            "lns_closures_too_large": self.exploded,
            "lns_operator_scores": {k: round(v, 3) for k, v in self.scores.items()},
            "lns_subproblem_status": dict(self.sub_stats),
        }

    def improve(self, schedule: Schedule, remaining: Callable[[], float]) -> Schedule:
        """Return a schedule no worse than ``schedule``.

        Each round draws one neighbourhood per worker from the same schedule and solves them
        in parallel (one CP-SAT worker each, so the cores search different parts); the best
        decoded candidate is kept if it is no worse. With a fixed seed and an iteration limit
        the rounds are reproducible: every sub-solve runs on a deterministic budget.
        """
        data = self.data
        current = schedule
        value = self.evaluator.objective(current)
        if self._at_bound(value):
            return current
        graph = _Graph(data, current)
        tails, job_tails = compute_tails(data, current, graph)
        view = SearchView(data, current, tails)
        limit = self.settings.lns_max_iterations
        parallel = max(1, self.settings.workers)
        deterministic = limit is not None
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            while remaining() > 0.05 and (limit is None or self.iterations < limit):
                if self.stop is not None and self.stop():
                    break
                if self._at_bound(value):
                    break
                tasks = []
                count = parallel if limit is None else min(parallel, limit - self.iterations)
                for _ in range(count):
                    if remaining() <= 0.05:
                        break
                    self.iterations += 1
                    task = self._draw(current, graph, view, tails, job_tails)
                    if task is not None:
                        tasks.append(task)
                budget = min(self.subproblem_time_s, remaining())
                if budget <= 0.02:
                    break
                # small models: skip the LP relaxation and probing, which cost more than they
                # save at this size (measured: 7x faster to optimality with setups/calendars)
                extra: dict[str, object] = {"linearization_level": 0, "cp_model_probing_level": 0}
                if deterministic:
                    # the work limit decides, not the clock (a busy machine needs more
                    # seconds for the same work); the clock only guards the deadline
                    extra["max_deterministic_time"] = self.subproblem_time_s
                    budget = min(remaining(), DETERMINISTIC_WALL_FACTOR * self.subproblem_time_s)
                futures = [
                    pool.submit(
                        task.model.solve, time_limit=budget, workers=1, seed=task.seed, extra=extra
                    )
                    for task in tasks
                ]
                best: tuple[float, Schedule, str] | None = None
                for task, future in zip(tasks, futures, strict=True):
                    outcome = future.result()
                    self.sub_stats[outcome.status] = self.sub_stats.get(outcome.status, 0) + 1
                    exhausted = outcome.status == "OPTIMAL" or (
                        outcome.solutions > 1
                        and (
                            outcome.last_improvement_work < 0.5 * self.subproblem_time_s
                            if deterministic
                            else outcome.last_improvement_s < 0.5 * budget
                        )
                    )
                    self._adapt(exhausted)
                    if outcome.status == "OPTIMAL" and len(task.free) == data.num_operations:
                        self.proved_optimal = True
                    candidate = self._candidate(current, task, outcome.placement)
                    if candidate is None or candidate[0] > value + 1e-9:
                        self._reward(task.name, 0.0)
                        continue
                    better = candidate[0] < value - 1e-9
                    self._reward(task.name, 1.0 if better else self.tuning.lns_equal_reward)
                    if best is None or candidate[0] < best[0]:
                        best = (candidate[0], candidate[1], task.name)
                if best is None:
                    if self.proved_optimal:
                        break
                    continue
                improved = best[0] < value - 1e-9
                self.accepted += 1
                current, value = best[1], best[0]
                graph = _Graph(data, current)
                tails, job_tails = compute_tails(data, current, graph)
                view = SearchView(data, current, tails)
                if improved:
                    self.improvements += 1
                    self.tracker.improved(value, None, f"lns:{best[2]}")
                if self.proved_optimal:
                    break
        return current

    def focus(
        self, schedule: Schedule, seeds: list[int], time_limit: float, work: float | None = None
    ) -> Schedule:
        """One step on a neighbourhood the caller chose: ``seeds`` closed into a convex set,
        solved by CP-SAT with all the workers for at most ``time_limit`` seconds (and
        ``work`` deterministic seconds: with one worker the step then repeats); the result if
        it is no worse than ``schedule``, else ``schedule``. The operations after the
        neighbourhood stay where they are (:func:`~planner.scheduling.subproblem.held_in_place`);
        neighbourhoods beyond the full model's size are left alone."""
        data = self.data
        graph = _Graph(data, schedule)
        free = self._close(seeds, schedule, graph) if seeds else []
        too_large = (
            len(free) > self.settings.full_model_max_operations
            or self._circuit_arcs(free) > MAX_ARCS
        )
        if not free or too_large or time_limit <= 0.05:
            self.exploded += int(too_large)
            return schedule
        tails = compute_tails(data, schedule, graph)
        task = self._task("focus", schedule, free, graph, tails, self.settings.seed, hold=True)
        # no probing: on the default factory's rush order it took all of a 5-s step
        extra: dict[str, object] = {"cp_model_probing_level": 0}
        if work is not None:
            extra["max_deterministic_time"] = work
        outcome = task.model.solve(
            time_limit=time_limit,
            workers=self.settings.workers,
            seed=task.seed,
            stop=self.stop,
            extra=extra,
        )
        self.iterations += 1
        self.sub_stats[outcome.status] = self.sub_stats.get(outcome.status, 0) + 1
        candidate = self._candidate(schedule, task, outcome.placement)
        value = self.evaluator.objective(schedule)
        if candidate is None or candidate[0] > value + 1e-9:
            return schedule
        self.accepted += 1
        if candidate[0] < value - 1e-9:
            self.improvements += 1
            self.tracker.improved(candidate[0], None, "lns:focus")
        return candidate[1]

    def _at_bound(self, value: float) -> bool:
        """Whether ``value`` meets the proved lower bound (then the schedule is optimal)."""
        reached = self.bound is not None and value <= self.bound + 1e-9
        if reached:
            self.proved_optimal = True
        return reached

    def _draw(
        self, s: Schedule, graph: _Graph, view: SearchView, tails: IntArray, job_tails: IntArray
    ) -> _Task | None:
        """Pick an operator, a neighbourhood of the current size, and build its model."""
        data = self.data
        name = self._pick_operator()
        size = max(MIN_SIZE, int(self.size))
        seeds = OPERATORS[name](data, s, view, size, self.rng)
        if not seeds:
            return None
        free = self._close(seeds, s, graph)
        if len(free) > 2 * size + 20:
            self.exploded += 1  # the convex closure exploded: long chains between the seeds
            return None
        if self._circuit_arcs(free) > MAX_ARCS:
            # sequence-dependent setups cost a circuit with k*k arcs per machine: keep the
            # model small enough to build and solve within its slice
            self.size = max(MIN_SIZE, self.size / self.tuning.lns_explode_shrink)
            return None
        return self._task(name, s, free, graph, (tails, job_tails), self.rng.randrange(1 << 30))

    def _task(
        self,
        name: str,
        s: Schedule,
        free: list[int],
        graph: _Graph,
        tails: tuple[IntArray, IntArray],
        seed: int,
        hold: bool = False,
    ) -> _Task:
        """The step freeing ``free``: what follows it, its sub-problem (with the work after
        it held in place if ``hold``) and its model."""
        after = self._reached(free, graph)
        sub = self._subproblem(s, free, after, graph, *tails)
        if hold:
            sub = held_in_place(self.data, sub, s, after, graph.sequences)
        model = SchedulingModel(self.data, sub, self.settings.energy_resolution_min)
        return _Task(name, free, after, model, seed)

    def _circuit_arcs(self, free: list[int]) -> int:
        """Arcs the setup circuits of a neighbourhood would need."""
        data = self.data
        if not data.has_setups:
            return 0
        per_machine: dict[int, int] = {}
        for o in free:
            for m, _ in data.op_options[o]:
                if data.machine_has_setups[m]:
                    per_machine[m] = per_machine.get(m, 0) + 1
        return sum(k * k for k in per_machine.values())

    def _candidate(
        self, s: Schedule, task: _Task, placement: Placement | None
    ) -> tuple[float, Schedule] | None:
        if placement is None:
            return None
        return self._best_decoding(s, task.free, task.after, placement)

    # -- operator choice and adaptation -------------------------------------------------------

    def _pick_operator(self) -> str:
        total = sum(self.scores.values())
        pick = self.rng.random() * total
        for name in self.operators:
            pick -= self.scores[name]
            if pick <= 0:
                return name
        return self.operators[-1]

    def _reward(self, name: str, reward: float) -> None:
        score = 0.9 * self.scores[name] + 0.1 * reward * 3
        self.scores[name] = max(self.tuning.lns_min_score, score)

    def _adapt(self, exhausted: bool) -> None:
        """Grow the neighbourhood when its sub-problem was exhausted (proved optimal, or it
        improved and then found nothing better in the second half of its slice), shrink it
        otherwise."""
        if exhausted:
            self.size = min(MAX_SIZE, self.data.num_operations, self.size * self.tuning.lns_grow)
        else:
            self.size = max(MIN_SIZE, self.size / self.tuning.lns_shrink)

    # -- building the sub-problem -------------------------------------------------------------

    def _close(self, seeds: list[int], s: Schedule, graph: _Graph) -> list[int]:
        """Smallest convex set containing ``seeds``: add every operation on a path between two."""
        data = self.data
        free = set(seeds)
        latest = max(int(s.start[o]) for o in free)
        succ, pred = data.op_successors, data.op_predecessors
        nxt, prv = graph.next, graph.prev
        reach: set[int] = set()
        queue = deque(free)
        while queue:
            o = queue.popleft()
            for q in (*succ[o], int(nxt[o])):
                if q >= 0 and q not in reach and q not in free and s.start[q] <= latest:
                    reach.add(q)
                    queue.append(q)
        if not reach:
            return sorted(free)
        back: set[int] = set()
        queue = deque(free)
        while queue:
            o = queue.popleft()
            for q in (*pred[o], int(prv[o])):
                if q >= 0 and q in reach and q not in back:
                    back.add(q)
                    queue.append(q)
        return sorted(free | back)

    def _reached(self, free: list[int], graph: _Graph) -> set[int]:
        """Operations reached from the free ones (they are re-timed after the step)."""
        succ, nxt = self.data.op_successors, graph.next
        free_set = set(free)
        seen: set[int] = set()
        queue = deque(free)
        while queue:
            o = queue.popleft()
            for q in (*succ[o], int(nxt[o])):
                if q >= 0 and q not in seen and q not in free_set:
                    seen.add(q)
                    queue.append(q)
        return seen

    def _subproblem(
        self,
        s: Schedule,
        free: list[int],
        after: set[int],
        graph: _Graph,
        tails: IntArray,
        job_tails: IntArray,
    ) -> SubProblem:
        data = self.data
        free_set = set(free)
        head, job_tail, tardiness_tail = {}, {}, {}
        for o in free:
            h = data.op_release[o]
            jt, tt = 0, 0
            for p in data.op_predecessors[o]:
                if p not in free_set:
                    h = max(h, _earliest_after(data, p, o, s))
            for q in data.op_successors[o]:
                if q not in free_set:
                    gap, through = _after_arc(
                        data, o, q, _longest(data, o), int(s.end[q] - s.start[q])
                    )
                    jt = max(jt, gap + int(tails[q]))
                    if data.op_job[q] == data.op_job[o]:
                        tt = max(tt, through + int(job_tails[q]))
            head[o] = h
            if jt:
                job_tail[o] = jt
            if tt:
                tardiness_tail[o] = tt
        prefix, suffix = {}, {}
        machines = {m for o in free for m, _ in data.op_options[o]}
        for m in machines:
            seq = graph.sequences[m]
            k = next((i for i, o in enumerate(seq) if o in free_set or o in after), len(seq))
            if k > 0:
                last = seq[k - 1]
                prefix[m] = MachinePrefix(int(s.end[last]), data.op_family[last])
            first_after = next((o for o in seq[k:] if o in after), None)
            if first_after is not None:
                suffix[m] = MachineSuffix(data.op_family[first_after], int(tails[first_after]))
        moving = np.zeros(data.num_operations, dtype=bool)
        moving[free] = True
        if after:
            moving[list(after)] = True
        staying = ~moving
        makespan_floor = int(s.end[staying].max()) if staying.any() else 0
        completion_floor = {}
        for j in {data.op_job[o] for o in free}:
            ends = [int(s.end[o]) for o in data.job_operations[j] if staying[o]]
            if ends:
                completion_floor[j] = max(ends)
        fixed_power: tuple[tuple[int, int, float], ...] = ()
        if data.peak_power_kw is not None:
            earliest = min(head.values())
            extra = [p - i for p, i in zip(data.power_kw, data.idle_power_kw, strict=True)]
            fixed_power = tuple(
                (int(s.start[o]), int(s.end[o]), extra[int(s.machine[o])])
                for o in np.flatnonzero(staying & (s.end > earliest))
                if extra[int(s.machine[o])] > 0
            )
        return SubProblem(
            fixed_usage=_fixed_usage(data, s, staying, min(head.values())),
            free=tuple(free),
            head=head,
            job_tail=job_tail,
            prefix=prefix,
            suffix=suffix,
            makespan_floor=makespan_floor,
            completion_floor=completion_floor,
            fixed_power=fixed_power,
            horizon=self._horizon(s),
            hint=s,
            tardiness_tail=tardiness_tail,
            latest_start=self._latest_starts(s, free),
        )

    def _latest_starts(self, s: Schedule, free: list[int]) -> dict[int, int]:
        """Free operations may move right by at most twice the neighbourhood's span (at least
        8 hours): enough to reach cheaper hours, small enough for compact models."""
        if self._regular():
            return {}
        span = int(max(s.end[o] for o in free) - min(s.start[o] for o in free))
        reach = min(max(2 * span, 480), 48 * self.settings.energy_resolution_min)
        latest = {o: int(s.start[o]) + reach for o in free}
        if self.data.stability_priced:  # always able to return to where the previous plan had it
            tolerance = self.data.objective.stability_tolerance_min
            for o in free:
                previous = self.data.op_previous[o]
                if previous is not None:
                    latest[o] = max(latest[o], previous[1] + tolerance)
        return latest

    def _horizon(self, s: Schedule) -> int:
        """Latest end for free operations: with makespan alone, never past today's makespan."""
        makespan = int(s.end.max())
        if self._regular():
            return min(self.data.horizon, makespan)
        return min(self.data.horizon, max(2 * makespan, self._previous_end()))

    def _regular(self) -> bool:
        """Whether the objective is makespan alone (starting earlier never costs more)."""
        w = self.data.objective
        return (
            w.weighted_tardiness == 0
            and w.energy_cost == 0
            and w.setup_time == 0
            and not self.data.stability_priced
        )

    def _previous_end(self) -> int:
        """The latest end of an operation placed where the previous plan had it."""
        data = self.data
        return (
            max(
                (
                    p[1] + max(d for _, d in data.op_options[o])
                    for o, p in enumerate(data.op_previous)
                    if p is not None
                ),
                default=0,
            )
            + data.objective.stability_tolerance_min
        )

    # -- decoding -----------------------------------------------------------------------------

    def _best_decoding(
        self, s: Schedule, free: list[int], after: set[int], placement: Placement
    ) -> tuple[float, Schedule] | None:
        modes = ["left"]
        w = self.data.objective
        if (w.energy_cost > 0 and self.data.has_energy) or self.data.stability_priced:
            modes.append("keep")  # moving later work left may cost energy or stability
        best: tuple[float, Schedule] | None = None
        for mode in modes:
            candidate = decode(self.data, s, free, after, placement, keep_times=mode == "keep")
            if candidate is None:
                continue
            value = self.evaluator.objective(candidate)
            if best is None or value < best[0]:
                best = (value, candidate)
        return best


def _longest(data: ProblemData, o: int) -> int:
    """The longest duration of ``o``: with a transfer share, its successors' least gap after
    its end is the smallest then."""
    return max(d for _, d in data.op_options[o])


def _earliest_after(data: ProblemData, p: int, o: int, s: Schedule) -> int:
    """Earliest start of ``o`` on any of its machines after ``p`` as ``s`` has it."""
    start, end = int(s.start[p]), int(s.end[p])
    return min(data.start_after(o, p, start, end, d) for _, d in data.op_options[o])


def _fixed_usage(
    data: ProblemData, s: Schedule, staying: np.ndarray, earliest: int
) -> tuple[tuple[int, int, int, int], ...]:
    """``(pool, start, end, units)`` that operations staying in place hold of resource pools
    from ``earliest`` on (the neighbourhood's operations cannot start before it)."""
    if not data.op_needs:
        return ()
    return tuple(
        hold
        for o in np.flatnonzero(staying & (s.end > earliest)).tolist()
        for hold in data.holds(o, int(s.start[o]), int(s.end[o]), int(s.setup_before[o]))
    )
