"""Long-format series frames (``unique_id, ds, y``): validation, windows, scaling.

The same layout statsforecast and neuralforecast use: one row per series and time step.
Forecasts come back as ``unique_id, ds, q10, q50, q90`` (one column per quantile asked for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from forecasting.errors import InputIssue, InvalidInputError

REQUIRED = ("unique_id", "ds", "y")
DEFAULT_QUANTILES = (0.1, 0.5, 0.9)


def quantile_column(q: float) -> str:
    """Column name of a quantile: 0.1 -> ``q10``, 0.025 -> ``q2.5``."""
    pct = round(q * 100, 6)
    return f"q{int(pct)}" if pct == int(pct) else f"q{pct:g}"


def check_quantiles(quantiles: Sequence[float]) -> tuple[float, ...]:
    qs = tuple(sorted({float(q) for q in quantiles}))
    bad = [q for q in qs if not 0 < q < 1]
    if not qs or bad:
        raise InvalidInputError(
            [
                InputIssue(
                    "quantiles",
                    f"each quantile must lie strictly between 0 and 1, got {bad or 'none'}",
                )
            ]
        )
    return qs


def validate_history(
    frame: pd.DataFrame, min_length: int = 1, where: str = "history"
) -> pd.DataFrame:
    """Check a long-format history and return it sorted, with ``ds`` as datetimes.

    Reports every problem at once: missing columns, non-numeric or missing ``y``, unreadable
    or duplicate dates, dates not increasing within a series, and series shorter than
    ``min_length``.

    Raises
    ------
    InvalidInputError
    """
    issues: list[InputIssue] = []
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            [InputIssue(where, f"missing column(s) {missing}; expected columns {list(REQUIRED)}")],
            "history",
        )
    out = frame[list(REQUIRED)].copy()
    out["unique_id"] = out["unique_id"].astype(str)
    y = pd.to_numeric(out["y"], errors="coerce")
    bad_y = out.index[y.isna()].tolist()
    if bad_y:
        issues.append(
            InputIssue(
                f"{where}.y",
                f"{len(bad_y)} non-numeric or missing value(s), first at row {bad_y[0]}",
            )
        )
    elif not np.isfinite(y.to_numpy(dtype=float)).all():
        issues.append(InputIssue(f"{where}.y", "contains infinite values"))
    ds = pd.to_datetime(out["ds"], errors="coerce")
    bad_ds = out.index[ds.isna()].tolist()
    if bad_ds:
        issues.append(
            InputIssue(f"{where}.ds", f"{len(bad_ds)} unreadable date(s), first at row {bad_ds[0]}")
        )
    out["y"] = y
    out["ds"] = ds
    if not bad_ds:
        duplicated = out.duplicated(["unique_id", "ds"])
        if duplicated.any():
            row = out[duplicated].iloc[0]
            issues.append(
                InputIssue(
                    f"{where}.ds",
                    f"{int(duplicated.sum())} duplicate date(s), "
                    f"e.g. {row.unique_id} at {row.ds.date()}",
                )
            )
        unsorted = [
            uid
            for uid, g in out.groupby("unique_id", sort=False)
            if not g["ds"].is_monotonic_increasing
        ]
        if unsorted:
            issues.append(
                InputIssue(
                    f"{where}.ds",
                    f"dates not in increasing order for {len(unsorted)} series, "
                    f"e.g. {unsorted[0]!r}; sort by unique_id and ds",
                )
            )
        lengths = out.groupby("unique_id").size()
        short = lengths[lengths < min_length]
        if len(short):
            issues.append(
                InputIssue(
                    where,
                    f"{len(short)} series with fewer than {min_length} observations "
                    "(too little history), "
                    f"e.g. {short.index[0]!r} with {int(short.iloc[0])}",
                )
            )
    if out.empty:
        issues.append(InputIssue(where, "no rows"))
    if issues:
        raise InvalidInputError(issues, "history")
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def infer_frequency(frame: pd.DataFrame) -> BaseOffset:
    """The common frequency of the series (e.g. month start), from the dates."""
    for _, group in frame.groupby("unique_id", sort=False):
        if len(group) >= 3:
            freq = pd.infer_freq(pd.DatetimeIndex(group["ds"]))
            if freq is not None:
                return pd.tseries.frequencies.to_offset(freq)
    return pd.tseries.frequencies.to_offset("D")


@dataclass(frozen=True)
class Panel:
    """Series as arrays: ``values[i]`` for ``ids[i]``, last date ``last_ds[i]``."""

    ids: tuple[str, ...]
    values: tuple[npt.NDArray[np.float64], ...]
    last_ds: tuple[pd.Timestamp, ...]
    freq: BaseOffset

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Panel:
        freq = infer_frequency(frame)
        ids, values, last = [], [], []
        for uid, group in frame.groupby("unique_id", sort=False):
            ids.append(str(uid))
            values.append(group["y"].to_numpy(dtype=np.float64))
            last.append(pd.Timestamp(group["ds"].iloc[-1]))
        return cls(tuple(ids), tuple(values), tuple(last), freq)

    def future_dates(self, horizon: int) -> list[pd.DatetimeIndex]:
        return [pd.date_range(d, periods=horizon + 1, freq=self.freq)[1:] for d in self.last_ds]

    def to_forecast_frame(
        self, horizon: int, quantiles: Sequence[float], paths: npt.NDArray[np.float64]
    ) -> pd.DataFrame:
        """``paths[i, h, k]``: quantile ``k`` of series ``i`` at step ``h`` -> long frame."""
        dates = self.future_dates(horizon)
        data: dict[str, object] = {
            "unique_id": np.repeat(np.array(self.ids, dtype=object), horizon),
            "ds": np.concatenate([d.to_numpy() for d in dates]) if dates else [],
        }
        for k, q in enumerate(quantiles):
            data[quantile_column(q)] = paths[:, :, k].reshape(-1)
        return pd.DataFrame(data)


def sort_quantiles(paths: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Make quantiles monotone along the last axis (no crossing)."""
    return np.sort(paths, axis=-1)
