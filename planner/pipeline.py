"""Forecast -> lot sizing -> sequencing -> check: one planning run on a scenario."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.throughput import ThroughputModel
from planner.demand import period_demand
from planner.io.prices import load_hourly_prices
from planner.lotsizing import (
    LotPlan,
    PlanningPeriod,
    lot_problem,
    lots_to_jobs,
    plan_with_feedback,
)
from planner.lotsizing.handoff import lot_period
from planner.model import EnergyTariff, Job, Machine, Pinned, Problem, Unavailability
from planner.model.data import ProblemData
from planner.model.errors import InputIssue, InvalidInputError
from planner.model.products import Product
from planner.model.time import as_utc
from planner.plans import Plan
from planner.scenario import LoadedScenario, Scenario, load_scenario
from planner.scenario.calendar import (
    horizon_bounds,
    minutes,
    off_shift_windows,
    planning_periods,
    shift_windows,
)
from planner.schedule import Schedule
from planner.scheduling import Result, solve
from planner.scheduling.construct import dispatch_in_order
from planner.scheduling.result import ProgressEvent

SPILL_DAYS = 7
"""The schedule may run this many days past the horizon when the plan is overloaded (those
jobs are late)."""

ScenarioLike = str | Path | Mapping[str, Any] | Scenario | LoadedScenario


def plan(
    scenario: ScenarioLike,
    *,
    time_limit: float | None = None,
    previous_plan: Plan | None = None,
    frozen_until: datetime | int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    on_progress: Callable[[ProgressEvent], None] | None = None,
) -> Plan:
    """Plan a scenario: forecast demand, size lots, sequence them, check the schedule.

    Parameters
    ----------
    scenario
        A scenario file path, a mapping, a :class:`~planner.scenario.Scenario`, or a loaded one.
    time_limit
        Seconds for sequencing (split over the lot-sizing feedback rounds); defaults to the
        scenario's solver setting.
    previous_plan
        A plan to warm-start from; moved operations are counted in the ``stability`` KPIs.
    frozen_until
        With ``previous_plan``: operations that started before this moment (a datetime, or
        minutes from the horizon start) stay where they were, and the previous lots are kept
        (rescheduling, not re-planning).

    Raises
    ------
    InvalidInputError
        When the scenario or its data files are invalid (every problem listed).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    loaded = load_scenario(scenario)
    s = loaded.scenario
    settings = s.solver.model_copy(
        update={
            k: v
            for k, v in {"time_limit_s": time_limit, "seed": seed, "workers": workers}.items()
            if v is not None
        }
    )
    start, end = horizon_bounds(s.horizon, s.factory.calendar)
    periods = planning_periods(s.horizon, s.factory.calendar)
    horizon = minutes(end, start)
    extended = horizon + SPILL_DAYS * 1440
    working = [
        (minutes(a, start), minutes(b, start))
        for a, b in shift_windows(s.factory.calendar, start, start + timedelta(minutes=extended))
    ]
    machines = _machines(s, start, extended)
    products, throughput = _products_with_learned_rates(loaded)
    timings["setup"] = round(time.perf_counter() - started, 3)

    mark = time.perf_counter()
    history = _history(loaded)
    demand = period_demand(
        products,
        periods,
        start,
        working,
        history,
        s.demand.orders,
        s.demand.forecast,
        reuse=None
        if previous_plan is None
        else (previous_plan.forecast_key, previous_plan.forecast_raw),
    )
    timings["forecast"] = round(time.perf_counter() - mark, 3)

    tariff = _tariff(loaded)
    due = _order_due(s, start, periods)
    lead = s.lot_sizing.release_lead_periods * (periods[0].end - periods[0].start)
    split = s.lot_sizing.max_operation_minutes
    rounds = s.lot_sizing.feedback_rounds
    per_round = settings.time_limit_s / rounds

    def schedule(jobs: list[Job], limit: float = per_round) -> Result:
        problem = Problem(
            name=s.name,
            horizon_start=start,
            horizon_minutes=extended,
            machines=tuple(machines),
            jobs=tuple(jobs),
            setups=s.factory.setups,
            tariff=tariff,
            peak_power_kw=s.factory.peak_power_kw,
            objective=s.objective,
            solver=settings.model_copy(update={"time_limit_s": limit}),
        )
        data = problem.build()
        initial = warm_start_schedule(data, previous_plan) if previous_plan is not None else None
        return solve(data, initial=initial, on_progress=on_progress)

    mark = time.perf_counter()
    round_log: list[dict[str, Any]] = []
    if previous_plan is not None and frozen_until is not None:
        frozen = (
            minutes(as_utc(frozen_until), start)
            if isinstance(frozen_until, datetime)
            else int(frozen_until)
        )
        lot_plan = previous_plan.lot_plan
        lot_capacity = previous_plan.lot_capacity
        jobs = _pin(
            _jobs_from(previous_plan, products, periods, due, lead, split), previous_plan, frozen
        )
        result = schedule(jobs, settings.time_limit_s)
    else:
        problem = lot_problem(
            products,
            machines,
            periods,
            demand.demand,
            setups=s.factory.setups,
            safety_stock=demand.safety_stock,
            shortage=s.lot_sizing.shortage,
            overtime_cost=s.lot_sizing.overtime_cost,
            safety_stock_penalty=s.lot_sizing.safety_stock_penalty,
        )
        outcome = plan_with_feedback(
            problem,
            products,
            machines,
            periods,
            lambda jobs: schedule(_with_due(jobs, due)),
            release_lead=lead,
            max_operation_minutes=split,
            start_capacity=None if previous_plan is None else previous_plan.lot_capacity,
            rounds=rounds,
            lot_time_limit=s.lot_sizing.time_limit_s,
            backend=s.lot_sizing.backend,
            mip_gap=s.lot_sizing.mip_gap,
        )
        final = outcome.final
        lot_plan = final.plan
        lot_capacity = final.capacity
        if final.result is None:
            raise InvalidInputError(
                [
                    InputIssue(
                        "lot_sizing",
                        "no lot plan: " + "; ".join(final.plan.explanation or ("infeasible",)),
                    )
                ],
                "scenario",
            )
        result = final.result
        for k, r in enumerate(outcome.rounds):
            round_log.append(
                {
                    "round": k + 1,
                    "lot_cost": r.plan.objective,
                    "overflow_minutes": float(r.overflow.sum()),
                    "schedule_objective": None if r.result is None else r.result.objective,
                }
            )
    timings["plan_and_schedule"] = round(time.perf_counter() - mark, 3)
    timings["total"] = round(time.perf_counter() - started, 3)
    assembled = _assemble(
        s,
        start,
        machines,
        demand,
        lot_plan,
        result,
        previous_plan,
        round_log,
        timings,
        throughput,
    )
    assembled.lot_capacity = lot_capacity
    return assembled


# -- building blocks ------------------------------------------------------------------------


def _machines(s: Scenario, start: datetime, extended: int) -> list[Machine]:
    """Scenario machines with off-shift time and maintenance as unavailability (minutes)."""
    off = off_shift_windows(s.factory.calendar, start, start + timedelta(minutes=extended))
    out = []
    for machine in s.factory.machines:
        windows = [Unavailability(start=a, end=b, reason="off shift") for a, b in off]
        for m in s.factory.calendar.maintenance:
            if m.machine == machine.id:
                a, b = max(0, minutes(m.start, start)), min(extended, minutes(m.end, start))
                if b > a:
                    windows.append(Unavailability(start=a, end=b, reason=m.reason))
        for w in machine.unavailable:
            a = minutes(w.start, start) if isinstance(w.start, datetime) else int(w.start)
            b = minutes(w.end, start) if isinstance(w.end, datetime) else int(w.end)
            if b > a:
                windows.append(
                    Unavailability(start=max(0, a), end=min(extended, b), reason=w.reason)
                )
        out.append(machine.model_copy(update={"unavailable": tuple(windows)}))
    return out


def _products_with_learned_rates(loaded: LoadedScenario) -> tuple[list[Product], pd.DataFrame]:
    """Routings with minutes per unit from the production log where it has runs."""
    s = loaded.scenario
    if s.production_log_csv is None:
        return list(s.products), pd.DataFrame()
    log = _read_csv(loaded, s.production_log_csv, "production_log_csv")
    try:
        model = ThroughputModel(quantiles=(0.1, 0.5, 0.9, s.throughput_quantile)).fit(log)
    except InvalidInputError as error:
        raise InvalidInputError(
            [InputIssue(f"production_log_csv ({i.path})", i.message) for i in error.issues],
            "scenario",
        ) from None
    products = []
    for product in s.products:
        steps = []
        for step in product.routing:
            options = []
            for option in step.machines:
                rate = model.rate(option.machine, product.id, s.throughput_quantile)
                options.append(
                    option
                    if rate is None
                    else option.model_copy(update={"minutes_per_unit": round(rate, 4)})
                )
            steps.append(step.model_copy(update={"machines": tuple(options)}))
        products.append(product.model_copy(update={"routing": tuple(steps)}))
    assert model.table is not None
    return products, model.table


def _read_csv(loaded: LoadedScenario, relative: str, field: str) -> pd.DataFrame:
    path = loaded.path(relative)
    try:
        return pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InvalidInputError(
            [InputIssue(field, f"cannot read {path}: {error}")], "scenario"
        ) from None


def _history(loaded: LoadedScenario) -> pd.DataFrame | None:
    spec = loaded.scenario.demand
    if spec.history_csv is None:
        return None
    frame = _read_csv(loaded, spec.history_csv, "demand.history_csv")
    if "y" in frame.columns and (spec.scale != 1 or spec.product_scale):
        factor = frame["unique_id"].astype(str).map(spec.product_scale).fillna(1.0) * spec.scale
        frame["y"] = pd.to_numeric(frame["y"], errors="coerce") * factor
    return frame


def _tariff(loaded: LoadedScenario) -> EnergyTariff | None:
    spec = loaded.scenario.tariff
    if spec is None:
        return None
    try:
        prices = load_hourly_prices(
            loaded.path(spec.prices_csv), spec.price_column, spec.fill_missing
        )
    except InvalidInputError as error:
        raise InvalidInputError(
            [InputIssue(f"tariff.prices_csv ({i.path})", i.message) for i in error.issues],
            "scenario",
        ) from None
    return EnergyTariff(hourly_prices=prices.prices, start=prices.start, currency=spec.currency)


def _order_due(
    s: Scenario, start: datetime, periods: Sequence[PlanningPeriod]
) -> dict[tuple[str, str], tuple[int, float]]:
    """Earliest firm due time and highest priority per (product, period)."""
    out: dict[tuple[str, str], tuple[int, float]] = {}
    for order in s.demand.orders:
        due = minutes(order.due, start)
        period = next((p for p in periods if due < p.end), periods[-1])
        key = (order.product, period.id)
        old = out.get(key)
        out[key] = (
            min(due, old[0]) if old else due,
            max(order.priority, old[1]) if old else order.priority,
        )
    return out


def _with_due(jobs: list[Job], due: Mapping[tuple[str, str], tuple[int, float]]) -> list[Job]:
    """A lot that carries a firm order is due when the order is, with the order's priority."""
    out = []
    for job in jobs:
        hit = due.get((job.product or "", lot_period(job.id)))
        if hit is None:
            out.append(job)
        else:
            out.append(
                job.model_copy(
                    update={
                        "due": min(
                            _minutes(job.due, hit[0]), max(hit[0], _minutes(job.release, 0))
                        ),
                        "weight": max(job.weight, hit[1]),
                    }
                )
            )
    return out


def warm_start_schedule(data: ProblemData, previous: Plan) -> Schedule | None:
    """The previous plan repaired into a schedule of this problem: operations with the same
    job and operation ids keep their machine and order, new ones are placed where they fit.

    The solver checks the result and starts from it only when it is feasible."""
    frame = previous.schedule
    position = {
        (str(j), str(o)): k
        for k, (j, o) in enumerate(zip(frame["job"], frame["operation"], strict=True))
    }
    machine_ids = {m: i for i, m in enumerate(data.machine_ids)}
    starts = frame["start"].to_numpy()
    keys = [(data.job_ids[data.op_job[o]], data.op_ids[o]) for o in range(data.num_operations)]
    order = sorted(
        range(data.num_operations),
        key=lambda o: (starts[position[keys[o]]] if keys[o] in position else np.inf, o),
    )
    hints = [
        machine_ids.get(str(frame["machine"].iloc[position[k]])) if k in position else None
        for k in keys
    ]
    return dispatch_in_order(data, order, hints)


def _jobs_from(
    previous: Plan,
    products: list[Product],
    periods: Sequence[PlanningPeriod],
    due: Mapping[tuple[str, str], tuple[int, float]],
    lead: int,
    split: int | None,
) -> list[Job]:
    return _with_due(
        lots_to_jobs(
            previous.lot_plan, products, periods, release_lead=lead, max_operation_minutes=split
        ),
        due,
    )


def _minutes(value: object, default: int) -> int:
    """Job times built here are minutes; anything else falls back to ``default``."""
    return int(value) if isinstance(value, int | float) else default


def _pin(jobs: list[Job], previous: Plan, frozen: int) -> list[Job]:
    """Operations of the previous plan that started before ``frozen`` stay where they were."""
    started = previous.schedule[previous.schedule["start"] < frozen]
    where = {
        (str(job), str(op)): (str(machine), int(start))
        for job, op, machine, start in zip(
            started["job"],
            started["operation"],
            started["machine"],
            started["start"].to_numpy(int),
            strict=True,
        )
    }
    out = []
    for job in jobs:
        ops = []
        for op in job.operations:
            hit = where.get((job.id, op.id))
            ops.append(
                op
                if hit is None
                else op.model_copy(update={"pinned": Pinned(machine=hit[0], start=hit[1])})
            )
        out.append(job.model_copy(update={"operations": tuple(ops)}))
    return out


def stability_kpis(previous: Plan | None, schedule: pd.DataFrame) -> dict[str, Any] | None:
    """How much ``schedule`` differs from ``previous``'s: operations compared (same job and
    operation ids), moved (other machine or start), on another machine, the mean shift of
    start times in minutes, and operations new or dropped. ``None`` without a previous plan."""
    if previous is None:
        return None
    old = previous.schedule.set_index(["job", "operation"])[["machine", "start"]]
    new = schedule.set_index(["job", "operation"])[["machine", "start"]]
    common = old.join(new, lsuffix="_old", rsuffix="_new", how="inner")
    moved = common[
        (common["machine_old"] != common["machine_new"])
        | (common["start_old"] != common["start_new"])
    ]
    return {
        "compared_operations": len(common),
        "moved_operations": len(moved),
        "changed_machine": int((common["machine_old"] != common["machine_new"]).sum()),
        "mean_shift_min": round(float((common["start_new"] - common["start_old"]).abs().mean()), 2)
        if len(common)
        else 0.0,
        "new_operations": len(new.index.difference(old.index)),
        "dropped_operations": len(old.index.difference(new.index)),
    }


def _assemble(
    s: Scenario,
    start: datetime,
    machines: list[Machine],
    demand: Any,
    lot_plan: LotPlan | None,
    result: Result,
    previous: Plan | None,
    rounds: list[dict[str, Any]],
    timings: dict[str, float],
    throughput: pd.DataFrame,
) -> Plan:
    if result.schedule is None or result.assignment is None:
        raise InvalidInputError(
            [
                InputIssue(
                    "solver", f"no feasible schedule ({result.status}); see the checker's report"
                )
            ],
            "scenario",
        )
    data = result.data
    assert data is not None
    schedule = result.schedule.copy()
    group_of = {m.id: m.group for m in machines}
    schedule["group"] = schedule["machine"].map(group_of)
    schedule["period"] = schedule["job"].map(lot_period)
    kpis: dict[str, Any] = {
        "status": result.status,
        "objective": result.objective,
        "bound": result.best_bound,
    }
    assert result.kpis is not None
    kpis["schedule"] = result.kpis.model_dump()
    ends = schedule.groupby("job")["end"].max().to_dict()
    on_time = [
        int(ends[job_id]) <= due
        for job_id, due in zip(data.job_ids, data.job_due, strict=True)
        if due is not None
    ]
    kpis["service"] = {
        "jobs": len(ends),
        "operations": len(schedule),
        "on_time_jobs_pct": round(100 * sum(on_time) / max(1, len(on_time)), 2),
        "orders": len(s.demand.orders),
    }
    if lot_plan is not None and lot_plan.lots is not None:
        lots = lot_plan.lots
        kpis["lot_sizing"] = {
            "cost": lot_plan.objective,
            "costs": lot_plan.costs,
            "gap": lot_plan.gap,
            "batches": int((lots["quantity"] > 1e-9).sum()),
            "units_planned": round(float(lots["quantity"].sum()), 2),
            "units_demanded": round(float(lots["demand"].sum()), 2),
            "end_backlog_units": round(float(lots.groupby("product")["shortage"].last().sum()), 2),
        }
    stability = stability_kpis(previous, schedule)
    if stability is not None:
        kpis["stability"] = stability
    kpis["runtime_s"] = timings
    return Plan(
        scenario=s.name,
        schedule=schedule,
        lots=lot_plan.lots
        if lot_plan is not None and lot_plan.lots is not None
        else pd.DataFrame(),
        forecast=demand.per_period,
        kpis=kpis,
        result=result,
        data=data,
        forecast_raw=demand.forecast,
        forecast_key=demand.forecast_key,
        capacity=lot_plan.capacity
        if lot_plan is not None and lot_plan.capacity is not None
        else pd.DataFrame(),
        throughput=throughput,
        rounds=rounds,
        timings=timings,
        horizon_start=start.isoformat(),
        lot_plan=lot_plan,
    )
