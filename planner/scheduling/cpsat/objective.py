"""The objective: a weighted sum of makespan, weighted tardiness, energy cost and setup time.

CP-SAT needs integers, so the weights are scaled by ``K``, the smallest power of ten that makes
them whole (at least 1000 when energy is priced, so that energy is exact to 1/1000 of a
currency unit per operation). The reported objective is the integer objective divided by ``K``.

**Energy resolution.** The model prices an operation by its start slot of ``r`` minutes
(``SolverSettings.energy_resolution_min``): starting anywhere in slot ``k`` costs what starting
at the slot's midpoint ``k*r + r//2`` costs exactly, ``P_m * (C(t + d) - C(t))`` with ``C`` the
cumulative price of one kW. The true start lies within ``r/2`` minutes of that point, so each
of the two ends of the operation is priced at most ``r/2`` minutes off and the model's cost of
an operation differs from the exact, minute-resolution cost the checker computes by at most
``P_m * r / 60 h * max|price| / 1000`` plus ``1/K`` rounding. With ``r = 1`` the model is exact
up to rounding. The search itself always compares plans at the exact cost.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from planner.model.data import ProblemData
from planner.scheduling.cpsat.variables import Variables
from planner.scheduling.subproblem import SubProblem


def bounds(var: cp_model.IntVar) -> tuple[int, int]:
    """Lower and upper bound of a variable's domain (the proto's list has no negative index)."""
    domain = var.proto.domain
    return int(domain[0]), int(domain[len(domain) - 1])


_SCALES = (1, 10, 100, 1000, 10_000, 100_000, 1_000_000)


def objective_scale(data: ProblemData) -> int:
    """Smallest power of ten that turns every weight into an integer (see module docstring)."""
    w = data.objective
    values = [w.makespan, w.setup_time]
    values += [
        w.weighted_tardiness * wj
        for wj, due in zip(data.job_weight, data.job_due, strict=True)
        if due is not None
    ]
    energy = data.energy_priced
    for scale in _SCALES:
        if energy and scale < 1000:
            continue
        if all(abs(x * scale - round(x * scale)) <= 1e-9 * max(1.0, x * scale) for x in values):
            return scale
    return _SCALES[-1]


def energy_bound_per_operation(data: ProblemData, machine: int, resolution: int) -> float:
    """Largest difference between the model's and the exact energy cost of one operation
    when energy is priced at ``resolution`` minutes."""
    if data.hourly_prices is None:
        return 0.0
    r = resolution
    if r == 1:
        return 0.0
    top = float(np.abs(data.hourly_prices).max())
    return data.power_kw[machine] * r / 60.0 * top / 1000.0


class Objective:
    """Builds the weighted objective over the free operations of a sub-problem."""

    def __init__(
        self,
        model: cp_model.CpModel,
        data: ProblemData,
        sub: SubProblem,
        v: Variables,
        resolution: int,
    ) -> None:
        self.model, self.data, self.sub, self.v = model, data, sub, v
        self.resolution = resolution
        """Slot length, in minutes, at which energy is priced."""
        self.scale = objective_scale(data)
        self.terms: list[tuple[int, cp_model.IntVar]] = []
        self.constant = 0
        self.makespan: cp_model.IntVar | None = None
        self.energy: dict[int, cp_model.IntVar] = {}
        self.slots: dict[int, tuple[int, list[cp_model.IntVar]]] = {}
        self.energy_options: dict[int, list[tuple[int, list[int]]]] = {}
        self.tardiness: dict[int, cp_model.IntVar] = {}
        self.moved: dict[int, tuple[cp_model.IntVar, int, int]] = {}

    def coefficient(self, weight: float) -> int:
        return round(weight * self.scale)

    def add(self) -> None:
        w = self.data.objective
        if w.makespan > 0:
            self._makespan(self.coefficient(w.makespan))
        if w.weighted_tardiness > 0:
            self._tardiness()
        if self.data.energy_priced:
            self._energy()
        if w.setup_time > 0 and self.data.has_setups:
            self._setup_time(self.coefficient(w.setup_time))
        if self.data.stability_priced:
            self._stability(self.coefficient(w.stability_weight))
        expr = sum(c * x for c, x in self.terms) + self.constant
        self.model.minimize(expr)

    def _successor_free(self, o: int, same_job: bool = False) -> bool:
        """Whether a successor of ``o`` (of its own job only, with ``same_job``) is free: its
        end then bounds the makespan or the job's completion instead."""
        job = self.data.op_job
        return any(
            s in self.v.start and (not same_job or job[s] == job[o])
            for s in self.data.op_successors[o]
        )

    def _makespan(self, coefficient: int) -> None:
        sub, v, data = self.sub, self.v, self.data
        longest_tail = max([0, *sub.job_tail.values(), *(s.tail for s in sub.suffix.values())])
        max_setup = int(data.setup_times.max(initial=0))
        upper = sub.horizon + longest_tail + max_setup
        makespan = self.model.new_int_var(
            sub.makespan_floor, max(upper, sub.makespan_floor), "makespan"
        )
        for o in sub.free:
            if not self._successor_free(o):
                self.model.add(makespan >= v.end[o] + sub.job_tail.get(o, 0))
        for m, suffix in sub.suffix.items():
            arcs = v.arcs.get(m)
            for i, option in enumerate(v.by_machine.get(m, []), start=1):
                if arcs is not None:
                    change = data.changeover_between(m, option.op, suffix.operation)
                    self.model.add(
                        makespan >= v.end[option.op] + change + suffix.tail
                    ).only_enforce_if(arcs[i, 0])
                else:
                    ct = self.model.add(makespan >= v.end[option.op] + suffix.tail)
                    if option.presence is not None:
                        ct.only_enforce_if(option.presence)
        self.makespan = makespan
        self.terms.append((coefficient, makespan))

    def _tardiness(self) -> None:
        data, sub, v = self.data, self.sub, self.v
        by_job: dict[int, list[int]] = {}
        for o in sub.free:
            if data.job_due[data.op_job[o]] is not None and not self._successor_free(o, True):
                by_job.setdefault(data.op_job[o], []).append(o)
        for j, ops in by_job.items():
            due = data.job_due[j]
            assert due is not None
            coefficient = self.coefficient(data.objective.weighted_tardiness * data.job_weight[j])
            if coefficient == 0:
                continue
            floor = max(0, sub.completion_floor.get(j, 0) - due)
            tardiness = self.model.new_int_var(floor, max(floor, sub.horizon * 2), f"tardy_{j}")
            for o in ops:
                self.model.add(tardiness >= v.end[o] + sub.tardiness_tail.get(o, 0) - due)
            self.terms.append((coefficient, tardiness))
            self.tardiness[j] = tardiness

    def _energy(self) -> None:
        """Energy cost of each free operation from its start slot (see the module docstring).

        Time-indexed: one literal per slot the operation may start in, exactly one true; the
        cost is linear in these literals (for each eligible machine, enforced by its presence).
        """
        data, v = self.data, self.v
        r = self.resolution
        cumulative = data.cumulative_price(1)
        last = len(cumulative) - 1
        offset = 0 if r == 1 else r // 2
        weight = data.objective.energy_cost * self.scale
        for o in self.sub.free:
            powered = [opt for opt in v.options[o] if data.power_kw[opt.machine] > 0]
            if not powered:
                continue
            lo, hi = bounds(v.start[o])
            first, final = lo // r, hi // r
            slots = np.arange(first, final + 1)
            literals = [self.model.new_bool_var(f"s_{o}_{k}") for k in slots]
            self.model.add_exactly_one(literals)
            for k, lit in zip(slots.tolist(), literals, strict=True):
                self.model.add_linear_constraint(
                    v.start[o], max(lo, k * r), min(hi, k * r + r - 1)
                ).only_enforce_if(lit)
            starts = np.minimum(slots * r + offset, last)
            by_machine = []
            for opt in powered:
                ends = np.minimum(starts + opt.duration, last)
                costs = [
                    round(c)
                    for c in weight
                    * data.power_kw[opt.machine]
                    * (cumulative[ends] - cumulative[starts])
                ]
                by_machine.append((opt, costs))
            tables = {tuple(c) for _, c in by_machine}
            if len(tables) == 1 and len(powered) == len(v.options[o]):
                costs = by_machine[0][1]
                cost_expr = sum(c * lit for c, lit in zip(costs, literals, strict=True) if c)
                lo_c, hi_c = min(costs), max(costs)
            else:
                lo_c = min(0, *(min(c) for _, c in by_machine))
                hi_c = max(0, *(max(c) for _, c in by_machine))
                cost_expr = None
            cost = self.model.new_int_var(min(lo_c, 0), max(hi_c, 0), f"energy_{o}")
            if cost_expr is not None:
                self.model.add(cost == cost_expr)
            else:
                for opt, costs in by_machine:
                    ct = self.model.add(
                        cost == sum(c * lit for c, lit in zip(costs, literals, strict=True) if c)
                    )
                    if opt.presence is not None:
                        ct.only_enforce_if(opt.presence)
                for opt in v.options[o]:
                    if data.power_kw[opt.machine] == 0 and opt.presence is not None:
                        self.model.add(cost == 0).only_enforce_if(opt.presence)
            self.slots[o] = (first, literals)
            self.energy_options[o] = [(opt.machine, costs) for opt, costs in by_machine]
            self.energy[o] = cost
            self.terms.append((1, cost))

    def add_hint(
        self, starts: dict[int, int], machines: dict[int, int], ends: dict[int, int]
    ) -> None:
        """Hint every objective variable from a placement, so the hint is complete."""
        tolerance = self.data.objective.stability_tolerance_min
        for o, (moved, machine, start) in self.moved.items():
            self.model.add_hint(moved, machines[o] != machine or abs(starts[o] - start) > tolerance)
        r = self.resolution
        for o, (first, literals) in self.slots.items():
            k = starts[o] // r - first
            for i, lit in enumerate(literals):
                self.model.add_hint(lit, i == k)
            chosen = next((costs[k] for m, costs in self.energy_options[o] if m == machines[o]), 0)
            self.model.add_hint(self.energy[o], chosen)
        for j, tardiness in self.tardiness.items():
            due = self.data.job_due[j]
            assert due is not None
            floor = self.sub.completion_floor.get(j, 0) - due
            late = [
                ends[o] + self.sub.tardiness_tail.get(o, 0) - due
                for o in self.data.job_operations[j]
                if o in ends
            ]
            self.model.add_hint(tardiness, max([0, floor, *late]))

    def _stability(self, coefficient: int) -> None:
        """One literal per free operation with a previous placement: it may stay unmoved only
        on its previous machine, within the tolerance of its previous start."""
        tolerance = self.data.objective.stability_tolerance_min
        for o in self.sub.free:
            previous = self.data.op_previous[o]
            if previous is None:
                continue
            machine, start = previous
            option = next((opt for opt in self.v.options[o] if opt.machine == machine), None)
            if option is None:
                self.constant += coefficient  # cannot stay: it moves whatever the plan
                continue
            moved = self.model.new_bool_var(f"moved_{o}")
            self.model.add(self.v.start[o] >= start - tolerance).only_enforce_if(~moved)
            self.model.add(self.v.start[o] <= start + tolerance).only_enforce_if(~moved)
            if option.presence is not None:
                self.model.add_implication(~moved, option.presence)
            self.moved[o] = (moved, machine, start)
            self.terms.append((coefficient, moved))

    def _setup_time(self, coefficient: int) -> None:
        data, v = self.data, self.v
        for options in v.by_machine.values():
            for option in options:
                if not isinstance(option.setup, int):
                    self.terms.append((coefficient, option.setup))
        for m, suffix in self.sub.suffix.items():
            arcs = v.arcs.get(m)
            if arcs is None:
                continue
            for i, option in enumerate(v.by_machine.get(m, []), start=1):
                change = data.changeover_between(m, option.op, suffix.operation)
                if change:
                    self.terms.append((coefficient * change, arcs[i, 0]))
