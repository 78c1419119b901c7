"""Demand and throughput forecasting.

Long-format history (``unique_id, ds, y``) in, quantile forecasts (``unique_id, ds, q10, q50,
q90``) out. :class:`~forecasting.models.NeuralForecaster` is the global PyTorch model; the
statistical baselines share its interface. :class:`~forecasting.throughput.ThroughputModel`
learns processing rates from production logs.
"""

from forecasting.backtest import rolling_origin
from forecasting.data import quantile_column, validate_history
from forecasting.metrics import coverage, evaluate, mase, pinball, scaled_pinball, smape
from forecasting.models import MODELS, Forecaster, NeuralForecaster
from forecasting.throughput import ThroughputModel

__all__ = [
    "MODELS",
    "Forecaster",
    "NeuralForecaster",
    "ThroughputModel",
    "coverage",
    "evaluate",
    "mase",
    "pinball",
    "quantile_column",
    "rolling_origin",
    "scaled_pinball",
    "smape",
    "validate_history",
]
