"""Small synthetic histories: seasonal, trending, intermittent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def seasonal_panel(series: int = 6, length: int = 48, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(series):
        level = rng.uniform(50, 500)
        t = np.arange(length)
        y = (
            level * (1 + 0.3 * np.sin(2 * np.pi * t / 12 + i))
            + 0.01 * level * t
            + rng.normal(0, 0.05 * level, length)
        )
        for k, ds in enumerate(pd.date_range("2018-01-01", periods=length, freq="MS")):
            rows.append({"unique_id": f"S{i}", "ds": ds, "y": float(max(y[k], 0))})
    return pd.DataFrame(rows)


def intermittent_panel(series: int = 8, length: int = 40, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(series):
        p = rng.uniform(0.15, 0.5)
        y = (rng.random(length) < p) * rng.poisson(3, length)
        for k, ds in enumerate(pd.date_range("2019-01-01", periods=length, freq="MS")):
            rows.append({"unique_id": f"P{i}", "ds": ds, "y": float(y[k])})
    return pd.DataFrame(rows)


@pytest.fixture
def seasonal() -> pd.DataFrame:
    return seasonal_panel()


@pytest.fixture
def intermittent() -> pd.DataFrame:
    return intermittent_panel()
