"""Forecasting models behind one interface (:class:`~forecasting.models.base.Forecaster`)."""

from forecasting.models.base import Forecaster
from forecasting.models.baselines import SBA, TSB, Croston, MovingAverage, Naive, SeasonalNaive
from forecasting.models.neural import NeuralForecaster

MODELS: dict[str, type[Forecaster]] = {
    "neural": NeuralForecaster,
    "naive": Naive,
    "seasonal_naive": SeasonalNaive,
    "moving_average": MovingAverage,
    "croston": Croston,
    "sba": SBA,
    "tsb": TSB,
}

__all__ = [
    "MODELS",
    "SBA",
    "TSB",
    "Croston",
    "Forecaster",
    "MovingAverage",
    "Naive",
    "NeuralForecaster",
    "SeasonalNaive",
]
