"""Demand and throughput forecasting.

Long-format history (``unique_id, ds, y``) in, quantile forecasts (``unique_id, ds, q10, q50,
q90``) out. :class:`~forecasting.models.NeuralForecaster` is the global PyTorch model; the
statistical baselines share its interface. :class:`~forecasting.throughput.ThroughputModel`
learns processing rates from production logs.

The package imports nothing from the planner. Names are loaded on first use, so
``import forecasting.errors`` does not load PyTorch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forecasting.backtest import rolling_origin
    from forecasting.data import quantile_column, validate_history
    from forecasting.errors import InputIssue, InvalidInputError
    from forecasting.metrics import coverage, evaluate, mase, pinball, scaled_pinball, smape
    from forecasting.models import MODELS, Forecaster, NeuralForecaster, make_forecaster
    from forecasting.throughput import ThroughputModel

_EXPORTS = {
    "rolling_origin": "forecasting.backtest",
    "quantile_column": "forecasting.data",
    "validate_history": "forecasting.data",
    "InputIssue": "forecasting.errors",
    "InvalidInputError": "forecasting.errors",
    "coverage": "forecasting.metrics",
    "evaluate": "forecasting.metrics",
    "mase": "forecasting.metrics",
    "pinball": "forecasting.metrics",
    "scaled_pinball": "forecasting.metrics",
    "smape": "forecasting.metrics",
    "MODELS": "forecasting.models",
    "Forecaster": "forecasting.models",
    "NeuralForecaster": "forecasting.models",
    "make_forecaster": "forecasting.models",
    "ThroughputModel": "forecasting.throughput",
}

__all__ = [
    "MODELS",
    "Forecaster",
    "InputIssue",
    "InvalidInputError",
    "NeuralForecaster",
    "ThroughputModel",
    "coverage",
    "evaluate",
    "make_forecaster",
    "mase",
    "pinball",
    "quantile_column",
    "rolling_origin",
    "scaled_pinball",
    "smape",
    "validate_history",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'forecasting' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
