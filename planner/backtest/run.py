"""The value-of-forecast backtest: what each forecast would have cost, month by month.

For each of the last ``origins`` months of the demand history and each method, the backtest
stands at the start of that month knowing only the history before it, forecasts the next
``horizon`` months, sizes lots for them with the scenario's rules and capacity (the median as
demand, the spread up to the product's service level as safety stock, today's stock and
backlog as the start), makes the first month's lots, and plays them against the demand that
really came (:mod:`planner.backtest.play`); the stock and backlog it leaves are where the next
month starts. ``perfect`` instead sizes lots once for the whole window, knowing its demand:
lot sizing's optimum of exactly the cost the others are charged, so no forecast can do better
(within the MILP gap).

It works at the history's own granularity (months for the default factory): a month's
capacity is the plant's capacity per calendar day times the month's days.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.data import quantile_column, validate_history
from planner.backtest.play import Month, play_month
from planner.lotsizing import (
    Demand,
    DemandScenarios,
    LotSizingProblem,
    Period,
    sample_scenarios,
    solve_lots,
)
from planner.model.errors import InputIssue, InvalidInputError

Forecast = Callable[[pd.DataFrame, int, Sequence[float]], pd.DataFrame]
"""``(history before the origin, horizon, quantile levels) -> unique_id, ds, q..``."""

PERFECT = "perfect"
DAY = 1440
SCENARIO_LEVELS = (0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98)
"""Forecast levels the two-stage plans draw their demand scenarios from."""


@dataclass(frozen=True)
class TwoStage:
    """A forecast whose plans come from the two-stage model over ``scenarios`` demand
    scenarios drawn from its quantiles (:mod:`planner.lotsizing.two_stage`), instead of the
    median plus a safety stock."""

    forecast: Forecast
    scenarios: int = 20


@dataclass(frozen=True)
class BacktestSetup:
    """What every method plans with.

    Attributes
    ----------
    lots
        The products (costs, loads, batch rules, initial stock) and lot-sizing rules
        (shortage, overtime, safety-stock penalty); its periods and demand are replaced.
    capacity_per_day
        Minutes per calendar day of each machine group.
    service_level
        Per product, the forecast quantile its safety stock reaches up to.
    horizon
        Months each rolling plan looks ahead.
    time_limit_s, mip_gap
        Per lot-sizing solve.
    """

    lots: LotSizingProblem
    capacity_per_day: Mapping[str, float]
    service_level: Mapping[str, float]
    horizon: int = 3
    time_limit_s: float = 10.0
    mip_gap: float = 1e-4

    def initial_stock(self) -> np.ndarray:
        """Each product's stock when the window opens."""
        return np.array([p.initial_inventory for p in self.lots.products], dtype=np.float64)


def backtest(
    setup: BacktestSetup,
    history: pd.DataFrame,
    origins: int,
    methods: Mapping[str, Forecast | TwoStage | None],
) -> pd.DataFrame:
    """One row per method and month of the window: ``method, origin, month`` and the month's
    ``setup, holding, shortage, overtime, cost, demand, on_time, lines, lines_on_time``.
    ``methods`` maps names to forecasts (wrapped in :class:`TwoStage` to plan with the
    two-stage model); ``None`` (or the name ``perfect``) is perfect foresight."""
    frame = validate_history(history, min_length=1)
    months = _window(frame, origins)
    actual = _actual(frame, setup.lots, months)
    rows = []
    for name, forecast in methods.items():
        if forecast is None or name == PERFECT:
            played = _perfect(setup, months, actual)
        else:
            played = _rolling(setup, frame, months, actual, forecast)
        rows += [
            {"method": name, "origin": k, "month": months[k].strftime("%Y-%m"), **_row(month)}
            for k, month in enumerate(played)
        ]
    return pd.DataFrame(rows)


def _row(month: Month) -> dict[str, float]:
    return {
        "setup": month.setup,
        "holding": month.holding,
        "shortage": month.shortage,
        "overtime": month.overtime,
        "cost": month.cost,
        "demand": month.demand,
        "on_time": month.on_time,
        "lines": month.lines,
        "lines_on_time": month.lines_on_time,
    }


def _window(frame: pd.DataFrame, origins: int) -> list[pd.Timestamp]:
    months = sorted(frame["ds"].unique())
    if origins < 1 or origins >= len(months):
        raise InvalidInputError(
            [
                InputIssue(
                    "--origins",
                    f"the history has {len(months)} months; give 1 to {len(months) - 1} "
                    "origins, so that every origin has history before it",
                )
            ],
            "backtest",
        )
    return [pd.Timestamp(m) for m in months[-origins:]]


def _actual(frame: pd.DataFrame, lots: LotSizingProblem, months: list[pd.Timestamp]) -> np.ndarray:
    """Realised demand ``[product, month]`` over the window (0 where a series has no row)."""
    table = frame.pivot_table(index="unique_id", columns="ds", values="y", aggfunc="sum")
    table = table.reindex(index=[p.id for p in lots.products], columns=months)
    values: np.ndarray = np.nan_to_num(table.to_numpy(dtype=np.float64), nan=0.0)
    return values


def _periods(setup: BacktestSetup, months: Sequence[pd.Timestamp]) -> tuple[Period, ...]:
    periods, start = [], 0
    for month in months:
        days = int(month.days_in_month)
        capacity = {g: c * days for g, c in setup.capacity_per_day.items()}
        periods.append(
            Period(
                id=month.strftime("%Y-%m"), start=start, end=start + days * DAY, capacity=capacity
            )
        )
        start += days * DAY
    return tuple(periods)


def _sized(
    setup: BacktestSetup,
    periods: tuple[Period, ...],
    demand: np.ndarray,
    safety: np.ndarray | None,
    stock: np.ndarray,
    scenarios: DemandScenarios | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lots for ``demand`` (``[product, period]``; with ``scenarios``, the two-stage model
    over them) from ``stock``: production, setups and overtime per period."""
    template = setup.lots
    products = tuple(
        p.model_copy(update={"initial_inventory": float(s)})
        for p, s in zip(template.products, stock, strict=True)
    )
    problem = template.model_copy(
        update={
            "products": products,
            "periods": periods,
            "demand": tuple(
                Demand(product=p.id, period=period.id, quantity=round(float(demand[i, t]), 6))
                for i, p in enumerate(products)
                for t, period in enumerate(periods)
                if demand[i, t] > 0
            ),
            "safety_stock": {
                p.id: tuple(float(v) for v in safety[i])
                for i, p in enumerate(products)
                if safety is not None and safety[i].any()
            },
        }
    )
    data = problem.build()
    plan = solve_lots(
        data,
        time_limit=setup.time_limit_s,
        mip_gap=setup.mip_gap,
        explain=False,
        scenarios=scenarios,
    )
    if plan.lots is None or plan.capacity is None:
        why = "; ".join(plan.explanation) or plan.termination.value
        raise InvalidInputError([InputIssue("lot_sizing", f"no lot plan: {why}")], "backtest")
    shape = (len(products), len(periods))
    made = plan.lots["quantity"].to_numpy().reshape(shape)
    setups = plan.lots["setup"].to_numpy().reshape(shape).astype(np.float64)
    overtime = plan.capacity["overtime"].to_numpy().reshape(len(periods), -1).sum(axis=1)
    return made, setups, overtime


def _perfect(setup: BacktestSetup, months: list[pd.Timestamp], actual: np.ndarray) -> list[Month]:
    stock = setup.initial_stock()
    periods = _periods(setup, months)
    made, setups, overtime = _sized(setup, periods, actual, None, stock)
    return _play(setup, made, setups, overtime, actual)


def _play(
    setup: BacktestSetup,
    made: np.ndarray,
    setups: np.ndarray,
    overtime: np.ndarray,
    actual: np.ndarray,
) -> list[Month]:
    stock = setup.initial_stock()
    backlog = np.zeros_like(stock)
    played = []
    for k in range(actual.shape[1]):
        month, stock, backlog = play_month(
            setup.lots, stock, backlog, made[:, k], setups[:, k], float(overtime[k]),
            actual[:, k], last=k == actual.shape[1] - 1,
        )  # fmt: skip
        played.append(month)
    return played


def _rolling(
    setup: BacktestSetup,
    frame: pd.DataFrame,
    months: list[pd.Timestamp],
    actual: np.ndarray,
    forecast: Forecast | TwoStage,
) -> list[Month]:
    stock = setup.initial_stock()
    backlog = np.zeros_like(stock)
    played = []
    for k, origin in enumerate(months):
        known = frame[frame["ds"] < origin]  # what the planner knows at the origin
        plan = _plan_ahead(setup, known, origin, forecast, stock, backlog, seed=k)
        month, stock, backlog = play_month(
            setup.lots, stock, backlog, plan[0][:, 0], plan[1][:, 0], float(plan[2][0]),
            actual[:, k], last=k == len(months) - 1,
        )  # fmt: skip
        played.append(month)
    return played


def _plan_ahead(
    setup: BacktestSetup,
    known: pd.DataFrame,
    origin: pd.Timestamp,
    forecast: Forecast | TwoStage,
    stock: np.ndarray,
    backlog: np.ndarray,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lots for the months from ``origin``, from today's stock and backlog: on the median
    plus a safety stock, or (:class:`TwoStage`) over demand scenarios."""
    periods = _periods(setup, [origin + pd.DateOffset(months=h) for h in range(setup.horizon)])
    if isinstance(forecast, TwoStage):
        levels = np.array(SCENARIO_LEVELS)
        quantiles = _quantiles(setup, known, origin, forecast.forecast, levels)
        scenarios = sample_scenarios(levels, quantiles, forecast.scenarios, seed=seed)
        scenarios.demand[:, :, 0] += backlog
        return _sized(setup, periods, scenarios.demand.max(axis=0), None, stock, scenarios)
    demand, safety = _median_and_safety(setup, known, origin, forecast)
    demand[:, 0] += backlog
    return _sized(setup, periods, demand, safety, stock)


def _median_and_safety(
    setup: BacktestSetup, known: pd.DataFrame, origin: pd.Timestamp, forecast: Forecast
) -> tuple[np.ndarray, np.ndarray]:
    """Median demand and safety stock ``[product, month]`` for the months from ``origin``: the
    spread from the median up to the product's service level."""
    levels = np.array(sorted({0.5, *setup.service_level.values()}))
    quantiles = _quantiles(setup, known, origin, forecast, levels)
    median = quantiles[:, :, int(np.searchsorted(levels, 0.5))]
    safety = np.zeros_like(median)
    for i, product in enumerate(setup.lots.products):
        k = int(np.searchsorted(levels, setup.service_level.get(product.id, 0.5)))
        safety[i] = np.maximum(quantiles[i, :, k] - median[i], 0.0)
    return median, safety


def _quantiles(
    setup: BacktestSetup,
    known: pd.DataFrame,
    origin: pd.Timestamp,
    forecast: Forecast,
    levels: np.ndarray,
) -> np.ndarray:
    """The forecast ``[product, month, level]`` for the months from ``origin`` (zero for a
    product without history)."""
    products = setup.lots.products
    steps = setup.horizon + _gap_months(known, origin)
    predicted = forecast(known, steps, [float(q) for q in levels])
    predicted = predicted[pd.to_datetime(predicted["ds"]) >= origin]
    out = np.zeros((len(products), setup.horizon, len(levels)))
    columns = [quantile_column(float(q)) for q in levels]
    for i, product in enumerate(products):
        rows = predicted[predicted["unique_id"] == product.id].head(setup.horizon)
        out[i, : len(rows)] = np.maximum(rows[columns].to_numpy(dtype=np.float64), 0.0)
    return out


def _gap_months(known: pd.DataFrame, origin: pd.Timestamp) -> int:
    """Months between the end of what is known and the origin (0 when the history reaches the
    month before it)."""
    last = pd.Timestamp(known["ds"].max())
    return max(0, (origin.year - last.year) * 12 + origin.month - last.month - 1)
