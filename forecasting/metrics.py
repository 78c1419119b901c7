"""Forecast accuracy: sMAPE, MASE, scaled pinball loss, interval coverage.

Conventions follow the forecasting competitions so figures can be compared with the
literature: sMAPE in the M-competition form ``mean(200 |y - f| / (|y| + |f|))`` in percent;
MASE scaled by the in-sample mean absolute error of the seasonal naive forecast; the scaled
pinball loss divides each series' mean pinball loss by the same in-sample scale (falling back
to the one-step naive error, then to the mean absolute level, when that is zero). Each
metric is computed per series, then averaged over series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.data import quantile_column

Array = npt.NDArray[np.float64]


def smape(actual: Array, forecast: Array) -> float:
    """Symmetric MAPE in percent (M-competition form); 0/0 counts as a perfect forecast."""
    a, f = np.asarray(actual, float), np.asarray(forecast, float)
    denominator = np.abs(a) + np.abs(f)
    ratio = np.divide(np.abs(a - f), denominator, out=np.zeros_like(a), where=denominator > 0)
    return float(200 * ratio.mean())


def insample_scale(history: Array, season: int = 1) -> float:
    """Mean absolute error of the seasonal naive forecast in sample (one-step naive if the
    series is shorter than a season or the seasonal error is zero; then the mean level)."""
    h = np.asarray(history, float)
    for m in (season, 1):
        if len(h) > m:
            scale = float(np.mean(np.abs(h[m:] - h[:-m])))
            if scale > 0:
                return scale
    level = float(np.mean(np.abs(h))) if len(h) else 0.0
    return level if level > 0 else 1.0


def mase(actual: Array, forecast: Array, history: Array, season: int = 1) -> float:
    """Mean absolute scaled error, scaled by the in-sample seasonal naive error."""
    a, f = np.asarray(actual, float), np.asarray(forecast, float)
    return float(np.mean(np.abs(a - f)) / insample_scale(history, season))


def pinball(actual: Array, predicted: Array, q: float) -> float:
    """Mean pinball (quantile) loss of ``predicted`` as the ``q``-quantile."""
    diff = np.asarray(actual, float) - np.asarray(predicted, float)
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


def scaled_pinball(
    actual: Array, quantiles: dict[float, Array], history: Array, season: int = 1
) -> float:
    """Pinball loss averaged over quantiles, scaled like MASE."""
    losses = [pinball(actual, pred, q) for q, pred in quantiles.items()]
    return float(np.mean(losses) / insample_scale(history, season))


def coverage(actual: Array, lower: Array, upper: Array) -> float:
    """Share of actuals inside ``[lower, upper]``."""
    a = np.asarray(actual, float)
    return float(np.mean((a >= np.asarray(lower, float)) & (a <= np.asarray(upper, float))))


def evaluate(
    forecast: pd.DataFrame,
    actual: pd.DataFrame,
    history: pd.DataFrame,
    season: int = 12,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    interval: tuple[float, float] = (0.1, 0.9),
) -> dict[str, float]:
    """All metrics for a forecast frame against actuals (both long format), per series then
    averaged. The point forecast is the median column (``q50``)."""
    merged = actual.merge(forecast, on=["unique_id", "ds"], how="inner")
    if len(merged) != len(actual):
        raise ValueError(f"forecast covers {len(merged)} of {len(actual)} actual points")
    histories = {str(uid): g["y"].to_numpy(float) for uid, g in history.groupby("unique_id")}
    point = quantile_column(0.5)
    lo, hi = quantile_column(interval[0]), quantile_column(interval[1])
    rows = []
    for uid, g in merged.groupby("unique_id"):
        y = g["y"].to_numpy(float)
        hist = histories[str(uid)]
        qs = {
            q: g[quantile_column(q)].to_numpy(float) for q in quantiles if quantile_column(q) in g
        }
        rows.append(
            {
                "smape": smape(y, g[point].to_numpy(float)),
                "mase": mase(y, g[point].to_numpy(float), hist, season),
                "scaled_pinball": scaled_pinball(y, qs, hist, season) if qs else np.nan,
                "coverage": coverage(y, g[lo].to_numpy(float), g[hi].to_numpy(float))
                if lo in g and hi in g
                else np.nan,
            }
        )
    table = pd.DataFrame(rows)
    return {str(k): float(v) for k, v in table.mean().items()}
