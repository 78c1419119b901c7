"""Stage 1: from a scenario and its files to the planning inputs every later stage uses
(periods, machines with their calendars, products with learned rates, the tariff, the firm
orders' due times), all in minutes from the horizon start."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from forecasting.errors import InvalidInputError as ForecastInputError
from forecasting.throughput import ThroughputModel
from planner.io.scenario_files import ScenarioFiles
from planner.model import EnergyTariff, Machine, Unavailability
from planner.model.errors import under_field
from planner.model.periods import PlanningPeriod
from planner.model.products import Product
from planner.model.resources import ResourcePool
from planner.scenario import Scenario
from planner.scenario.calendar import (
    horizon_bounds,
    minutes,
    off_shift_windows,
    planning_periods,
    pools_with_shifts,
    shift_windows,
)

SPILL_DAYS = 7
"""The schedule may run this many days past the horizon when the plan is overloaded (those
jobs are late)."""


@dataclass(frozen=True)
class OrderDue:
    """The firm orders of one product whose due time falls in one period."""

    due: int
    """The earliest of their due times (minutes from the horizon start)."""
    priority: float
    """The highest of their priorities."""
    orders: tuple[str, ...]
    """Their ids."""


@dataclass(frozen=True)
class PlanningInputs:
    """Everything the planning stages need, read and converted once.

    Attributes
    ----------
    scenario
        The validated scenario.
    files
        What its data files hold.
    start
        The horizon start (UTC).
    periods
        The planning periods in minutes from ``start``.
    schedule_minutes
        The scheduling horizon: the planning horizon plus :data:`SPILL_DAYS`.
    working
        Working windows (shifts) in minutes from ``start``.
    machines
        The machines, with off-shift time and maintenance as unavailability.
    products
        The products, with minutes per unit learned from the production log where it has
        runs.
    throughput
        The learned rates per machine and product (empty without a log).
    tariff
        The energy tariff, if the scenario prices energy.
    order_due
        The firm orders per (product, period).
    resources
        The resource pools, with their shift capacities as windows in minutes.
    """

    scenario: Scenario
    files: ScenarioFiles
    start: datetime
    periods: tuple[PlanningPeriod, ...]
    schedule_minutes: int
    working: tuple[tuple[int, int], ...]
    machines: tuple[Machine, ...]
    products: tuple[Product, ...]
    throughput: pd.DataFrame
    tariff: EnergyTariff | None
    order_due: dict[tuple[str, str], OrderDue]
    resources: tuple[ResourcePool, ...] = ()

    @property
    def release_lead(self) -> int:
        """Minutes a lot may start before its period (``lot_sizing.release_lead_periods``)."""
        first = self.periods[0]
        return self.scenario.lot_sizing.release_lead_periods * (first.end - first.start)


def planning_inputs(scenario: Scenario, files: ScenarioFiles) -> PlanningInputs:
    """Convert a scenario and its files into :class:`PlanningInputs`.

    Raises
    ------
    InvalidInputError
        When the production log cannot be learned from (each problem under
        ``production_log_csv``).
    """
    start, end = horizon_bounds(scenario.horizon, scenario.factory.calendar)
    periods = tuple(planning_periods(scenario.horizon, scenario.factory.calendar))
    extended = minutes(end, start) + SPILL_DAYS * 1440
    until = start + timedelta(minutes=extended)
    working = tuple(
        (minutes(a, start), minutes(b, start))
        for a, b in shift_windows(scenario.factory.calendar, start, until)
    )
    products, throughput = learned_rates(scenario, files.production_log)
    return PlanningInputs(
        scenario=scenario,
        files=files,
        start=start,
        periods=periods,
        schedule_minutes=extended,
        working=working,
        machines=tuple(machines_with_calendars(scenario, start, extended)),
        products=tuple(products),
        throughput=throughput,
        tariff=_tariff(scenario, files),
        order_due=order_due(scenario, start, periods),
        resources=pools_with_shifts(scenario.factory, start, until),
    )


def machines_with_calendars(scenario: Scenario, start: datetime, extended: int) -> list[Machine]:
    """Scenario machines with off-shift time and maintenance as unavailability (minutes)."""
    calendar = scenario.factory.calendar
    off = off_shift_windows(calendar, start, start + timedelta(minutes=extended))
    out = []
    for machine in scenario.factory.machines:
        windows = [Unavailability(start=a, end=b, reason="off shift") for a, b in off]
        for m in calendar.maintenance:
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


def learned_rates(
    scenario: Scenario, log: pd.DataFrame | None
) -> tuple[list[Product], pd.DataFrame]:
    """Routings with minutes per unit from the production log where it has runs."""
    if log is None:
        return list(scenario.products), pd.DataFrame()
    level = scenario.throughput_quantile
    try:
        model = ThroughputModel(quantiles=(0.1, 0.5, 0.9, level)).fit(log)
    except ForecastInputError as error:
        raise under_field(error, "production_log_csv") from None
    products = []
    for product in scenario.products:
        steps = []
        for step in product.routing:
            options = []
            for option in step.machines:
                rate = model.rate(option.machine, product.id, level)
                options.append(
                    option
                    if rate is None
                    else option.model_copy(update={"minutes_per_unit": round(rate, 4)})
                )
            steps.append(step.model_copy(update={"machines": tuple(options)}))
        products.append(product.model_copy(update={"routing": tuple(steps)}))
    assert model.table is not None
    return products, model.table


def order_period(due: int, periods: Sequence[PlanningPeriod]) -> PlanningPeriod:
    """The period an order due at minute ``due`` is planned in: the one it falls due in (the
    last one for orders due after the horizon)."""
    return next((p for p in periods if due < p.end), periods[-1])


def order_due(
    scenario: Scenario, start: datetime, periods: Sequence[PlanningPeriod]
) -> dict[tuple[str, str], OrderDue]:
    """The firm orders per (product, period): earliest due time, highest priority, ids."""
    out: dict[tuple[str, str], OrderDue] = {}
    for order in scenario.demand.orders:
        due = minutes(order.due, start)
        period = order_period(due, periods)
        key = (order.product, period.id)
        old = out.get(key)
        out[key] = (
            OrderDue(due, order.priority, (order.id,))
            if old is None
            else OrderDue(
                min(due, old.due), max(order.priority, old.priority), (*old.orders, order.id)
            )
        )
    return out


def _tariff(scenario: Scenario, files: ScenarioFiles) -> EnergyTariff | None:
    if scenario.tariff is None or files.prices is None:
        return None
    return EnergyTariff(
        hourly_prices=files.prices.prices,
        start=files.prices.start,
        currency=scenario.tariff.currency,
    )
