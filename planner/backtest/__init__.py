"""The value-of-forecast backtest: forecast, size lots and play the plan against the demand
that really came, for each forecasting method (:func:`backtest_scenario`)."""

from planner.backtest.run import PERFECT, BacktestSetup, TwoStage, backtest
from planner.backtest.scenario import DEFAULT_METHODS, BacktestResult, backtest_scenario

__all__ = [
    "DEFAULT_METHODS",
    "PERFECT",
    "BacktestResult",
    "BacktestSetup",
    "TwoStage",
    "backtest",
    "backtest_scenario",
]
