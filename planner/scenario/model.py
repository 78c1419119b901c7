"""Scenario files: a whole planning case (factory, products, demand, tariff, horizon, settings).

A scenario is what a planner edits and runs: it names the data files (history, prices,
production log) by paths relative to the scenario file, and describes the factory in the
planner's language. :func:`planner.scenario.load_scenario` reads and validates one;
``planner schema`` prints its JSON Schema.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field

from forecasting.names import DEFAULT_MODEL
from planner.model.bom import bill_issues
from planner.model.errors import InputIssue, index_ids
from planner.model.factory import Frozen, Machine, SetupRule
from planner.model.products import Product
from planner.model.settings import LotSolverSettings, ObjectiveWeights, SolverSettings


class Shift(Frozen):
    """A working window each working day, local to the factory (``22:00``-``06:00`` spans
    midnight)."""

    start: time
    end: time


class Maintenance(Frozen):
    """A machine out of service from ``start`` to ``end`` (with a UTC offset, e.g.
    ``2024-03-06T06:00:00+01:00``: a time without one is ambiguous and rejected)."""

    machine: str
    start: AwareDatetime
    end: AwareDatetime
    reason: str = "maintenance"


class Calendar(Frozen):
    """When machines work: shifts on working days (0 = Monday); outside them machines are
    unavailable. Maintenance windows come on top."""

    shifts: tuple[Shift, ...] = (
        Shift(start=time(6), end=time(14)),
        Shift(start=time(14), end=time(22)),
    )
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    timezone: str = "Europe/Berlin"
    maintenance: tuple[Maintenance, ...] = ()


class ResourcePoolSpec(Frozen):
    """A pool of operators (one pool per skill: welders, setters), tools or fixtures that
    routing steps need next to their machine (their ``needs``).

    ``capacity`` units at any time, or per shift of the calendar ``shift_capacity`` (one
    number per shift, in the calendar's order: 6 on the early shift, 3 on the late one);
    outside the shifts ``capacity`` holds.
    """

    id: str = Field(min_length=1)
    capacity: int = Field(ge=0)
    shift_capacity: tuple[Annotated[int, Field(ge=0)], ...] = ()


class Factory(Frozen):
    """Machines, their calendar, the changeover rules and the shared resource pools."""

    machines: tuple[Machine, ...] = Field(min_length=1)
    calendar: Calendar = Calendar()
    setups: tuple[SetupRule, ...] = ()
    peak_power_kw: float | None = Field(default=None, gt=0)
    resources: tuple[ResourcePoolSpec, ...] = ()


class Order(Frozen):
    """A firm customer order; ``due`` carries a UTC offset (``2024-03-05T22:00:00+01:00``)."""

    id: str
    product: str
    quantity: float = Field(gt=0)
    due: AwareDatetime
    priority: float = Field(default=1.0, ge=0)


class ForecastSettings(Frozen):
    """How demand is forecast from history."""

    model: str = DEFAULT_MODEL
    season: int = Field(default=12, ge=1)
    quantiles: tuple[Annotated[float, Field(gt=0, lt=1)], ...] = Field(
        default=(0.1, 0.5, 0.9), min_length=1
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    ensemble: int = Field(default=3, ge=1)
    time_budget_s: float | None = Field(default=60.0, gt=0)


class DemandSpec(Frozen):
    """Demand: a history to forecast from and/or firm orders.

    ``history_csv`` has columns ``unique_id, ds, y`` with ``unique_id`` the product id;
    ``scale`` multiplies it (for example to turn a series into units). Firm orders consume the
    forecast: a period's demand is the larger of its orders and its forecast.
    """

    history_csv: str | None = None
    scale: float = Field(default=1.0, gt=0)
    product_scale: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    """Extra factor per product on its history and orders (what-if demand changes)."""
    orders: tuple[Order, ...] = ()
    forecast: ForecastSettings = ForecastSettings()


class TariffSpec(Frozen):
    """Energy prices from a CSV of hourly day-ahead prices (per MWh)."""

    prices_csv: str
    price_column: str | None = None
    fill_missing: Literal["error", "ffill", "interpolate"] = "error"
    currency: str = "USD"


class Horizon(Frozen):
    """The planning horizon: ``periods`` periods of ``period`` starting at ``start``."""

    start: datetime
    period: Literal["shift", "day", "week"] = "day"
    periods: int = Field(default=7, ge=1, le=366)


class LotSizingSettings(LotSolverSettings):
    """Lot-sizing settings: the MILP's (time limit, gap, backend) and the planning rules."""

    shortage: Literal["backlog", "lost_sales", "none"] = "backlog"
    overtime_cost: float | None = Field(default=None, ge=0)
    safety_stock_penalty: float = Field(default=2.0, ge=0)
    feedback_rounds: int = Field(default=2, ge=1, le=10)
    release_lead_periods: int = Field(default=1, ge=0)
    """A lot may start this many periods before its own period (its material is there)."""
    max_operation_minutes: int | None = Field(default=480, gt=0)
    """Split a lot into equal sub-lots when a step would run longer than this on its fastest
    machine (one shift by default), so big lots can use several machines."""


class Scenario(Frozen):
    """A planning scenario.

    Parameters
    ----------
    name
        Used for output folders.
    production_log_csv
        Optional log of past runs (``timestamp, machine, product, quantity, minutes``) from
        which processing rates are learned; without it the routings' nominal times are used.
    throughput_quantile
        Which quantile of the learned rates becomes the scheduled duration.
    """

    name: str = "scenario"
    horizon: Horizon
    factory: Factory
    products: tuple[Product, ...] = Field(min_length=1)
    demand: DemandSpec = DemandSpec()
    tariff: TariffSpec | None = None
    production_log_csv: str | None = None
    throughput_quantile: float = Field(default=0.5, gt=0, lt=1)
    objective: ObjectiveWeights = ObjectiveWeights(
        makespan=0.0, weighted_tardiness=1.0, energy_cost=1.0, setup_time=0.5
    )
    lot_sizing: LotSizingSettings = LotSizingSettings()
    solver: SolverSettings = SolverSettings(time_limit_s=30.0)


def check_references(scenario: Scenario) -> list[InputIssue]:
    """Cross-references a schema cannot check: machines, products, windows; with paths."""
    issues: list[InputIssue] = []
    machines, repeated = index_ids(
        (m.id for m in scenario.factory.machines), "factory.machines", "machine"
    )
    issues.extend(repeated)
    products, repeated = index_ids((p.id for p in scenario.products), "products", "product")
    issues.extend(repeated)
    for k, product in enumerate(scenario.products):
        for s, step in enumerate(product.routing):
            for o, option in enumerate(step.machines):
                if option.machine not in machines:
                    issues.append(
                        InputIssue(
                            f"products[{k}].routing[{s}].machines[{o}].machine",
                            f"unknown machine {option.machine!r}",
                        )
                    )
    issues.extend(_pool_references(scenario))
    issues.extend(bill_issues(scenario.products, "products"))
    for k, product in enumerate(scenario.products):
        steps = [step.id for step in product.routing]
        for n, line in enumerate(product.components):
            if line.step is not None and line.step not in steps:
                issues.append(
                    InputIssue(
                        f"products[{k}].components[{n}].step",
                        f"step {line.step!r} is not in the routing; give one of "
                        + ", ".join(steps),
                    )
                )
    for k, order in enumerate(scenario.demand.orders):
        if order.product not in products:
            issues.append(
                InputIssue(f"demand.orders[{k}].product", f"unknown product {order.product!r}")
            )
    issues.extend(index_ids((o.id for o in scenario.demand.orders), "demand.orders", "order")[1])
    for k, shift in enumerate(scenario.factory.calendar.shifts):
        if shift.start == shift.end:
            issues.append(
                InputIssue(
                    f"factory.calendar.shifts[{k}]",
                    "a shift needs a length: start and end are equal (22:00-06:00 spans "
                    "midnight; for round the clock give two shifts, 06:00-18:00 and 18:00-06:00)",
                )
            )
    days = scenario.factory.calendar.working_days
    for k, day in enumerate(days):
        if day in days[:k]:
            issues.append(
                InputIssue(f"factory.calendar.working_days[{k}]", f"day {day} is listed twice")
            )
    for k, window in enumerate(scenario.factory.calendar.maintenance):
        path = f"factory.calendar.maintenance[{k}]"
        if window.machine not in machines:
            issues.append(InputIssue(f"{path}.machine", f"unknown machine {window.machine!r}"))
        if window.end <= window.start:
            issues.append(InputIssue(path, "end must be after start"))
    for k, day in enumerate(scenario.factory.calendar.working_days):
        if not 0 <= day <= 6:
            issues.append(
                InputIssue(f"factory.calendar.working_days[{k}]", "days are 0 (Monday) to 6")
            )
    try:
        ZoneInfo(scenario.factory.calendar.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        issues.append(
            InputIssue("factory.calendar.timezone", "unknown time zone; use e.g. 'Europe/Berlin'")
        )
    if scenario.demand.history_csv is None and not scenario.demand.orders:
        issues.append(InputIssue("demand", "give a history_csv to forecast from, or firm orders"))
    return issues


def _pool_references(scenario: Scenario) -> list[InputIssue]:
    """Resource pools: unique ids, one shift capacity per shift, needs naming a pool."""
    factory = scenario.factory
    pools, issues = index_ids((p.id for p in factory.resources), "factory.resources", "pool")
    shifts = len(factory.calendar.shifts)
    overlap = _overlapping_shifts(factory.calendar.shifts)
    for k, pool in enumerate(factory.resources):
        path = f"factory.resources[{k}].shift_capacity"
        if pool.shift_capacity and len(pool.shift_capacity) != shifts:
            issues.append(
                InputIssue(
                    path,
                    f"gives {len(pool.shift_capacity)} capacities for {shifts} shifts; give "
                    "one per shift of factory.calendar.shifts, in its order",
                )
            )
        elif pool.shift_capacity and overlap is not None:
            issues.append(
                InputIssue(
                    path,
                    f"shifts {overlap[0]} and {overlap[1]} overlap, so a capacity per shift is "
                    "ambiguous where they do; give shifts that do not overlap",
                )
            )
    for k, product in enumerate(scenario.products):
        for s, step in enumerate(product.routing):
            for n, need in enumerate(step.needs):
                if need.pool not in pools:
                    issues.append(
                        InputIssue(
                            f"products[{k}].routing[{s}].needs[{n}].pool",
                            f"unknown resource pool {need.pool!r}; known: "
                            + (", ".join(sorted(pools)) or "none (add factory.resources)"),
                        )
                    )
    return issues


def _overlapping_shifts(shifts: tuple[Shift, ...]) -> tuple[int, int] | None:
    """The first two shifts (by position) whose hours overlap on the clock, if any."""

    def minutes(shift: Shift) -> set[int]:
        start = shift.start.hour * 60 + shift.start.minute
        end = shift.end.hour * 60 + shift.end.minute
        if end <= start:
            end += 1440
        return {t % 1440 for t in range(start, end)}

    covered = [minutes(shift) for shift in shifts]
    for a in range(len(shifts)):
        for b in range(a + 1, len(shifts)):
            if covered[a] & covered[b]:
                return a, b
    return None
