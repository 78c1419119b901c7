"""Conformal adjustment of quantile forecasts on a holdout window.

For each quantile level ``q`` the forecast errors on the holdout, scaled by each series'
level, give an empirical shift ``delta_q``: the ``q``-quantile of ``(y - yhat_q) / scale``.
Adding ``scale * delta_q`` to future ``q``-quantiles makes them cover about ``q`` of the
outcomes if the holdout is representative (split-conformal quantile regression, pooled across
series so that short series borrow strength).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class QuantileShift:
    """Additive shifts (in units of each series' scale), one per quantile level."""

    quantiles: tuple[float, ...]
    shifts: tuple[float, ...]

    def apply(self, paths: Array, scales: Array) -> Array:
        """``paths[i, h, k]`` shifted by ``scales[i] * shift[k]`` and kept monotone."""
        shifted = paths + scales[:, None, None] * np.asarray(self.shifts)[None, None, :]
        return np.sort(shifted, axis=-1)


def fit_shift(
    actual: Array,
    predicted: Array,
    scales: Array,
    quantiles: Sequence[float],
    mask: Array | None = None,
) -> QuantileShift:
    """Shifts from holdout actuals ``[i, h]`` and predicted quantiles ``[i, h, k]``."""
    actual = np.asarray(actual, float)
    predicted = np.asarray(predicted, float)
    valid = np.isfinite(actual) if mask is None else (mask > 0) & np.isfinite(actual)
    shifts = []
    for k, q in enumerate(quantiles):
        errors = (actual - predicted[:, :, k]) / scales[:, None]
        values = errors[valid]
        shifts.append(float(np.quantile(values, q)) if values.size else 0.0)
    return QuantileShift(tuple(quantiles), tuple(shifts))


def empirical_coverage(
    actual: Array, predicted: Array, quantiles: Sequence[float]
) -> dict[float, float]:
    """Share of actuals at or below each predicted quantile (ideal: the level itself)."""
    return {q: float(np.mean(actual <= predicted[:, :, k])) for k, q in enumerate(quantiles)}
