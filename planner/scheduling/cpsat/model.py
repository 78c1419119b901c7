"""The CP-SAT scheduling model of a (sub-)problem: build, hint, solve, read back."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from planner.model.data import ProblemData
from planner.scheduling.cpsat.constraints import Constraints
from planner.scheduling.cpsat.objective import Objective
from planner.scheduling.cpsat.variables import Variables, create_variables
from planner.scheduling.subproblem import SubProblem

ProgressHook = Callable[[float, float], None]
"""Called with (objective, best bound) on every improving solution."""

Assignments = dict[int, tuple[int, int, int, int]]
"""Where each free operation is: ``op -> (machine, start, end, setup)``."""


@dataclass(frozen=True)
class Placement:
    """Where the model put each free operation: ``op -> (machine, start, end, setup)``."""

    assignments: Assignments
    objective: float
    bound: float


@dataclass(frozen=True)
class ModelOutcome:
    """How one CP-SAT run ended."""

    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, MODEL_INVALID, UNKNOWN
    placement: Placement | None
    bound: float
    wall_s: float
    build_s: float
    last_improvement_s: float = 0.0
    """When, into the run, the last solution was found."""
    solutions: int = 0
    """How many improving solutions the run found (the hint usually is the first)."""
    last_improvement_work: float = 0.0
    """When the last solution was found, in CP-SAT's deterministic time (the same on every
    machine and load)."""


class SchedulingModel:
    """CP-SAT model of a sub-problem (the whole problem when every operation is free)."""

    def __init__(self, data: ProblemData, sub: SubProblem, energy_resolution_min: int) -> None:
        started = time.perf_counter()
        self.data, self.sub = data, sub
        self.model = cp_model.CpModel()
        self.vars: Variables = create_variables(self.model, data, sub)
        Constraints(self.model, data, sub, self.vars).add_all()
        self.objective = Objective(self.model, data, sub, self.vars, energy_resolution_min)
        self.objective.add()
        if sub.hint is not None:
            self._add_hint()
        self.build_s = time.perf_counter() - started

    def _add_hint(self) -> None:
        hint = self.sub.hint
        assert hint is not None
        model, v, data = self.model, self.vars, self.data
        for o in self.sub.free:
            model.add_hint(v.start[o], int(hint.start[o]))
            model.add_hint(v.end[o], int(hint.end[o]))
            for option in v.options[o]:
                on = option.machine == hint.machine[o]
                if option.presence is not None:
                    model.add_hint(option.presence, on)
                if not isinstance(option.setup, int):
                    model.add_hint(option.setup, int(hint.setup_before[o]) if on else 0)
                if option.busy_start is not None:
                    busy_from = int(hint.start[o] - hint.setup_before[o])
                    model.add_hint(option.busy_start, busy_from if on else 0)
        for m, arcs in v.arcs.items():
            options = v.by_machine[m]
            node = {opt.op: i for i, opt in enumerate(options, start=1)}
            sequence = sorted(
                (o for o in node if hint.machine[o] == m),
                key=lambda o: (hint.start[o], hint.end[o]),
            )
            chosen = set()
            if sequence:
                chosen.add((0, node[sequence[0]]))
                chosen.add((node[sequence[-1]], 0))
                chosen.update((node[a], node[b]) for a, b in itertools.pairwise(sequence))
            else:
                chosen.add((0, 0))
            chosen.update((node[o], node[o]) for o in node if hint.machine[o] != m)
            for key, lit in arcs.items():
                if key[0] == key[1] and key[0] > 0:
                    continue  # self loops are negated presences, hinted above
                model.add_hint(lit, key in chosen)
        if self.objective.makespan is not None:
            ends = [int(hint.end[o]) + self.sub.job_tail.get(o, 0) for o in self.sub.free]
            for m, suffix in self.sub.suffix.items():
                on_m = [o for o in self.sub.free if hint.machine[o] == m]
                if on_m:
                    last = max(on_m, key=lambda o: (hint.start[o], hint.end[o]))
                    change = data.changeover_between(m, last, suffix.operation)
                    ends.append(int(hint.end[last]) + change + suffix.tail)
            model.add_hint(self.objective.makespan, max([self.sub.makespan_floor, *ends]))
        free = self.sub.free
        self.objective.add_hint(
            {o: int(hint.start[o]) for o in free},
            {o: int(hint.machine[o]) for o in free},
            {o: int(hint.end[o]) for o in free},
        )

    def solve(
        self,
        time_limit: float,
        workers: int,
        seed: int = 0,
        log: bool = False,
        on_solution: ProgressHook | None = None,
        stop: Callable[[], bool] | None = None,
        extra: dict[str, object] | None = None,
        value_of: Callable[[Assignments], float] | None = None,
    ) -> ModelOutcome:
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.max_time_in_seconds = max(0.01, time_limit)
        params.num_workers = workers
        params.random_seed = seed
        params.log_search_progress = log
        if workers == 1:
            params.interleave_search = False
        for key, value in (extra or {}).items():
            setattr(params, key, value)
        priced = None if value_of is None else (lambda source: value_of(self._read(source)))
        callback = _Callback(self.objective.scale, on_solution, stop, priced)
        started = time.perf_counter()
        code = solver.solve(self.model, callback)
        wall = time.perf_counter() - started
        status = solver.status_name(code)
        scale = self.objective.scale
        bound = (
            solver.best_objective_bound / scale
            if status in ("OPTIMAL", "FEASIBLE")
            else float("nan")
        )
        placement = None
        if status in ("OPTIMAL", "FEASIBLE"):
            placement = Placement(self._read(solver), solver.objective_value / scale, bound)
        return ModelOutcome(
            status,
            placement,
            bound,
            wall,
            self.build_s,
            callback.last_s,
            callback.count,
            callback.last_work,
        )

    def _read(self, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback) -> Assignments:
        out = {}
        for o in self.sub.free:
            options = self.vars.options[o]
            chosen = next(
                opt for opt in options if opt.presence is None or solver.boolean_value(opt.presence)
            )
            setup = chosen.setup if isinstance(chosen.setup, int) else solver.value(chosen.setup)
            out[o] = (
                chosen.machine,
                int(solver.value(self.vars.start[o])),
                int(solver.value(self.vars.end[o])),
                int(setup),
            )
        return out


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(
        self,
        scale: int,
        hook: ProgressHook | None,
        stop: Callable[[], bool] | None,
        value_of: Callable[[_Callback], float] | None,
    ) -> None:
        super().__init__()
        self.scale, self.hook, self.stop, self.value_of = scale, hook, stop, value_of
        self.last_s = 0.0
        self.last_work = 0.0
        self.count = 0

    def on_solution_callback(self) -> None:
        self.last_s = self.wall_time
        self.last_work = self.deterministic_time
        self.count += 1
        if self.hook is not None:
            value = self.objective_value / self.scale
            if self.value_of is not None:
                value = self.value_of(self)
            self.hook(value, self.best_objective_bound / self.scale)
        if self.stop is not None and self.stop():
            self.stop_search()
