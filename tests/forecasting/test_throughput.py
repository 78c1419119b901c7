"""Processing rates from production logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InvalidInputError
from forecasting.throughput import ThroughputModel


def test_rates_quantiles_drift_and_fallback() -> None:
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=120, freq="D", tz="UTC")
    rows = []
    for k, day in enumerate(days):
        # M1/P1 slows down from 2.0 to 3.2 min per unit over 120 days
        rate = 2.0 + 0.01 * k + rng.normal(0, 0.05)
        rows.append(
            {
                "timestamp": day,
                "machine": "M1",
                "product": "P1",
                "quantity": 100,
                "minutes": rate * 100,
            }
        )
        rows.append(
            {
                "timestamp": day,
                "machine": "M2",
                "product": "P1",
                "quantity": 50,
                "minutes": 50 * 1.5,
            }
        )
    model = ThroughputModel(half_life_days=15).fit(pd.DataFrame(rows))
    table = model.table
    assert table is not None
    m1 = table[table.machine == "M1"].iloc[0]
    assert m1.q10 < m1.q50 < m1.q90
    assert 2.9 < m1.q50 < 3.2  # recent runs dominate
    assert m1.drift_per_30d == pytest.approx(0.3, abs=0.05)
    assert model.rate("M2", "P1") == pytest.approx(1.5)
    # durations: learned where known, nominal otherwise
    assert model.duration("M2", "P1", 10, nominal_per_unit=9.0) == 15
    assert model.duration("M3", "P1", 10, nominal_per_unit=2.0) == 20


def test_bad_log_lists_every_problem() -> None:
    log = pd.DataFrame(
        {
            "timestamp": ["2024-01-01", "nope"],
            "machine": ["M1", "M1"],
            "product": ["P", "P"],
            "quantity": [0, "x"],
            "minutes": [-1, 3],
        }
    )
    with pytest.raises(InvalidInputError) as info:
        ThroughputModel().fit(log)
    text = str(info.value)
    assert "log.quantity" in text and "log.timestamp" in text and "log.minutes" in text
    with pytest.raises(InvalidInputError, match="missing column"):
        ThroughputModel().fit(pd.DataFrame({"machine": ["M1"]}))
