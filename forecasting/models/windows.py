"""Training windows of the neural forecaster: cut, padded, masked and scaled per window."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecasting.models.base import Array


@dataclass
class Windows:
    values: Array
    mask: Array
    target: Array
    target_mask: Array
    scale: Array


def window(
    series: Array, cut: int, input_size: int, horizon: int
) -> tuple[Array, Array, Array, Array]:
    """Raw input and target of one window ending its input at ``cut`` (left-padded, masked)."""
    start = max(0, cut - input_size)
    past = series[start:cut]
    values = np.zeros(input_size)
    mask = np.zeros(input_size)
    if len(past):
        values[-len(past) :] = past
        mask[-len(past) :] = 1.0
    future = series[cut : cut + horizon]
    target = np.zeros(horizon)
    target_mask = np.zeros(horizon)
    target[: len(future)] = future
    target_mask[: len(future)] = 1.0
    return values, mask, target, target_mask


def normalise(values: Array, mask: Array, target: Array, target_mask: Array, log: bool) -> Windows:
    """Scale each window by the mean absolute value of its observed input; with ``log``, work
    on ``log(y / scale)`` (for positive series: errors become relative)."""
    counted = mask.sum(axis=1)
    scale = (np.abs(values) * mask).sum(axis=1) / np.maximum(counted, 1)
    scale = np.where(scale > 0, scale, 1.0)
    if log:
        tiny = 1e-6 * scale[:, None]
        v = np.log(np.maximum(values, tiny) / scale[:, None]) * mask
        t = np.log(np.maximum(target, tiny) / scale[:, None]) * target_mask
        return Windows(v, mask, t, target_mask, scale)
    return Windows(values / scale[:, None], mask, target / scale[:, None], target_mask, scale)


def stack(rows: list[tuple[Array, Array, Array, Array]], log: bool) -> Windows:
    v, m, t, tm = (np.stack(x) for x in zip(*rows, strict=True))
    return normalise(v, m, t, tm, log)


class Sampler:
    """All training windows of a set of series, cut by fancy indexing (no Python loop)."""

    def __init__(self, series: list[Array], input_size: int, horizon: int) -> None:
        self.input_size, self.horizon = input_size, horizon
        width = input_size + max((len(v) for v in series), default=0) + horizon
        self.values = np.zeros((len(series), width))
        self.mask = np.zeros((len(series), width))
        for i, v in enumerate(series):
            self.values[i, input_size : input_size + len(v)] = v
            self.mask[i, input_size : input_size + len(v)] = 1.0
        self.lengths = np.array([len(v) for v in series])

    def cuts(
        self, rng: np.random.Generator, per_series: int, recent: int = 0
    ) -> tuple[Array, Array]:
        """Random cut points (end of input) per series, from 1 to length-1; with ``recent``,
        half of them among the last ``recent`` cuts."""
        rows, cuts = [], []
        for i, n in enumerate(self.lengths):
            if n < 2:
                continue
            k = min(per_series, n - 1)
            picked = rng.choice(np.arange(1, n), size=k, replace=False)
            if recent:
                lo = max(1, n - recent)
                picked[: k // 2] = rng.integers(lo, n, size=k // 2)
            rows.append(np.full(k, i))
            cuts.append(picked)
        return np.concatenate(rows), np.concatenate(cuts)

    def windows(self, rows: Array, cuts: Array, log: bool) -> Windows:
        offsets = np.arange(self.input_size)
        idx = cuts[:, None] + offsets[None, :]  # input occupies padded [cut, cut + L)
        values = self.values[rows[:, None], idx]
        mask = self.mask[rows[:, None], idx]
        tidx = cuts[:, None] + self.input_size + np.arange(self.horizon)[None, :]
        target = self.values[rows[:, None], tidx]
        target_mask = self.mask[rows[:, None], tidx]
        return normalise(values, mask, target, target_mask, log)
