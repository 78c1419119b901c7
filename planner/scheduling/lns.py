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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from planner.model.data import IntArray, ProblemData
from planner.model.settings import SolverSettings
from planner.schedule import Schedule
from planner.scheduling.boundary import (
    ScheduleGraph,
    compute_tails,
    convex_closure,
    reached_from,
    step_subproblem,
)
from planner.scheduling.cpsat import Placement, SchedulingModel
from planner.scheduling.decode import decode
from planner.scheduling.evaluate import Evaluator
from planner.scheduling.neighbourhoods import OPERATORS, SearchView, operators_for
from planner.scheduling.progress import Tracker
from planner.scheduling.subproblem import held_in_place

MIN_SIZE, MAX_SIZE = 8, 2000
MAX_ARCS = 20_000
DETERMINISTIC_WALL_FACTOR = 25
"""With an iteration limit, a sub-solve stops at its deterministic-time limit; its wall-clock
limit is this many times longer, a guard that a loaded machine does not reach."""


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
        graph = ScheduleGraph(data, current)
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
                graph = ScheduleGraph(data, current)
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
        graph = ScheduleGraph(data, schedule)
        free = convex_closure(data, seeds, schedule, graph) if seeds else []
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
        self,
        s: Schedule,
        graph: ScheduleGraph,
        view: SearchView,
        tails: IntArray,
        job_tails: IntArray,
    ) -> _Task | None:
        """Pick an operator, a neighbourhood of the current size, and build its model."""
        data = self.data
        name = self._pick_operator()
        size = max(MIN_SIZE, int(self.size))
        seeds = OPERATORS[name](data, s, view, size, self.rng)
        if not seeds:
            return None
        free = convex_closure(data, seeds, s, graph)
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
        graph: ScheduleGraph,
        tails: tuple[IntArray, IntArray],
        seed: int,
        hold: bool = False,
    ) -> _Task:
        """The step freeing ``free``: what follows it, its sub-problem (with the work after
        it held in place if ``hold``) and its model."""
        after = reached_from(self.data, free, graph)
        sub = step_subproblem(self.data, self.settings, s, free, after, graph, *tails)
        if hold:
            sub = held_in_place(self.data, sub, s, after)
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

    # -- decoding -----------------------------------------------------------------------------

    def _best_decoding(
        self, s: Schedule, free: list[int], after: set[int], placement: Placement
    ) -> tuple[float, Schedule] | None:
        modes = ["left"]
        if self.data.energy_priced or self.data.stability_priced:
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
