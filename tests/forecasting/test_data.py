"""Bad history gets a clear error naming the problem."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.data import validate_history
from forecasting.errors import InvalidInputError
from forecasting.models import SeasonalNaive


def frame(**columns: object) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_missing_columns() -> None:
    with pytest.raises(InvalidInputError, match=r"missing column\(s\) \['y'\]"):
        validate_history(frame(unique_id=["a"], ds=["2020-01-01"]))


def test_every_problem_at_once() -> None:
    bad = frame(
        unique_id=["a", "a", "a", "b", "b"],
        ds=["2020-02-01", "2020-01-01", "2020-01-01", "2020-01-01", "2020-02-01"],
        y=[1, 2, 3, "x", 5],
    )
    with pytest.raises(InvalidInputError) as info:
        validate_history(bad)
    text = str(info.value)
    assert "non-numeric" in text
    assert "duplicate date" in text
    assert "not in increasing order" in text


def test_too_little_history() -> None:
    short = frame(unique_id=["a", "a"], ds=["2020-01-01", "2020-02-01"], y=[1.0, 2.0])
    with pytest.raises(InvalidInputError, match="too little history"):
        validate_history(short, min_length=3)


def test_unreadable_dates_and_bad_quantiles() -> None:
    with pytest.raises(InvalidInputError, match="unreadable date"):
        validate_history(frame(unique_id=["a"], ds=["not a date"], y=[1.0]))
    ok = frame(
        unique_id=["a"] * 4, ds=pd.date_range("2020-01-01", periods=4, freq="MS"), y=[1.0, 2, 3, 4]
    )
    with pytest.raises(InvalidInputError, match="strictly between 0 and 1"):
        SeasonalNaive(season=2).forecast(ok, 2, (0.5, 1.5))


def test_packages_import_on_their_own() -> None:
    import subprocess
    import sys

    for module in ("forecasting.models.neural", "planner.model", "planner.cli"):
        done = subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
