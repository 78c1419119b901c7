"""Entry point of the scheduler: picks a strategy, runs it within the budget, checks the plan."""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable

from planner.check import CheckReport, check
from planner.model import Problem, ProblemData, SolverSettings
from planner.model.errors import InvalidInputError
from planner.schedule import Schedule
from planner.scheduling.bounds import objective_lower_bound
from planner.scheduling.construct import Dispatched, dispatch_best
from planner.scheduling.cpsat import SchedulingModel
from planner.scheduling.cpsat.model import Assignments
from planner.scheduling.displaced import has_new_work, settle_displaced
from planner.scheduling.evaluate import Evaluator
from planner.scheduling.evolve import evolve_dispatch
from planner.scheduling.flexible import (
    FlexibleTabuSearch,
    compile_flexible_kernels,
    flexible_applies,
)
from planner.scheduling.progress import Tracker
from planner.scheduling.reroute import (
    ReroutingTabuSearch,
    compile_reroute_kernels,
    reroute_applies,
)
from planner.scheduling.restore import restore_moved
from planner.scheduling.result import ProgressEvent, Result, SolutionStatus, Termination
from planner.scheduling.strategy import (
    choose_strategy,
    exact_objective,
    full_model_resolution,
    restarts_pay,
)
from planner.scheduling.subproblem import SubProblem
from planner.scheduling.tabu import CriticalPathTabuSearch, tabu_applies
from planner.scheduling.tabu_kernel import compile_kernels

ProgressCallback = Callable[[ProgressEvent], None]


def solve(
    problem: Problem | ProblemData,
    settings: SolverSettings | None = None,
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    strategy: str | None = None,
    initial: Schedule | None = None,
    on_progress: ProgressCallback | None = None,
    stop: Callable[[], bool] | None = None,
) -> Result:
    """Schedule ``problem`` within ``time_limit`` seconds and check the result independently.

    Parameters
    ----------
    problem
        A :class:`~planner.model.Problem` (validated here) or an already built
        :class:`~planner.model.ProblemData`.
    settings
        How to search: time limit, workers, seed, strategy, bounded searches, tuning
        (:class:`~planner.model.SolverSettings`; its defaults when omitted).
    time_limit, workers, seed, strategy
        Override those fields of ``settings``.
    initial
        A schedule to start from (warm start); used when the checker accepts it.
    on_progress
        Receives the best objective and bound whenever they improve.
    stop
        Polled during the search; returning ``True`` ends it early.

    Returns
    -------
    Result
        Never raises on bad input: an invalid problem gives ``termination=INVALID_INPUT`` with
        every problem found in ``issues``.
    """
    started = time.perf_counter()
    try:
        data = _build(problem)
    except InvalidInputError as error:
        return Result(
            termination=Termination.INVALID_INPUT,
            solution_status=SolutionStatus.NO_SOLUTION,
            objective=None,
            best_bound=None,
            runtime_s=time.perf_counter() - started,
            schedule=None,
            kpis=None,
            issues=error.issues,
        )
    settings = (settings or SolverSettings()).with_overrides(
        time_limit_s=time_limit, workers=workers, seed=seed, strategy=strategy
    )
    if tabu_applies(data):
        # the tabu search's compiled kernels: once per installation (then loaded from Numba's
        # disk cache), and not out of the budget
        compiling = time.perf_counter()
        compile_kernels()
        started += time.perf_counter() - compiling
    elif flexible_applies(data):
        compiling = time.perf_counter()
        if reroute_applies(data):  # the rerouting search runs in the flexible one's place
            compile_reroute_kernels()
        else:
            compile_flexible_kernels()
        started += time.perf_counter() - compiling
    return _Run(data, settings, started, on_progress, stop).run(initial)


def _build(problem: Problem | ProblemData) -> ProblemData:
    if isinstance(problem, ProblemData):
        return problem
    return problem.build()


class _Run:
    def __init__(
        self,
        data: ProblemData,
        settings: SolverSettings,
        started: float,
        on_progress: ProgressCallback | None,
        stop: Callable[[], bool] | None,
    ) -> None:
        self.data = data
        self.settings = settings
        self.tuning = settings.tuning
        self.started = started
        self.deadline = started + settings.time_limit_s
        self.tracker = Tracker(started, on_progress)
        self.stop = stop
        self.stats: dict[str, object] = {}
        self.more_rounds = False  # the rerouting search ran one round; more after the full model
        self.dispatched: Dispatched | None = None  # the first plan's rule, to evolve
        # re-planning keeps time for putting moved work back at the end (``_restore``)
        share = self.tuning.restore_share if data.stability_priced else 0.0
        self.reserve = share * settings.time_limit_s

    def remaining(self) -> float:
        # keep a margin for the final check, which grows with the problem
        margin = 0.05 + 2e-5 * self.data.num_operations
        return self.deadline - time.perf_counter() - margin - self.reserve

    def run(self, initial: Schedule | None) -> Result:
        data = self.data
        strategy = choose_strategy(data, self.settings)
        bound = objective_lower_bound(data)
        incumbent, report = self._start(initial, bound)
        termination = Termination.TIME_LIMIT
        if strategy == "cpsat" and report is not None and report.feasible and tabu_applies(data):
            # a classical job shop: the tabu search finds a strong hint for the full model
            incumbent, report = self._tabu(incumbent, report, self.tuning.tabu_hint_share)
        feasible = report is not None and report.feasible
        if strategy == "lns" and feasible and restarts_pay(data) and not data.stability_priced:
            # (the rules know nothing of a previous plan: their plans move everything)
            assert report is not None
            incumbent, report = self._evolve(incumbent, report)
        if strategy in ("lns", "hybrid") and feasible and flexible_applies(data):
            assert report is not None
            # in ``hybrid`` the full model comes next: one round of the rerouting search
            # first, more after the full model (small problems are proved in a moment)
            rounds = 1 if strategy == "hybrid" else None
            incumbent, report = self._flexible(incumbent, report, bound, rounds)
            self.more_rounds = rounds == 1 and reroute_applies(data)
        if strategy == "lns" and not feasible:
            # no rule found a plan (maximum lags can defeat them): the full model looks for one
            termination, incumbent, report, bound = self._full_model(
                incumbent, None, bound, self.tuning.first_plan_share
            )
        if strategy in ("cpsat", "hybrid"):
            share = 1.0 if strategy == "cpsat" else self.tuning.hybrid_full_model_share
            termination, incumbent, report, bound = self._full_model(
                incumbent, report, bound, share
            )
        if strategy in ("lns", "hybrid") and termination is Termination.TIME_LIMIT:
            # the search may stop at a bound only if the bound is on the exact objective
            target = bound if exact_objective(data, self.settings) else None
            incumbent, report, proved = self._search(incumbent, report, target)
            if proved:
                termination = Termination.OPTIMAL
            elif self.stop is not None and self.stop():
                termination = Termination.INTERRUPTED
            elif self._iterations_spent():
                termination = Termination.ITERATION_LIMIT
        incumbent, report = self._restore(incumbent, report)
        return self._result(termination, strategy, incumbent, report, bound)

    def _iterations_spent(self) -> bool:
        """Whether the neighbourhood search stopped at ``lns_max_iterations`` (not the clock)."""
        limit = self.settings.lns_max_iterations
        done = self.stats.get("lns_iterations")
        return limit is not None and isinstance(done, int) and done >= limit

    def _search(
        self, incumbent: Schedule, report: CheckReport | None, bound: float | None
    ) -> tuple[Schedule, CheckReport | None, bool]:
        from planner.scheduling.lns import LargeNeighbourhoodSearch

        if report is None or not report.feasible:
            return incumbent, report, False
        if tabu_applies(self.data):
            incumbent, report = self._tabu(incumbent, report)
        elif self.more_rounds and self.settings.tabu_max_steps is None:
            # the rerouting search's first round ran before the full model: rounds go on
            incumbent, report = self._reroute(incumbent, report, None, self.settings.workers)
        search = LargeNeighbourhoodSearch(
            self.data, self.settings, self.tracker, self.deadline, self.stop, bound=bound
        )
        improved = search.improve(incumbent, self.remaining)
        self.stats.update(search.stats())
        checked = check(self.data, improved)
        if checked.feasible and checked.kpis.objective <= report.kpis.objective + 1e-9:
            return improved, checked, search.proved_optimal
        self.stats["lns_rejected"] = checked.summary(3)  # never return an unchecked plan
        return incumbent, report, False

    def _tabu(
        self, incumbent: Schedule, report: CheckReport, share: float | None = None
    ) -> tuple[Schedule, CheckReport]:
        """Tabu search on the critical path (classical job shops) for up to ``share`` of the
        time left; the full model or the neighbourhood search continues from its schedule."""
        data, settings = self.data, self.settings
        share = settings.tuning.tabu_share if share is None else share
        search = CriticalPathTabuSearch(data, seed=settings.seed)
        weight = data.objective.makespan
        improved = search.improve(
            incumbent,
            self._share_of_remaining(share),
            on_improvement=lambda makespan: self.tracker.improved(weight * makespan, None, "tabu"),
            max_steps=settings.tabu_max_steps,
            stop=self.stop,
        )
        self.stats.update(search.stats())
        return self._keep_if_no_worse("tabu", improved, incumbent, report)

    def _evolve(self, incumbent: Schedule, report: CheckReport) -> tuple[Schedule, CheckReport]:
        """The first plan's priorities evolved (:mod:`~planner.scheduling.evolve`) for up to
        ``evolve_share`` of the time left, its runs counted in operations placed like the
        restarts' (not when the searches are bounded by steps or iterations, for repeatable
        runs); the checker decides whether its plan is kept."""
        settings = self.settings
        if self.dispatched is None or not settings.timed_search:
            return incumbent, report
        tuning = self.tuning
        share = tuning.evolve_share
        best, runs = evolve_dispatch(
            self.data,
            self.dispatched,
            budget=share * settings.time_limit_s * tuning.dispatch_rate,
            remaining=self._share_of_remaining(share),
            seed=settings.seed,
            on_improvement=lambda value: self.tracker.improved(value, None, "evolve"),
            stop=self.stop,
        )
        self.stats["evolve_runs"] = runs
        if best is self.dispatched:
            return incumbent, report
        return self._keep_if_no_worse("evolve", best.schedule, incumbent, report)

    def _flexible(
        self,
        incumbent: Schedule,
        report: CheckReport,
        bound: float | None,
        rounds: int | None,
        share: float | None = None,
        source: str = "flex",
    ) -> tuple[Schedule, CheckReport]:
        """The flexible tabu search (machine choice, changeovers, calendars, due dates) for
        ``flexible_share`` of the time left; the checker decides whether its plan is kept. On
        a flexible job shop judged by its makespan alone the rerouting tabu search (classical
        estimates, :mod:`~planner.scheduling.reroute`) takes its place and share, for up to
        ``rounds`` rounds. ``share`` and ``source`` (its name in the statistics and the
        progress) replace ``flexible_share`` and ``flex`` where given."""
        if reroute_applies(self.data):
            return self._reroute(incumbent, report, rounds, 0)
        data, settings = self.data, self.settings
        search = FlexibleTabuSearch(data, seed=settings.seed, workers=settings.workers)
        improved = search.improve(
            incumbent,
            self._share_of_remaining(settings.tuning.flexible_share if share is None else share),
            on_improvement=lambda value: self.tracker.improved(value, None, source),
            max_steps=settings.tabu_max_steps,
            stop=self.stop,
            floor=bound if bound is not None and exact_objective(data, settings) else 0.0,
        )
        self.stats.update(
            {key.replace("flex", source, 1): value for key, value in search.stats().items()}
        )
        return self._keep_if_no_worse(source, improved, incumbent, report)

    def _reroute(
        self, incumbent: Schedule, report: CheckReport, rounds: int | None, seeds_used: int
    ) -> tuple[Schedule, CheckReport]:
        """The rerouting tabu search for up to ``flexible_share`` of the time left and up to
        ``rounds`` rounds, its walks seeded after the ``seeds_used`` seeds of earlier rounds;
        its counters add to those of earlier calls."""
        data, settings = self.data, self.settings
        search = ReroutingTabuSearch(
            data, seed=settings.seed + seeds_used, workers=settings.workers
        )
        weight = data.objective.makespan
        improved = search.improve(
            incumbent,
            self._share_of_remaining(settings.tuning.flexible_share),
            on_improvement=lambda value: self.tracker.improved(weight * value, None, "reroute"),
            max_steps=settings.tabu_max_steps,
            stop=self.stop,
            rounds=rounds,
        )
        for key, value in search.stats().items():
            earlier = self.stats.get(key, 0)
            self.stats[key] = (earlier if isinstance(earlier, int) else 0) + value
        return self._keep_if_no_worse("reroute", improved, incumbent, report)

    def _settle_displaced(
        self, incumbent: Schedule, report: CheckReport
    ) -> tuple[Schedule, CheckReport]:
        """Re-planning against a previous plan: first settle the displaced work, with a short
        run of the flexible tabu search where there is new work and the search applies (it
        makes room for new work within seconds, where the CP-SAT step alone sometimes does
        not in all its time), then one CP-SAT step (:mod:`planner.scheduling.displaced`);
        the other searches start from its plan. Measured in ``benchmarks/README.md``,
        "Making room first"."""
        data = self.data
        if has_new_work(data) and flexible_applies(data) and not reroute_applies(data):
            share = self.tuning.displaced_flexible_share
            incumbent, report = self._flexible(incumbent, report, None, None, share, "settle_flex")
        settled, stats = settle_displaced(
            self.data, self.settings, incumbent, self.tracker, self.remaining, self.stop
        )
        if not stats:
            return incumbent, report
        self.stats["displaced_focus"] = stats
        return self._keep_if_no_worse("displaced_focus", settled, incumbent, report)

    def _restore(
        self, incumbent: Schedule, report: CheckReport | None
    ) -> tuple[Schedule, CheckReport | None]:
        """Re-planning against a previous plan, last: put moved operations back where that
        costs nothing (:mod:`planner.scheduling.restore`) in the time the searches left for
        it (``restore_share`` of the time limit, :meth:`remaining`)."""
        self.reserve = 0.0
        if report is None or not report.feasible or not self.data.stability_priced:
            return incumbent, report
        # a capped, repeatable run puts back all it can; a timed one stops at the deadline
        remaining = self.remaining if self.settings.timed_search else lambda: math.inf
        incumbent, report, restored = restore_moved(self.data, incumbent, report, remaining)
        self.stats["restored"] = restored
        return incumbent, report

    def _share_of_remaining(self, share: float) -> Callable[[], float]:
        """Time left for a search that may use ``share`` of what is left now (all of the
        deadline's when it is bounded by steps instead)."""
        steps = self.settings.tabu_max_steps
        until = math.inf if steps is not None else time.perf_counter() + share * self.remaining()
        return lambda: min(self.remaining(), until - time.perf_counter())

    def _keep_if_no_worse(
        self, source: str, improved: Schedule, incumbent: Schedule, report: CheckReport
    ) -> tuple[Schedule, CheckReport]:
        """``improved`` with its check if the checker accepts it and it is no worse, else the
        incumbent (the rejection is recorded): never return an unchecked plan."""
        checked = check(self.data, improved)
        if checked.feasible and checked.kpis.objective <= report.kpis.objective + 1e-9:
            return improved, checked
        self.stats[f"{source}_rejected"] = checked.summary(3)
        return incumbent, report

    def _start(
        self, initial: Schedule | None, bound: float | None
    ) -> tuple[Schedule, CheckReport | None]:
        data = self.data
        candidates = []
        if initial is not None and len(initial) == data.num_operations:
            report = check(data, initial)
            if report.feasible and data.stability_priced:
                # re-planning: settle the warm start's displaced work before comparing it
                # with the rules' plans, which move everything
                initial, report = self._settle_displaced(initial, report)
            if report.feasible:
                candidates.append((report.kpis.objective, initial, report, "initial"))
        tuning = self.tuning
        budget = tuning.dispatch_share * self.settings.time_limit_s * tuning.dispatch_rate
        self.dispatched = dispatch_best(
            data,
            budget=budget,
            restarts=tuning.dispatch_restarts if restarts_pay(data) else 0,
            seed=self.settings.seed,
        )
        schedule = self.dispatched.schedule
        report = check(data, schedule)
        if report.feasible:
            name = f"dispatch:{self.dispatched.name}"
            candidates.append((report.kpis.objective, schedule, report, name))
        self.stats["construct_s"] = round(time.perf_counter() - self.started, 3)
        if not candidates:
            return schedule, None
        value, best, best_report, source = min(candidates, key=lambda c: c[0])
        self.stats["start"] = source
        self.tracker.improved(value, bound, source)
        return best, best_report

    def _full_model(
        self, incumbent: Schedule, report: CheckReport | None, bound: float | None, share: float
    ) -> tuple[Termination, Schedule, CheckReport | None, float | None]:
        data = self.data
        hint = incumbent if report is not None else None
        model = SchedulingModel(
            data, SubProblem.full(data, hint), full_model_resolution(data, self.settings)
        )
        self.stats["build_s"] = round(model.build_s, 3)
        exact = exact_objective(data, self.settings)
        best = None if exact else _BestExact(data)  # solutions priced as the checker does
        outcome = model.solve(
            time_limit=self.remaining() * share,
            workers=self.settings.workers,
            seed=self.settings.seed,
            log=self.settings.log_search,
            on_solution=lambda value, b: self.tracker.improved(
                value, b if exact else None, "cpsat"
            ),
            stop=self.stop,
            extra=None
            if hint is None
            else {"hint_conflict_limit": self.tuning.full_model_hint_conflicts},
            value_of=None if best is None else best.value,
        )
        self.stats["cpsat_status"] = outcome.status
        if outcome.status == "INFEASIBLE":
            return Termination.INFEASIBLE, incumbent, None, None
        termination = Termination.OPTIMAL if outcome.status == "OPTIMAL" else Termination.TIME_LIMIT
        if self.stop is not None and self.stop() and termination is not Termination.OPTIMAL:
            termination = Termination.INTERRUPTED
        found = [] if outcome.placement is None else [outcome.placement.assignments]
        schedules = [_schedule_from(data, a) for a in found]
        for schedule in schedules if best is None else best.cheapest(schedules):
            solved = check(data, schedule)
            if solved.feasible and (
                report is None or solved.kpis.objective <= report.kpis.objective + 1e-9
            ):
                incumbent, report = schedule, solved
            elif not solved.feasible:
                self.stats["cpsat_rejected"] = solved.summary(3)
        if exact and not math.isnan(outcome.bound):
            bound = outcome.bound if bound is None else max(bound, outcome.bound)
        return termination, incumbent, report, bound

    def _result(
        self,
        termination: Termination,
        strategy: str,
        schedule: Schedule,
        report: CheckReport | None,
        bound: float | None,
    ) -> Result:
        data = self.data
        runtime = time.perf_counter() - self.started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        solved = report is not None and report.feasible
        status = SolutionStatus.NO_SOLUTION
        objective = None
        if solved:
            assert report is not None
            objective = report.kpis.objective
            exact_energy = exact_objective(data, self.settings)
            proved = termination is Termination.OPTIMAL or (
                bound is not None and objective <= bound + 1e-9
            )
            if proved and termination in (Termination.TIME_LIMIT, Termination.ITERATION_LIMIT):
                termination = Termination.OPTIMAL
            status = SolutionStatus.OPTIMAL if proved and exact_energy else SolutionStatus.FEASIBLE
        elif termination is Termination.TIME_LIMIT and report is not None:
            termination = Termination.UNKNOWN  # it stopped with a plan the checker rejected
        return Result(
            termination=termination,
            solution_status=status,
            objective=objective,
            best_bound=bound,
            runtime_s=runtime,
            schedule=schedule.to_frame(data) if solved else None,
            kpis=report.kpis if solved and report is not None else None,
            report=report,
            assignment=schedule if solved else None,
            strategy=strategy,
            progress=tuple(self.tracker.events),
            peak_memory_mb=peak,
            stats=self.stats,
            data=data,
        )


class _BestExact:
    """The best, by the exact objective, of the solutions an approximate full model reports
    (its own last solution is the best by its approximate pricing only)."""

    def __init__(self, data: ProblemData) -> None:
        self.data = data
        self.evaluator = Evaluator(data)
        self.best = math.inf
        self.schedule: Schedule | None = None

    def value(self, assignments: Assignments) -> float:
        schedule = _schedule_from(self.data, assignments)
        value = self.evaluator.objective(schedule)
        if value < self.best:
            self.best, self.schedule = value, schedule
        return value

    def cheapest(self, schedules: list[Schedule]) -> list[Schedule]:
        """The exactly cheapest of ``schedules`` and the best seen (none when neither is)."""
        seen = [] if self.schedule is None else [self.schedule]
        return [min(schedules + seen, key=self.evaluator.objective)] if schedules + seen else []


def _schedule_from(
    data: ProblemData, assignments: dict[int, tuple[int, int, int, int]]
) -> Schedule:
    n = data.num_operations
    machine, start, end, setup = ([0] * n for _ in range(4))
    for o, (m, s, e, su) in assignments.items():
        machine[o], start[o], end[o], setup[o] = m, s, e, su
    return Schedule.from_lists(machine, start, end, setup)
