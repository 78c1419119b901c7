"""Solve a lot-sizing problem with HiGHS and report the plan in planner terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from planner.lotsizing import highs_model, pyomo_model
from planner.lotsizing.explain import explain_shortfalls
from planner.lotsizing.formulation import RawSolution
from planner.lotsizing.model import LotSizingData, LotSizingProblem
from planner.lotsizing.two_stage import DemandScenarios, solve_two_stage
from planner.model.errors import InputIssue, InvalidInputError
from planner.model.settings import LotSolverSettings
from planner.status import SolutionStatus, Termination

Backend = Literal["pyomo", "highspy"]


@dataclass(frozen=True)
class LotPlan:
    """The outcome of lot sizing.

    Attributes
    ----------
    termination, solution_status
        Why HiGHS stopped, kept apart from whether a plan was found.
    objective, bound, gap
        Cost of the plan, HiGHS's proven lower bound and the relative gap.
    build_s, solve_s
        Model-building and solving times, reported separately.
    lots
        One row per product and period: ``product, period, quantity, setup, inventory,
        shortage, safety_shortfall, demand, dependent_demand`` (what consumers' batches take
        of a component).
    capacity
        One row per period and machine group: ``load, capacity, overtime, utilisation``.
    explanation
        Why the problem is infeasible and what would fix it (empty when a plan exists).
    shortfalls
        Why the plan leaves demand short or stock below its safety target: one entry per
        product and run of periods, naming the full machine groups and periods that bound
        it, the overtime that would have made the units and the other products' lots there
        (:func:`planner.lotsizing.explain.explain_shortfalls`).
    """

    termination: Termination
    solution_status: SolutionStatus
    objective: float | None
    bound: float | None
    build_s: float
    solve_s: float
    backend: str
    lots: pd.DataFrame | None
    capacity: pd.DataFrame | None
    costs: dict[str, float] = field(default_factory=dict)
    explanation: tuple[str, ...] = ()
    issues: tuple[Any, ...] = ()
    shortfalls: tuple[dict[str, Any], ...] = ()

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        return abs(self.objective - self.bound) / max(1e-9, abs(self.objective))

    @property
    def feasible(self) -> bool:
        return self.solution_status is not SolutionStatus.NO_SOLUTION

    def batches(self) -> pd.DataFrame:
        """Only the lots that produce something."""
        if self.lots is None:
            return pd.DataFrame()
        return self.lots[self.lots["quantity"] > 1e-9].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "termination": self.termination.value,
            "solution_status": self.solution_status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "build_s": round(self.build_s, 4),
            "solve_s": round(self.solve_s, 4),
            "backend": self.backend,
            "costs": self.costs,
            "explanation": list(self.explanation),
            "shortfalls": list(self.shortfalls),
        }


def solve_lots(
    problem: LotSizingProblem | LotSizingData,
    settings: LotSolverSettings | None = None,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    backend: Backend | None = None,
    seed: int = 0,
    explain: bool = True,
    scenarios: DemandScenarios | None = None,
) -> LotPlan:
    """Plan production quantities per product and period.

    Parameters
    ----------
    problem
        The problem, validated here if not already built.
    settings
        Time limit, MIP gap and backend (:class:`~planner.model.LotSolverSettings`; its
        defaults when omitted). The plan is optimal within the gap when ``termination`` is
        optimal.
    time_limit, mip_gap, backend
        Override those fields of ``settings``.
    explain
        When infeasible, solve two relaxations to say which demand cannot be met and how
        much overtime would fix it.
    scenarios
        Demand scenarios (``[scenario, product, period]`` with weights): the two-stage model
        of :mod:`planner.lotsizing.two_stage` instead of the problem's single demand, whose
        stock and shortage columns are then expectations (highspy backend only).
    """
    chosen = settings or LotSolverSettings()
    time_limit = chosen.time_limit_s if time_limit is None else time_limit
    mip_gap = chosen.mip_gap if mip_gap is None else mip_gap
    backend = chosen.backend if backend is None else backend
    try:
        data = problem if isinstance(problem, LotSizingData) else problem.build()
    except InvalidInputError as error:
        return _invalid(backend, *error.issues)
    module = highs_model if backend == "highspy" else pyomo_model
    if scenarios is not None and scenarios.demand.shape[1:] != data.demand.shape:
        raise ValueError("scenarios must be [scenario, product, period] of this problem")
    if scenarios is not None and backend != "highspy":
        return _invalid(backend, InputIssue("backend", "the two-stage model is built in highspy"))
    raw = (
        module.solve(data, time_limit, mip_gap, seed)
        if scenarios is None
        else solve_two_stage(data, scenarios, time_limit, mip_gap, seed)
    )
    termination = Termination(raw.termination)
    if not raw.has_solution:
        explanation = (
            _explain(data, time_limit, module)
            if explain and termination is Termination.INFEASIBLE
            else ()
        )
        return LotPlan(
            termination,
            SolutionStatus.NO_SOLUTION,
            None,
            raw.bound,
            raw.build_s,
            raw.solve_s,
            backend,
            None,
            None,
            explanation=explanation,
        )
    status = (
        SolutionStatus.OPTIMAL if termination is Termination.OPTIMAL else SolutionStatus.FEASIBLE
    )
    return LotPlan(
        termination,
        status,
        raw.objective,
        raw.bound,
        raw.build_s,
        raw.solve_s,
        backend,
        _lots(data, raw),
        _capacity(data, raw),
        _costs(data, raw),
        shortfalls=tuple(
            explain_shortfalls(
                data, raw.production, raw.setup, raw.shortage, raw.safety_shortfall, raw.overtime
            )
        ),
    )


def _invalid(backend: str, *issues: InputIssue) -> LotPlan:
    return LotPlan(
        Termination.INVALID_INPUT,
        SolutionStatus.NO_SOLUTION,
        None,
        None,
        0.0,
        0.0,
        backend,
        None,
        None,
        issues=issues,
    )


def _lots(data: LotSizingData, raw: RawSolution) -> pd.DataFrame:
    n_p, n_t, _ = data.shape
    return pd.DataFrame(
        {
            "product": np.repeat(data.product_ids, n_t),
            "period": np.tile(data.period_ids, n_p),
            "quantity": np.round(raw.production.ravel(), 6),
            "setup": raw.setup.ravel() > 0.5,
            "inventory": np.round(raw.inventory.ravel(), 6),
            "shortage": np.round(raw.shortage.ravel(), 6),
            "safety_shortfall": np.round(raw.safety_shortfall.ravel(), 6),
            "demand": data.demand.ravel(),
            "dependent_demand": np.round(data.dependent_demand(raw.production).ravel(), 6),
        }
    )


def load_by_group(data: LotSizingData, production: np.ndarray, setup: np.ndarray) -> np.ndarray:
    """Minutes of capacity used ``[period, group]`` by a production plan."""
    return production.T @ data.unit_minutes + setup.T @ data.setup_minutes


def _capacity(data: LotSizingData, raw: RawSolution) -> pd.DataFrame:
    _, n_t, n_g = data.shape
    load = load_by_group(data, raw.production, raw.setup)
    capacity = data.capacity
    return pd.DataFrame(
        {
            "period": np.repeat(data.period_ids, n_g),
            "group": np.tile(data.groups, n_t),
            "load": np.round(load.ravel(), 3),
            "capacity": capacity.ravel(),
            "overtime": np.round(raw.overtime.ravel(), 3),
            "utilisation": np.round(
                np.divide(load, capacity, out=np.zeros_like(load), where=capacity > 0).ravel(), 4
            ),
        }
    )


def _costs(data: LotSizingData, raw: RawSolution) -> dict[str, float]:
    from planner.lotsizing.formulation import coefficients

    c = coefficients(data)
    return {
        "setup": float((c.setup_cost * raw.setup).sum()),
        "holding": float((c.holding * raw.inventory).sum()),
        "shortage": float((c.shortage * raw.shortage).sum()),
        "safety_stock": float(c.penalty * raw.safety_shortfall.sum()),
        "overtime": float((c.overtime or 0.0) * raw.overtime.sum()),
    }


def _explain(data: LotSizingData, time_limit: float, module: Any) -> tuple[str, ...]:
    """Which demand cannot be met on time, and how much overtime would make it feasible."""
    problem = data.problem
    lines = []
    relaxed = problem.model_copy(update={"shortage": "backlog", "end_backlog_cost_factor": 1.0})
    raw = module.solve(relaxed.build(), time_limit, 1e-3)
    if raw.has_solution:
        late = np.argwhere(raw.shortage > 1e-6)
        for i, t in late[:20]:
            lines.append(
                f"product {data.product_ids[i]}: {raw.shortage[i, t]:.1f} units of demand due by "
                f"period {data.period_ids[t]} cannot be made in time with the capacity available"
            )
        if len(late) > 20:
            lines.append(f"... and {len(late) - 20} more product-periods short")
        if len(late):
            lines.append("fix: allow backlog (shortage='backlog') or add capacity")
    if problem.overtime_cost is None or lines:
        elastic = problem.model_copy(update={"overtime_cost": 1.0, "shortage": "none"})
        raw = module.solve(elastic.build(), time_limit, 1e-3)
        if raw.has_solution:
            need = np.argwhere(raw.overtime > 1e-6)
            for t, g in need[:20]:
                lines.append(
                    f"fix: {raw.overtime[t, g]:.0f} min overtime on group {data.groups[g]} in "
                    f"period {data.period_ids[t]} would meet every demand on time"
                )
        else:
            lines.append(
                "even unlimited overtime cannot meet every demand: check the batch rules and "
                "demand early in the horizon against initial stock"
            )
    return tuple(lines) or ("infeasible: no single product or period explains it",)
