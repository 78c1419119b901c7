"""Statistical baselines: naive, seasonal naive, moving average, and Croston, SBA and TSB for
intermittent demand. Each predicts quantiles as well as a point forecast.

Quantiles of the continuous baselines come from the empirical distribution of their in-sample
one-step errors, widened with the horizon where the method is a random walk (naive:
``sqrt(h)``; seasonal naive: ``sqrt(number of seasons ahead)``). The intermittent methods
forecast a demand probability ``p`` and a demand size; their quantiles are those of the
compound distribution "no demand with probability ``1 - p``, else a size drawn from the
series' past non-zero demands rescaled to the forecast size".
"""

from __future__ import annotations

import math
from abc import abstractmethod

import numpy as np

from forecasting.data import Panel
from forecasting.models.base import Array, Forecaster


def _error_quantiles(residuals: Array, quantiles: tuple[float, ...]) -> Array:
    r = residuals[np.isfinite(residuals)]
    if len(r) == 0:
        return np.zeros(len(quantiles))
    if len(r) < 8:  # too few errors for empirical quantiles: a normal with their spread
        sd = float(np.sqrt(np.mean(r**2)))
        z = np.array([_normal_ppf(q) for q in quantiles])
        return z * sd
    return np.quantile(r, quantiles)


def _normal_ppf(q: float) -> float:
    """Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = [
        -3.969683028665376e01,
        2.209460984245205e02,
        -2.759285104469687e02,
        1.383577518672690e02,
        -3.066479806614716e01,
        2.506628277459239e00,
    ]
    b = [
        -5.447609879822406e01,
        1.615858368580409e02,
        -1.556989798598866e02,
        6.680131188771972e01,
        -1.328068155288572e01,
    ]
    c = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e00,
        -2.549732539343734e00,
        4.374664141464968e00,
        2.938163982698783e00,
    ]
    d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00]
    low = 0.02425
    if q < low:
        t = math.sqrt(-2 * math.log(q))
        return (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) / (
            (((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1
        )
    if q > 1 - low:
        return -_normal_ppf(1 - q)
    t = q - 0.5
    r = t * t
    return (
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * t
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    )


class Naive(Forecaster):
    """The last value, repeated."""

    name = "naive"

    def _fit(self, panel: Panel) -> None:
        self._last = [float(v[-1]) for v in panel.values]
        self._errors = [np.diff(v) for v in panel.values]

    def _predict(self, horizon: int, quantiles: tuple[float, ...]) -> Array:
        out = np.zeros((len(self._last), horizon, len(quantiles)))
        steps = np.sqrt(np.arange(1, horizon + 1))[:, None]
        for i, (last, errors) in enumerate(zip(self._last, self._errors, strict=True)):
            out[i] = last + steps * _error_quantiles(errors, quantiles)[None, :]
        return out


class SeasonalNaive(Forecaster):
    """The value one season earlier (the last season, repeated)."""

    name = "seasonal_naive"

    def _fit(self, panel: Panel) -> None:
        m = self.season
        self._last_season = [v[-m:] if len(v) >= m else np.resize(v, m) for v in panel.values]
        self._errors = [v[m:] - v[:-m] if len(v) > m else np.diff(v) for v in panel.values]

    def _predict(self, horizon: int, quantiles: tuple[float, ...]) -> Array:
        m = self.season
        out = np.zeros((len(self._errors), horizon, len(quantiles)))
        h = np.arange(horizon)
        widen = np.sqrt(h // m + 1)[:, None]
        for i, (season, errors) in enumerate(zip(self._last_season, self._errors, strict=True)):
            point = season[h % m]
            out[i] = point[:, None] + widen * _error_quantiles(errors, quantiles)[None, :]
        return out


class MovingAverage(Forecaster):
    """The mean of the last ``window`` values."""

    name = "moving_average"

    def __init__(self, window: int = 3, season: int = 1) -> None:
        super().__init__(season)
        self.window = window

    def _fit(self, panel: Panel) -> None:
        w = self.window
        self._level, self._errors = [], []
        for v in panel.values:
            self._level.append(float(v[-w:].mean()))
            if len(v) > w:
                means = np.convolve(v, np.ones(w) / w, mode="valid")[:-1]
                self._errors.append(v[w:] - means)
            else:
                self._errors.append(v - v.mean())

    def _predict(self, horizon: int, quantiles: tuple[float, ...]) -> Array:
        out = np.zeros((len(self._level), horizon, len(quantiles)))
        for i, (level, errors) in enumerate(zip(self._level, self._errors, strict=True)):
            out[i] = level + _error_quantiles(errors, quantiles)[None, :]
        return out


class _Intermittent(Forecaster):
    """Shared machinery: demand probability and size -> compound quantiles."""

    def __init__(self, alpha: float = 0.1, season: int = 1) -> None:
        super().__init__(season)
        self.alpha = alpha

    def _fit(self, panel: Panel) -> None:
        self._prob, self._size, self._sizes = [], [], []
        for v in panel.values:
            probability, size = self._estimate(v)
            self._prob.append(probability)
            self._size.append(size)
            self._sizes.append(v[v > 0])

    @abstractmethod
    def _estimate(self, v: Array) -> tuple[float, float]:
        """Demand probability per period and demand size of series ``v``."""

    def _predict(self, horizon: int, quantiles: tuple[float, ...]) -> Array:
        out = np.zeros((len(self._prob), horizon, len(quantiles)))
        for i, (p, size, sizes) in enumerate(zip(self._prob, self._size, self._sizes, strict=True)):
            if p <= 0 or size <= 0 or len(sizes) == 0:
                continue
            scaled = sizes * (size / sizes.mean())
            values = []
            for q in quantiles:
                if q <= 1 - p:
                    values.append(0.0)
                else:
                    values.append(float(np.quantile(scaled, (q - (1 - p)) / p)))
            out[i] = np.asarray(values)[None, :]
        return out

    def point(self) -> Array:
        """Point forecasts (mean demand per period) of each series."""
        point: Array = np.asarray(self._prob, dtype=np.float64) * np.asarray(
            self._size, dtype=np.float64
        )
        return point


def _croston(v: Array, alpha: float) -> tuple[float, float]:
    """Smoothed non-zero size and inter-demand interval (Croston 1972)."""
    nonzero = np.flatnonzero(v > 0)
    if len(nonzero) == 0:
        return 0.0, math.inf
    size = float(v[nonzero[0]])
    interval = float(nonzero[0] + 1)
    for k in range(1, len(nonzero)):
        size += alpha * (v[nonzero[k]] - size)
        interval += alpha * ((nonzero[k] - nonzero[k - 1]) - interval)
    return size, interval


class Croston(_Intermittent):
    """Croston's method: smoothed size over smoothed interval."""

    name = "croston"

    def _estimate(self, v: Array) -> tuple[float, float]:
        size, interval = _croston(v, self.alpha)
        return (1.0 / interval if math.isfinite(interval) else 0.0), size


class SBA(_Intermittent):
    """Syntetos-Boylan approximation: Croston debiased by ``1 - alpha / 2``."""

    name = "sba"

    def _estimate(self, v: Array) -> tuple[float, float]:
        size, interval = _croston(v, self.alpha)
        probability = 1.0 / interval if math.isfinite(interval) else 0.0
        return probability, size * (1 - self.alpha / 2)


class TSB(_Intermittent):
    """Teunter-Syntetos-Babai: smoothed demand probability (updated every period) times
    smoothed size, so the forecast decays when demand stops."""

    name = "tsb"

    def __init__(self, alpha: float = 0.1, beta: float = 0.1, season: int = 1) -> None:
        super().__init__(alpha, season)
        self.beta = beta

    def _estimate(self, v: Array) -> tuple[float, float]:
        nonzero = v > 0
        if not nonzero.any():
            return 0.0, 0.0
        first = int(np.argmax(nonzero))
        probability = 1.0 / (first + 1)
        size = float(v[first])
        for t in range(first + 1, len(v)):
            probability += self.beta * (float(nonzero[t]) - probability)
            if nonzero[t]:
                size += self.alpha * (v[t] - size)
        return probability, size
