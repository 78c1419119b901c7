"""Processing rates from production logs: minutes per unit per machine and product, as quantiles.

Each log row is one run: ``timestamp, machine, product, quantity, minutes``. Rates drift (tool
wear, new operators, process changes), so older runs count less: a run ``a`` days old weighs
``0.5 ** (a / half_life_days)``. The quantiles are those of the weighted distribution of
minutes per unit; ``drift_per_30d`` is the weighted least-squares trend of the rate, for
reports. Where a machine and product have no runs, the nominal routing time is used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.data import check_quantiles, quantile_column
from forecasting.errors import InputIssue, InvalidInputError

LOG_COLUMNS = ("timestamp", "machine", "product", "quantity", "minutes")


def validate_log(log: pd.DataFrame) -> pd.DataFrame:
    """Check a production log and return it typed; every problem is reported at once."""
    missing = [c for c in LOG_COLUMNS if c not in log.columns]
    if missing:
        raise InvalidInputError(
            [InputIssue("log", f"missing column(s) {missing}; expected {list(LOG_COLUMNS)}")],
            "production log",
        )
    out = log[list(LOG_COLUMNS)].copy()
    issues = []
    out["timestamp"] = pd.to_datetime(out["timestamp"], errors="coerce", utc=True)
    for column in ("quantity", "minutes"):
        out[column] = pd.to_numeric(out[column], errors="coerce")
        bad = out.index[out[column].isna()].tolist()
        if bad:
            issues.append(
                InputIssue(
                    f"log.{column}", f"{len(bad)} non-numeric value(s), first at row {bad[0]}"
                )
            )
    if out["timestamp"].isna().any():
        row = int(out.index[out["timestamp"].isna()][0])
        issues.append(InputIssue("log.timestamp", f"unreadable timestamp at row {row}"))
    if (out["quantity"] <= 0).any():
        issues.append(InputIssue("log.quantity", "quantities must be positive"))
    if (out["minutes"] <= 0).any():
        rows = out.index[out["minutes"] <= 0].tolist()
        issues.append(
            InputIssue(
                "log.minutes",
                f"{len(rows)} run(s) without positive minutes, first at row {rows[0]}: a run "
                "takes time; fix or remove them",
            )
        )
    finite = out[["quantity", "minutes"]].abs() < 2**31
    if not finite.all().all():
        issues.append(InputIssue("log", "infinite or out-of-range quantities or minutes"))
    if issues:
        raise InvalidInputError(issues, "production log")
    out["machine"] = out["machine"].astype(str)
    out["product"] = out["product"].astype(str)
    return out


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w) - 0.5 * w
    cum /= w.sum()
    return float(np.interp(q, cum, v))


@dataclass
class ThroughputModel:
    """Learns minutes per unit from a production log and turns quantities into durations.

    Parameters
    ----------
    quantiles
        Levels to estimate (the median is always included).
    half_life_days
        Age at which a run counts half as much as one from ``now``.
    """

    quantiles: Sequence[float] = (0.1, 0.5, 0.9)
    half_life_days: float = 30.0
    table: pd.DataFrame | None = None

    def fit(self, log: pd.DataFrame, now: pd.Timestamp | None = None) -> ThroughputModel:
        frame = validate_log(log)
        qs = check_quantiles((*self.quantiles, 0.5))
        now = pd.Timestamp(now) if now is not None else frame["timestamp"].max()
        if now.tzinfo is None:
            now = now.tz_localize("UTC")
        rows = []
        for (machine, product), group in frame.groupby(["machine", "product"], sort=True):
            rate = (group["minutes"] / group["quantity"]).to_numpy(float)
            age = (now - group["timestamp"]).dt.total_seconds().to_numpy(float) / 86400.0
            weights = 0.5 ** (np.maximum(age, 0) / self.half_life_days)
            row: dict[str, object] = {"machine": machine, "product": product, "runs": len(group)}
            for q in qs:
                row[quantile_column(q)] = _weighted_quantile(rate, weights, q)
            if len(group) >= 3 and np.ptp(age) > 0:
                x = -age / 30.0
                xm = np.average(x, weights=weights)
                ym = np.average(rate, weights=weights)
                var = np.average((x - xm) ** 2, weights=weights)
                row["drift_per_30d"] = float(
                    np.average((x - xm) * (rate - ym), weights=weights) / var
                )
            else:
                row["drift_per_30d"] = 0.0
            rows.append(row)
        self.table = pd.DataFrame(rows)
        return self

    def rate(self, machine: str, product: str, quantile: float = 0.5) -> float | None:
        """Minutes per unit, or ``None`` when the log has no run of this pair."""
        if self.table is None or self.table.empty:
            return None
        column = quantile_column(quantile)
        if column not in self.table.columns:
            raise InvalidInputError(
                [InputIssue("quantile", f"{quantile} was not estimated; fit with it")]
            )
        hit = self.table[(self.table["machine"] == machine) & (self.table["product"] == product)]
        return None if hit.empty else float(hit.iloc[0][column])

    def duration(
        self,
        machine: str,
        product: str,
        quantity: float,
        nominal_per_unit: float,
        quantile: float = 0.5,
    ) -> int:
        """Whole minutes to make ``quantity`` units: learned rate if known, else nominal."""
        rate = self.rate(machine, product, quantile)
        per_unit = nominal_per_unit if rate is None else rate
        return max(1, math.ceil(per_unit * quantity - 1e-9)) if quantity > 0 else 0
