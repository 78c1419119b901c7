"""The backtest of a scenario: its products, rules, capacity and history, and the methods by
name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.errors import InvalidInputError as ForecastInputError
from forecasting.models import MODELS, make_forecaster
from planner.backtest.run import PERFECT, BacktestSetup, Forecast, TwoStage, backtest
from planner.lotsizing import LotProduct, group_capacity, lot_problem
from planner.model.errors import InputIssue, InvalidInputError, under_field
from planner.pipeline import ScenarioLike, scenario_inputs
from planner.scenario import Scenario
from planner.stages.inputs import PlanningInputs

DAY = 1440
DAYS_PER_MONTH = 365.25 / 12
"""A month's days, on average: costs per scenario period become costs per month."""

TWO_STAGE = "two_stage_"
"""Before a forecaster's name: plan with the two-stage model over its scenarios."""

DEFAULT_METHODS = ("combined", "neural", "seasonal_naive", "moving_average", PERFECT)
"""The methods a backtest compares unless told otherwise."""


@dataclass(frozen=True)
class BacktestResult:
    """What a backtest found.

    Attributes
    ----------
    months
        One row per method and month (see :func:`planner.backtest.run.backtest`).
    summary
        One row per method: realised ``cost`` over the window and its parts, ``fill_rate``
        (demand served within its month), ``on_time_share`` (product-months served in full),
        and ``vs_perfect_pct`` (cost above perfect foresight, when it ran).
    """

    months: pd.DataFrame
    summary: pd.DataFrame

    def to_dict(self) -> dict[str, object]:
        return {
            "summary": self.summary.to_dict(orient="records"),
            "months": self.months.to_dict(orient="records"),
        }


def backtest_scenario(
    scenario: ScenarioLike,
    *,
    origins: int = 12,
    methods: Sequence[str] = DEFAULT_METHODS,
    horizon: int = 3,
    forecast_budget_s: float | None = None,
    time_limit_s: float = 10.0,
    scenarios: int = 20,
) -> BacktestResult:
    """Backtest the scenario's lot sizing with each forecasting method (a forecaster name of
    :data:`forecasting.models.MODELS`, or ``perfect``) over the last ``origins`` months of its
    demand history; ``neural`` uses the scenario's forecaster settings, with
    ``forecast_budget_s`` seconds per fit when given. ``two_stage_`` before a forecaster's
    name (``two_stage_neural``) plans with the two-stage model over ``scenarios`` demand
    scenarios drawn from its quantiles, instead of the median plus a safety stock.

    Raises
    ------
    InvalidInputError
        For an invalid scenario, a scenario without a demand history, an unknown method, or
        more origins than the history allows.
    """
    inputs = scenario_inputs(scenario)
    history = inputs.files.history
    if history is None:
        raise InvalidInputError(
            [InputIssue("demand.history_csv", "a backtest needs a demand history")], "backtest"
        )
    forecasts: dict[str, Forecast | TwoStage | None] = {}
    issues: list[InputIssue] = []
    for name in methods:
        try:
            forecasts[name] = _method(name, inputs.scenario, forecast_budget_s, scenarios)
        except InvalidInputError as error:
            issues += error.issues
    if issues:
        raise InvalidInputError(issues, "backtest")
    months = backtest(_setup(inputs, horizon, time_limit_s), history, origins, forecasts)
    return BacktestResult(months, summarise(months))


def _setup(inputs: PlanningInputs, horizon: int, time_limit_s: float) -> BacktestSetup:
    s = inputs.scenario
    shortage = "backlog" if s.lot_sizing.shortage == "none" else s.lot_sizing.shortage
    template = lot_problem(
        inputs.products,
        inputs.machines,
        inputs.periods,
        (),
        setups=s.factory.setups,
        shortage=shortage,
        overtime_cost=s.lot_sizing.overtime_cost,
        safety_stock_penalty=s.lot_sizing.safety_stock_penalty,
    )
    first = inputs.periods[0]
    per_month = DAYS_PER_MONTH * DAY / (first.end - first.start)
    template = template.model_copy(
        update={
            "products": tuple(_monthly(p, per_month, shortage) for p in template.products),
            "safety_stock_penalty": template.safety_stock_penalty * per_month,
        }
    )
    capacity = group_capacity(inputs.machines, inputs.periods)
    days = (inputs.periods[-1].end - inputs.periods[0].start) / DAY
    per_day = {g: sum(c.get(g, 0.0) for c in capacity) / days for g in capacity[0]}
    return BacktestSetup(
        lots=template,
        capacity_per_day=per_day,
        service_level={p.id: round(p.target_service_level(), 3) for p in inputs.products},
        horizon=horizon,
        time_limit_s=time_limit_s,
    )


def _monthly(product: LotProduct, per_month: float, shortage: str) -> LotProduct:
    """The product with its costs per scenario period (a day, say) turned into costs per
    month: holding, and backlog when it is charged per period waited (a lost sale is charged
    once); the safety-stock penalty is turned the same way. Components are consumed in the
    month their consumer is made (a lead of some scenario periods falls within it)."""
    update: dict[str, object] = {
        "holding_cost": product.holding_cost * per_month,
        "components": tuple(c.model_copy(update={"lead_periods": 0}) for c in product.components),
    }
    if shortage == "backlog":
        update["backlog_cost"] = product.backlog_cost * per_month
    return product.model_copy(update=update)


def _method(
    name: str, scenario: Scenario, budget: float | None, scenarios: int
) -> Forecast | TwoStage | None:
    if name == PERFECT:
        return None
    if name.startswith(TWO_STAGE):
        inner = _method(name.removeprefix(TWO_STAGE), scenario, budget, scenarios)
        if inner is None or isinstance(inner, TwoStage):
            raise InvalidInputError(
                [InputIssue("--methods", f"{name!r}: {TWO_STAGE} goes before a forecaster")],
                "backtest",
            )
        return TwoStage(inner, scenarios)
    if name not in MODELS:
        choices = sorted([*MODELS, PERFECT])
        why = f"unknown method {name!r}; choose from {choices}, or {TWO_STAGE} and a forecaster"
        raise InvalidInputError([InputIssue("--methods", why)], "backtest")
    settings = scenario.demand.forecast

    def forecast(known: pd.DataFrame, steps: int, levels: Sequence[float]) -> pd.DataFrame:
        try:
            model = make_forecaster(
                name,
                horizon=steps,
                season=settings.season,
                seed=settings.seed,
                ensemble=settings.ensemble,
                time_budget_s=budget if budget is not None else settings.time_budget_s,
            )
            return model.forecast(known, steps, levels)
        except ForecastInputError as error:
            raise under_field(error, "demand.history_csv") from None

    return forecast


def summarise(months: pd.DataFrame) -> pd.DataFrame:
    """Per method: the window's realised cost and its parts, fill rate and on-time share."""
    parts = ["setup", "holding", "shortage", "overtime", "cost", "demand", "on_time"]
    totals = months.groupby("method", sort=False)[[*parts, "lines", "lines_on_time"]].sum()
    out = totals[parts[:5]].copy()
    demand = totals["demand"].to_numpy(dtype=np.float64)
    lines = totals["lines"].to_numpy(dtype=np.float64)
    out["fill_rate"] = totals["on_time"].to_numpy(dtype=np.float64) / np.where(
        demand > 0, demand, np.nan
    )
    out["on_time_share"] = totals["lines_on_time"].to_numpy(dtype=np.float64) / np.where(
        lines > 0, lines, np.nan
    )
    perfect = float(out["cost"].get(PERFECT, 0.0))
    if perfect > 0:
        out["vs_perfect_pct"] = 100 * (out["cost"].to_numpy(dtype=np.float64) / perfect - 1)
    return out.reset_index().round(4)
