"""The lot-sizing MILP in Pyomo (readable), solved by HiGHS through Pyomo's solver layer."""

from __future__ import annotations

import time

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

from planner.lotsizing.formulation import (
    RawSolution,
    coefficients,
    dependent_terms,
    native_stdout_silenced,
    shortage_caps,
)
from planner.lotsizing.model import LotSizingData


def build(data: LotSizingData) -> pyo.ConcreteModel:
    """The model of :mod:`planner.lotsizing.formulation` as a Pyomo ``ConcreteModel``."""
    c = coefficients(data)
    n_p, n_t, n_g = data.shape
    m = pyo.ConcreteModel("lot_sizing")
    m.P = pyo.RangeSet(0, n_p - 1)
    m.T = pyo.RangeSet(0, n_t - 1)
    m.G = pyo.RangeSet(0, n_g - 1)
    m.x = pyo.Var(m.P, m.T, domain=pyo.NonNegativeReals)
    m.y = pyo.Var(m.P, m.T, domain=pyo.Binary)
    m.inv = pyo.Var(m.P, m.T, domain=pyo.NonNegativeReals)
    caps = shortage_caps(data, data.demand, c.backlog)

    def short_bounds(m: pyo.ConcreteModel, i: int, t: int) -> tuple[float, float | None]:
        if not c.shortage_allowed:
            return 0.0, 0.0
        return 0.0, float(caps[i, t]) if np.isfinite(caps[i, t]) else None

    m.short = pyo.Var(m.P, m.T, domain=pyo.NonNegativeReals, bounds=short_bounds)
    m.ss = pyo.Var(m.P, m.T, domain=pyo.NonNegativeReals)
    m.k = pyo.Var(m.P, m.T, domain=pyo.NonNegativeIntegers)
    m.over = pyo.Var(
        m.T, m.G, domain=pyo.NonNegativeReals, bounds=(0, None if c.overtime is not None else 0)
    )
    initial = [p.initial_inventory for p in data.problem.products]
    consumed: dict[tuple[int, int], list[tuple[int, int, float]]] = {}
    for component, period, i, t, units in dependent_terms(data):
        consumed.setdefault((component, period), []).append((i, t, units))

    def balance(m: pyo.ConcreteModel, i: int, t: int) -> pyo.Expression:
        before = initial[i] if t == 0 else m.inv[i, t - 1]
        out = data.demand[i, t] + sum(u * m.x[p, s] for p, s, u in consumed.get((i, t), []))
        if c.backlog:
            carried = 0 if t == 0 else m.short[i, t - 1]
            return m.inv[i, t] - m.short[i, t] == before - carried + m.x[i, t] - out
        return m.inv[i, t] == before + m.x[i, t] - out + m.short[i, t]

    def capacity(m: pyo.ConcreteModel, t: int, g: int) -> pyo.Expression:
        load = sum(
            data.unit_minutes[i, g] * m.x[i, t] + data.setup_minutes[i, g] * m.y[i, t]
            for i in m.P
            if data.unit_minutes[i, g] > 0
        )
        if isinstance(load, int):
            return pyo.Constraint.Skip
        return load <= data.capacity[t, g] + m.over[t, g]

    def setup(m: pyo.ConcreteModel, i: int, t: int) -> pyo.Expression:
        return m.x[i, t] <= c.big_m[i, t] * m.y[i, t]

    def minimum(m: pyo.ConcreteModel, i: int, t: int) -> pyo.Expression:
        if c.min_batch[i] <= 0:
            return pyo.Constraint.Skip
        return m.x[i, t] >= c.min_batch[i] * m.y[i, t]

    def multiple(m: pyo.ConcreteModel, i: int, t: int) -> pyo.Expression:
        if c.multiple[i] <= 0:
            return pyo.Constraint.Skip
        return m.x[i, t] == c.multiple[i] * m.k[i, t]

    def safety(m: pyo.ConcreteModel, i: int, t: int) -> pyo.Expression:
        if data.safety[i, t] <= 0:
            return pyo.Constraint.Skip
        return m.inv[i, t] + m.ss[i, t] >= data.safety[i, t]

    m.balance = pyo.Constraint(m.P, m.T, rule=balance)
    m.capacity = pyo.Constraint(m.T, m.G, rule=capacity)
    m.setup = pyo.Constraint(m.P, m.T, rule=setup)
    m.minimum = pyo.Constraint(m.P, m.T, rule=minimum)
    m.multiple = pyo.Constraint(m.P, m.T, rule=multiple)
    m.safety = pyo.Constraint(m.P, m.T, rule=safety)
    for i in range(n_p):
        if c.multiple[i] <= 0:
            for t in range(n_t):
                m.k[i, t].fix(0)
    m.cost = pyo.Objective(
        expr=sum(
            c.setup_cost[i, t] * m.y[i, t]
            + c.holding[i, t] * m.inv[i, t]
            + c.shortage[i, t] * m.short[i, t]
            + c.penalty * m.ss[i, t]
            for i in m.P
            for t in m.T
        )
        + sum((c.overtime or 0.0) * m.over[t, g] for t in m.T for g in m.G),
        sense=pyo.minimize,
    )
    return m


def solve(data: LotSizingData, time_limit: float, mip_gap: float, seed: int = 0) -> RawSolution:
    started = time.perf_counter()
    model = build(data)
    build_s = time.perf_counter() - started
    solver = SolverFactory("highs")
    started = time.perf_counter()
    with native_stdout_silenced():
        results = solver.solve(
            model,
            time_limit=time_limit,
            rel_gap=mip_gap,
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
            solver_options={"random_seed": seed, "output_flag": False},
        )
    solve_s = time.perf_counter() - started
    tc = results.termination_condition
    has = results.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
    termination = {
        TerminationCondition.convergenceCriteriaSatisfied: "optimal",
        TerminationCondition.maxTimeLimit: "time_limit",
        TerminationCondition.provenInfeasible: "infeasible",
        TerminationCondition.locallyInfeasible: "infeasible",
        TerminationCondition.infeasibleOrUnbounded: "infeasible",
    }.get(tc, "unknown")
    n_p, n_t, n_g = data.shape
    arrays = {name: np.zeros((n_p, n_t)) for name in ("x", "y", "inv", "short", "ss")}
    over = np.zeros((n_t, n_g))
    if has:
        results.solution_loader.load_vars()
        for name, array in arrays.items():
            var = getattr(model, name)
            for (i, t), v in var.items():
                array[i, t] = pyo.value(v) or 0.0
        for (t, g), v in model.over.items():
            over[t, g] = pyo.value(v) or 0.0
    bound = results.objective_bound
    return RawSolution(
        termination=termination,
        has_solution=has,
        objective=results.incumbent_objective if has else None,
        bound=None if bound is None or not np.isfinite(bound) else float(bound),
        build_s=build_s,
        solve_s=solve_s,
        production=arrays["x"],
        setup=np.round(arrays["y"]),
        inventory=arrays["inv"],
        shortage=arrays["short"],
        safety_shortfall=arrays["ss"],
        overtime=over,
    )
