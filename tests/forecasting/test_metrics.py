"""Metrics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.metrics import (
    coverage,
    evaluate,
    insample_scale,
    mase,
    pinball,
    scaled_pinball,
    smape,
)


def test_smape_m_competition_form() -> None:
    # |100-110| / (100+110) * 200 = 9.5238; |50-40|/(90)*200 = 22.222
    assert smape(np.array([100.0, 50.0]), np.array([110.0, 40.0])) == pytest.approx(
        (9.5238095 + 22.2222222) / 2
    )
    assert smape(np.array([0.0]), np.array([0.0])) == 0.0


def test_mase_scaled_by_seasonal_naive() -> None:
    history = np.array([1.0, 2, 3, 4, 2, 3, 4, 5])  # season 4: errors 1,1,1,1 -> scale 1
    assert insample_scale(history, 4) == 1.0
    assert mase(np.array([3.0, 5.0]), np.array([4.0, 4.0]), history, 4) == pytest.approx(1.0)
    # one-step fallback when the seasonal error is zero
    assert insample_scale(np.array([1.0, 2, 1, 2, 1, 2]), 2) == pytest.approx(1.0)


def test_pinball_and_scaled_pinball() -> None:
    y, f = np.array([10.0, 10.0]), np.array([8.0, 12.0])
    # q=0.9: under-forecast by 2 costs 0.9*2, over-forecast by 2 costs 0.1*2 -> mean 1.0
    assert pinball(y, f, 0.9) == pytest.approx(1.0)
    assert pinball(y, f, 0.5) == pytest.approx(1.0)
    history = np.array([0.0, 2, 0, 2])  # one-step scale = 2
    assert scaled_pinball(y, {0.5: f, 0.9: f}, history, 1) == pytest.approx(0.5)


def test_coverage() -> None:
    assert coverage(
        np.array([1.0, 5, 9]), np.array([0.0, 6, 8]), np.array([2.0, 7, 10])
    ) == pytest.approx(2 / 3)


def test_evaluate_frames() -> None:
    ds = pd.date_range("2020-01-01", periods=4, freq="MS")
    history = pd.DataFrame({"unique_id": "A", "ds": ds[:2], "y": [10.0, 12.0]})
    actual = pd.DataFrame({"unique_id": "A", "ds": ds[2:], "y": [11.0, 13.0]})
    forecast = pd.DataFrame(
        {
            "unique_id": "A",
            "ds": ds[2:],
            "q10": [9.0, 9.0],
            "q50": [11.0, 12.0],
            "q90": [14.0, 12.5],
        }
    )
    scores = evaluate(forecast, actual, history, season=1)
    assert scores["coverage"] == pytest.approx(0.5)
    assert scores["mase"] == pytest.approx(0.5 / 2.0)


def test_rolling_origin_backtest() -> None:
    from forecasting.backtest import rolling_origin
    from forecasting.models import SeasonalNaive
    from tests.forecasting.conftest import seasonal_panel

    history = seasonal_panel(series=4, length=48)
    table = rolling_origin(
        lambda: SeasonalNaive(season=12), history, horizon=6, origins=3, season=12
    )
    assert list(table["origin"]) == [0, 1, 2]
    # origins 6 periods apart, the last one leaves exactly the horizon to score
    cutoffs = list(table["cutoff"])
    assert cutoffs == sorted(cutoffs)
    last = history["ds"].max()
    assert cutoffs[-1] == last - pd.DateOffset(months=6)
    assert (table["series"] == 4).all()
    assert table[["smape", "mase", "scaled_pinball", "coverage"]].notna().all().all()
