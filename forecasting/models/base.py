"""The interface every forecasting model implements (neural and baseline alike)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.data import (
    DEFAULT_QUANTILES,
    Panel,
    check_quantiles,
    sort_quantiles,
    validate_history,
)
from forecasting.errors import InputIssue, InvalidInputError

Array = npt.NDArray[np.float64]


class Forecaster(ABC):
    """A model that learns from long-format history and predicts quantiles.

    Subclasses implement :meth:`_fit` on a :class:`~forecasting.data.Panel` and
    :meth:`_predict`, returning an array ``[series, horizon, quantile]``. The base class
    validates input, keeps quantiles monotone, clips forecasts of non-negative series at zero
    and builds the output frame ``unique_id, ds, q10, q50, q90``.
    """

    name: str = "forecaster"
    min_length: int = 1

    def __init__(self, season: int = 1) -> None:
        if season < 1:
            raise InvalidInputError([InputIssue("season", "must be at least 1")])
        self.season = season
        self._panel: Panel | None = None

    def fit(self, history: pd.DataFrame) -> Self:
        """Learn from ``history`` (columns ``unique_id, ds, y``)."""
        return self.fit_panel(Panel.from_frame(validate_history(history, self.min_length)))

    def fit_panel(self, panel: Panel) -> Self:
        """Learn from an already validated panel (a combination fits its members so)."""
        self._panel = panel
        self._fit(panel)
        return self

    def predict(self, horizon: int, quantiles: Sequence[float] = DEFAULT_QUANTILES) -> pd.DataFrame:
        """Quantile forecasts ``horizon`` steps past the end of each fitted series."""
        if self._panel is None:
            raise RuntimeError(f"{self.name}: call fit() before predict()")
        if horizon < 1:
            raise InvalidInputError([InputIssue("horizon", "must be at least 1")])
        qs = check_quantiles(quantiles)
        return self._panel.to_forecast_frame(horizon, qs, self._tidy_predict(horizon, qs))

    def forecast(
        self, history: pd.DataFrame, horizon: int, quantiles: Sequence[float] = DEFAULT_QUANTILES
    ) -> pd.DataFrame:
        """``fit(history)`` then ``predict(horizon, quantiles)``."""
        self._expect_horizon(horizon)
        return self.fit(history).predict(horizon, quantiles)

    def _expect_horizon(self, horizon: int) -> None:
        """Told before :meth:`forecast` fits: the horizon it will predict (a model that learns
        a fixed horizon and was given none takes it)."""
        return

    def _tidy_predict(self, horizon: int, quantiles: tuple[float, ...]) -> Array:
        """:meth:`_predict`, with quantiles monotone, no NaN, and forecasts of non-negative
        series clipped at zero."""
        paths = np.asarray(self._predict(horizon, quantiles), dtype=np.float64)
        paths = sort_quantiles(np.nan_to_num(paths, nan=0.0))
        for i, values in enumerate(self.panel.values):
            if len(values) and values.min() >= 0:
                paths[i] = np.maximum(paths[i], 0.0)
        return paths

    @property
    def panel(self) -> Panel:
        if self._panel is None:
            raise RuntimeError(f"{self.name}: not fitted")
        return self._panel

    @abstractmethod
    def _fit(self, panel: Panel) -> None: ...

    @abstractmethod
    def _predict(self, horizon: int, quantiles: tuple[float, ...]) -> Array: ...
