"""Hourly day-ahead electricity prices from CSV files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from planner.io.tables import read_table
from planner.model.errors import InputIssue, InvalidInputError
from planner.model.factory import MAX_MAGNITUDE


@dataclass(frozen=True)
class HourlyPrices:
    """Prices per MWh for consecutive hours starting at ``start`` (UTC)."""

    start: datetime
    prices: tuple[float, ...]
    filled_hours: int = 0


def load_hourly_prices(
    path: str | Path, price_column: str | None = None, fill_missing: str = "error"
) -> HourlyPrices:
    """Read hourly prices from a CSV with a UTC datetime column and a price column.

    The datetime column is the first whose name contains "utc" (else the first column); the
    price column is ``price_column`` or the first whose name contains "price". Missing hours
    are an error unless ``fill_missing`` is ``"ffill"`` or ``"interpolate"``.

    Raises
    ------
    InvalidInputError
        When the file is unreadable, a column is missing, values are not numbers, times repeat
        or hours are missing (with ``fill_missing="error"``).
    """
    file = Path(path)
    where = str(file)
    frame = read_table(file, where, what="tariff", label="prices")
    columns = list(frame.columns)
    time_column = next((c for c in columns if "utc" in c.lower()), columns[0] if columns else None)
    if price_column is None:
        price_column = next((c for c in columns if "price" in c.lower()), None)
    issues = []
    if price_column is None or price_column not in frame.columns:
        issues.append(
            InputIssue(f"{where}:price_column", f"no price column found among {columns}; name one")
        )
    if time_column is None:
        issues.append(InputIssue(where, "no datetime column"))
    if issues:
        raise InvalidInputError(issues, "tariff")
    assert time_column is not None
    assert price_column is not None
    times = pd.to_datetime(frame[time_column], utc=True, errors="coerce")
    values = pd.to_numeric(frame[price_column], errors="coerce")
    bad_times = frame.index[times.isna()].tolist()
    bad_values = frame.index[values.isna()].tolist()
    if bad_times:
        issues.append(
            InputIssue(f"{where}:{time_column}", f"unreadable datetimes in rows {bad_times[:5]}")
        )
    if bad_values:
        issues.append(
            InputIssue(f"{where}:{price_column}", f"non-numeric prices in rows {bad_values[:5]}")
        )
    huge = frame.index[~np.isfinite(values) | (values.abs() > MAX_MAGNITUDE)].tolist()
    huge = [row for row in huge if row not in bad_values]
    if huge:
        issues.append(
            InputIssue(
                f"{where}:{price_column}",
                f"infinite or out-of-range prices (beyond ±{MAX_MAGNITUDE:,}) in rows {huge[:5]}",
            )
        )
    if frame.empty:
        issues.append(InputIssue(where, "no prices: the file has a header but no rows"))
    if issues:
        raise InvalidInputError(issues, "tariff")
    index = pd.DatetimeIndex(times)
    series = pd.Series(values.to_numpy(), index=index).sort_index()
    index = pd.DatetimeIndex(series.index)
    duplicated = index[index.duplicated()]
    if len(duplicated):
        issues.append(InputIssue(where, f"repeated hours, e.g. {duplicated[0]}"))
    if (index != index.floor("h")).any():
        issues.append(InputIssue(where, "times must be on the hour"))
    if issues:
        raise InvalidInputError(issues, "tariff")
    full = pd.date_range(index[0], index[-1], freq="h")
    missing = full.difference(index)
    if len(missing) and fill_missing == "error":
        raise InvalidInputError(
            [
                InputIssue(
                    where,
                    f"{len(missing)} hour(s) missing, first {missing[0]}; fill them in the file "
                    "or set fill_missing to 'ffill' or 'interpolate'",
                )
            ],
            "tariff",
        )
    series = series.reindex(full)
    series = series.ffill() if fill_missing == "ffill" else series.interpolate()
    return HourlyPrices(
        start=full[0].to_pydatetime(),
        prices=tuple(float(v) for v in np.asarray(series.to_numpy(), dtype=float)),
        filled_hours=len(missing),
    )
