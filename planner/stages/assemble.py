"""Stage 6: the checked schedule, lots and forecast assembled into a :class:`Plan` with its
KPIs and explanations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.demand import PeriodDemand
from planner.explain import explain_late_jobs
from planner.kpis import LotSizingKpis, PlanKpis, ServiceKpis, StabilityKpis
from planner.lotsizing import LotPlan
from planner.model.errors import InputIssue, NoFeasiblePlanError
from planner.plans import Plan
from planner.scheduling import Result
from planner.stages.inputs import PlanningInputs
from planner.stages.pegging import orders_per_job, peg_orders
from planner.stages.reschedule import stability_kpis


@dataclass(frozen=True)
class Outcome:
    """What the solver stages produced, ready to assemble."""

    result: Result
    lot_plan: LotPlan | None
    lot_capacity: np.ndarray | None
    rounds: tuple[dict[str, Any], ...] = ()
    lots: pd.DataFrame | None = None
    """The lots, when they are kept from a previous plan without its lot-sizing outcome."""


def assemble(
    inputs: PlanningInputs,
    demand: PeriodDemand,
    outcome: Outcome,
    timings: dict[str, Any],
    previous: pd.DataFrame | None = None,
) -> Plan:
    """The plan, its KPIs (with ``stability`` against a ``previous`` schedule) and why late
    jobs are late.

    Raises
    ------
    NoFeasiblePlanError
        When the scheduler found no feasible schedule.
    """
    result = outcome.result
    if result.schedule is None or result.assignment is None or result.data is None:
        raise NoFeasiblePlanError([_no_schedule(result)])
    data = result.data
    schedule = result.schedule.copy()
    group_of = {m.id: m.group for m in inputs.machines}
    schedule["group"] = schedule["machine"].map(group_of)
    schedule["period"] = schedule["job"].map(dict(zip(data.job_ids, data.job_periods, strict=True)))
    s = inputs.scenario
    orders = peg_orders(s.demand.orders, inputs.products, data, schedule, inputs.start)
    schedule["orders"] = schedule["job"].map(orders_per_job(orders)).fillna("")
    lots = outcome.lot_plan.lots if outcome.lot_plan is not None else outcome.lots
    capacity = outcome.lot_plan.capacity if outcome.lot_plan is not None else None
    tolerance = inputs.scenario.objective.stability_tolerance_min
    stability = None if previous is None else stability_kpis(previous, schedule, tolerance)
    kpis = _kpis(inputs, outcome, schedule, orders, timings, stability)
    return Plan(
        scenario=inputs.scenario.name,
        horizon_start=inputs.start.isoformat(),
        schedule=schedule,
        lots=lots if lots is not None else pd.DataFrame(),
        forecast=demand.per_period,
        orders=orders,
        kpis=kpis,
        feasible=result.feasible,
        result=result,
        data=data,
        explanations=tuple(explain_late_jobs(result, capacity)),
        forecast_raw=demand.forecast,
        forecast_key=demand.forecast_key,
        capacity=capacity if capacity is not None else pd.DataFrame(),
        throughput=inputs.throughput,
        rounds=outcome.rounds,
        timings=timings,
        lot_plan=outcome.lot_plan,
        lot_capacity=outcome.lot_capacity,
    )


def _no_schedule(result: Result) -> InputIssue:
    if result.issues:  # the jobs did not make a valid problem (pins that no longer fit...)
        problems = "; ".join(str(issue) for issue in result.issues[:5])
        return InputIssue("sequencing", f"the jobs do not make a valid problem: {problems}")
    why = {
        "infeasible": "the machines cannot fit every operation within the horizon and its "
        "calendars (proved); lengthen the horizon, add shifts or lower demand",
    }.get(
        result.status,
        f"no feasible schedule found within the time limit ({result.status}); "
        "give the run more time",
    )
    checker = f"; the checker: {result.report.summary(3)}" if result.report is not None else ""
    return InputIssue("sequencing", why + checker)


def _kpis(
    inputs: PlanningInputs,
    outcome: Outcome,
    schedule: pd.DataFrame,
    orders: pd.DataFrame,
    timings: dict[str, Any],
    stability: StabilityKpis | None,
) -> PlanKpis:
    result = outcome.result
    data = result.data
    assert data is not None and result.kpis is not None
    ends = schedule.groupby("job")["end"].max().to_dict()
    on_time = [
        int(ends[job_id]) <= due
        for job_id, due in zip(data.job_ids, data.job_due, strict=True)
        if due is not None
    ]
    service = ServiceKpis(
        jobs=len(ends),
        operations=len(schedule),
        on_time_jobs_pct=round(100 * sum(on_time) / max(1, len(on_time)), 2),
        orders=len(orders),
        orders_on_time=int((orders["lateness_min"].astype(float).fillna(1) <= 0).sum()),
        orders_short=int((orders["short_quantity"] > 1e-9).sum()),
    )
    return PlanKpis(
        status=result.status,
        objective=result.objective,
        bound=result.best_bound,
        schedule=result.kpis,
        service=service,
        runtime_s=timings,
        lot_sizing=_lot_sizing_kpis(outcome.lot_plan),
        stability=stability,
    )


def _lot_sizing_kpis(lot_plan: LotPlan | None) -> LotSizingKpis | None:
    if lot_plan is None or lot_plan.lots is None:
        return None
    lots = lot_plan.lots
    return LotSizingKpis(
        cost=lot_plan.objective,
        costs=lot_plan.costs,
        gap=lot_plan.gap,
        batches=int((lots["quantity"] > 1e-9).sum()),
        units_planned=round(float(lots["quantity"].sum()), 2),
        units_demanded=round(float(lots["demand"].sum()), 2),
        end_backlog_units=round(float(lots.groupby("product")["shortage"].last().sum()), 2),
    )
