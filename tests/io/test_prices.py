"""Price CSVs: real data loads; gaps are reported or filled explicitly."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.io import load_hourly_prices
from planner.model import InvalidInputError

ROOT = Path(__file__).resolve().parents[2]
DE_LU = ROOT / "scenarios" / "data" / "prices" / "DE-LU_2024.csv"


def test_real_prices_load_complete() -> None:
    prices = load_hourly_prices(DE_LU)
    assert len(prices.prices) == 8784  # 2024 is a leap year
    assert prices.start.isoformat().startswith("2024-01-01T00:00:00")
    assert min(prices.prices) < 0 < max(prices.prices)
    assert prices.filled_hours == 0


def test_missing_hours_error_or_fill(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text(
        "Datetime (UTC),Price (USD/MWh)\n"
        "2024-01-01 00:00:00+00:00,10\n"
        "2024-01-01 01:00:00+00:00,20\n"
        "2024-01-01 03:00:00+00:00,40\n"
    )
    with pytest.raises(InvalidInputError, match="1 hour\\(s\\) missing"):
        load_hourly_prices(csv)
    assert load_hourly_prices(csv, fill_missing="interpolate").prices == (10, 20, 30, 40)
    assert load_hourly_prices(csv, fill_missing="ffill").prices == (10, 20, 20, 40)


def test_bad_price_files(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("Datetime (UTC),Price\n2024-01-01 00:00:00+00:00,abc\n")
    with pytest.raises(InvalidInputError, match="non-numeric prices"):
        load_hourly_prices(csv)
    csv.write_text("Datetime (UTC),Value\n2024-01-01 00:00:00+00:00,1\n")
    with pytest.raises(InvalidInputError, match="no price column"):
        load_hourly_prices(csv)
    with pytest.raises(InvalidInputError, match="cannot read prices"):
        load_hourly_prices(tmp_path / "none.csv")
