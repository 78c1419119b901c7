"""From a demand history and firm orders to demand and safety stock per planning period.

The forecaster predicts in the history's own frequency (months, say). Each forecast step is
spread over the planning periods it overlaps in proportion to working minutes, so no demand
lands on a weekend without shifts. The median becomes demand; the safety stock of a period is
the spread between the median and the quantile at the product's service level, scaled by the
square root of the period's share of the step (independent daily noise). Firm orders consume
the forecast: a period's demand is the larger of its orders and its forecast.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from forecasting.data import infer_frequency, quantile_column, validate_history
from forecasting.errors import InvalidInputError as ForecastInputError
from forecasting.models import Forecaster, make_forecaster
from planner.lotsizing import Demand, PlanningPeriod
from planner.model.errors import InputIssue, InvalidInputError, under_field
from planner.model.products import Product
from planner.scenario.model import ForecastSettings, Order


@dataclass(frozen=True)
class PeriodDemand:
    """Demand and safety-stock targets per product and planning period."""

    demand: list[Demand]
    safety_stock: dict[str, list[float]]
    forecast: pd.DataFrame
    """The forecast in the history's frequency (``unique_id, ds, q..``), empty without history."""
    per_period: pd.DataFrame
    """``product, period, forecast, orders, demand, safety_stock``."""
    forecast_key: str = ""
    """A fingerprint of everything the forecast depends on (history, horizon, quantiles,
    forecaster settings); equal keys mean the forecast can be reused as it is."""


def scenario_forecaster(settings: ForecastSettings, horizon: int) -> Forecaster:
    """The forecaster a scenario's ``demand.forecast`` settings ask for."""
    try:
        return make_forecaster(
            settings.model,
            horizon=horizon,
            season=settings.season,
            seed=settings.seed,
            ensemble=settings.ensemble,
            time_budget_s=settings.time_budget_s,
            field="demand.forecast.model",
        )
    except ForecastInputError as error:
        raise under_field(error, "") from None


def period_demand(
    products: Sequence[Product],
    periods: Sequence[PlanningPeriod],
    origin: datetime,
    working: Sequence[tuple[int, int]],
    history: pd.DataFrame | None,
    orders: Sequence[Order],
    settings: ForecastSettings,
    reuse: tuple[str, pd.DataFrame] | None = None,
) -> PeriodDemand:
    """Demand per product and period (see the module docstring).

    ``working`` lists the working windows in minutes from ``origin``; ``origin`` is the
    horizon start (UTC). ``reuse`` is an earlier run's ``(forecast_key, forecast)``: when
    the key matches this run's, that forecast is used instead of training again (a what-if
    that does not touch demand keeps the base's forecast, and its time).
    """
    forecast_share = np.zeros((len(products), len(periods)))
    safety = np.zeros((len(products), len(periods)))
    forecast_frame, key = pd.DataFrame(), ""
    if history is not None:
        forecast_frame, key, freq = _forecast(products, periods, origin, history, settings, reuse)
        for i, product in enumerate(products):
            steps = forecast_frame[forecast_frame["unique_id"] == product.id]
            level = quantile_column(_level(product))
            for row in steps.to_dict(orient="records"):
                start = pd.Timestamp(row["ds"])
                shares = _shares(origin, start, start + freq, periods, working)
                median = float(row["q50"])
                spread = max(0.0, float(row[level]) - median)
                forecast_share[i] += median * shares
                safety[i] = np.maximum(safety[i], spread * np.sqrt(shares))
    firm = _firm(products, periods, origin, orders)
    demand, per_period = _per_period(products, periods, forecast_share, firm, safety)
    return PeriodDemand(
        demand=demand,
        safety_stock={
            p.id: [round(float(v), 3) for v in safety[i]]
            for i, p in enumerate(products)
            if safety[i].any()
        },
        forecast=forecast_frame,
        per_period=per_period,
        forecast_key=key,
    )


def _forecast(
    products: Sequence[Product],
    periods: Sequence[PlanningPeriod],
    origin: datetime,
    history: pd.DataFrame,
    settings: ForecastSettings,
    reuse: tuple[str, pd.DataFrame] | None,
) -> tuple[pd.DataFrame, str, BaseOffset]:
    """The forecast over the horizon in the history's frequency, its fingerprint, and that
    frequency."""
    try:
        frame = validate_history(history, min_length=3)
    except ForecastInputError as error:
        raise under_field(error, "demand.history_csv") from None
    issues = []
    unknown = sorted(set(frame["unique_id"]) - {p.id for p in products})
    if unknown:
        issues.append(
            InputIssue("demand.history_csv", f"series for unknown products {unknown[:5]}")
        )
    negative = frame.index[frame["y"] < 0].tolist()
    if negative:
        issues.append(
            InputIssue(
                "demand.history_csv (y)",
                f"{len(negative)} negative demand value(s), first at row {negative[0]}; "
                "demand is at least 0 (record returns separately)",
            )
        )
    origin_naive = pd.Timestamp(origin).tz_convert(None)
    if frame["ds"].max() > origin_naive:
        issues.append(
            InputIssue(
                "demand.history_csv (ds)",
                f"the history runs to {frame['ds'].max().date()}, after the plan starts "
                f"({origin_naive.date()}); it must end before the horizon",
            )
        )
    if issues:
        raise InvalidInputError(issues, "scenario")
    freq = infer_frequency(frame)
    end_time = pd.Timestamp(origin) + pd.Timedelta(minutes=periods[-1].end)
    steps = pd.date_range(
        frame["ds"].max(), end_time.tz_convert(None) if end_time.tzinfo else end_time, freq=freq
    )
    horizon = max(1, len(steps))
    levels = sorted({*settings.quantiles, 0.5, *(_level(p) for p in products)})
    key = forecast_key(frame, horizon, levels, settings)
    if reuse is not None and reuse[0] == key and not reuse[1].empty:
        return reuse[1], key, freq
    try:
        forecast = scenario_forecaster(settings, horizon).forecast(frame, horizon, levels)
    except ForecastInputError as error:
        raise under_field(error, "demand.forecast") from None
    return forecast, key, freq


def _firm(
    products: Sequence[Product],
    periods: Sequence[PlanningPeriod],
    origin: datetime,
    orders: Sequence[Order],
) -> np.ndarray:
    """Units of firm orders per product and period (by due time)."""
    firm = np.zeros((len(products), len(periods)))
    index = {p.id: k for k, p in enumerate(products)}
    for order in orders:
        due = int(
            (pd.Timestamp(order.due).tz_convert("UTC") - pd.Timestamp(origin)).total_seconds() // 60
        )
        t = next((k for k, p in enumerate(periods) if due < p.end), len(periods) - 1)
        firm[index[order.product], t] += order.quantity
    return firm


def _per_period(
    products: Sequence[Product],
    periods: Sequence[PlanningPeriod],
    forecast_share: np.ndarray,
    firm: np.ndarray,
    safety: np.ndarray,
) -> tuple[list[Demand], pd.DataFrame]:
    """Demand (the larger of orders and forecast) per product and period, and the table."""
    demand = np.maximum(firm, forecast_share)
    rows: list[dict[str, object]] = []
    demands: list[Demand] = []
    for i, product in enumerate(products):
        for t, period in enumerate(periods):
            if demand[i, t] > 1e-9:
                quantity = round(float(demand[i, t]), 3)
                demands.append(
                    Demand(
                        product=product.id, period=period.id, quantity=quantity, firm=firm[i, t] > 0
                    )
                )
            rows.append(
                {
                    "product": product.id,
                    "period": period.id,
                    "forecast": round(float(forecast_share[i, t]), 3),
                    "orders": float(firm[i, t]),
                    "demand": round(float(demand[i, t]), 3),
                    "safety_stock": round(float(safety[i, t]), 3),
                }
            )
    return demands, pd.DataFrame(rows)


def forecast_key(
    history: pd.DataFrame, horizon: int, levels: Sequence[float], settings: ForecastSettings
) -> str:
    """A fingerprint of a forecast's inputs: the validated history, horizon, quantile levels
    and forecaster settings (model, seed, budget...)."""
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(history, index=False).to_numpy().tobytes())
    digest.update(json.dumps([str(c) for c in history.columns]).encode())
    digest.update(json.dumps([horizon, list(levels)]).encode())
    digest.update(settings.model_dump_json().encode())
    return digest.hexdigest()


def _level(product: Product) -> float:
    """The product's service level, rounded to a tenth of a percent."""
    return round(product.target_service_level(), 3)


def _shares(
    origin: datetime,
    start: pd.Timestamp,
    stop: pd.Timestamp,
    periods: Sequence[PlanningPeriod],
    working: Sequence[tuple[int, int]],
) -> np.ndarray:
    """Share of the step ``[start, stop)`` that falls in each period, by working minutes (the
    whole step's working minutes are estimated from the horizon's working pattern)."""
    base = (
        pd.Timestamp(origin).tz_convert(None)
        if pd.Timestamp(origin).tzinfo
        else pd.Timestamp(origin)
    )
    a = int((start - base).total_seconds() // 60)
    b = int((stop - base).total_seconds() // 60)
    span = max(1, b - a)
    shares = np.zeros(len(periods))
    for k, period in enumerate(periods):
        lo, hi = max(a, period.start), min(b, period.end)
        if hi <= lo:
            continue
        shares[k] = sum(max(0, min(hi, w1) - max(lo, w0)) for w0, w1 in working)
    horizon_minutes = periods[-1].end - periods[0].start
    working_in_horizon = sum(
        max(0, min(w1, periods[-1].end) - max(w0, periods[0].start)) for w0, w1 in working
    )
    if working_in_horizon <= 0:
        return shares
    # working minutes of the whole step, from the density of working time in the horizon
    step_working = span * working_in_horizon / max(1, horizon_minutes)
    return shares / step_working
