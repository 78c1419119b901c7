"""Energy tariff: real hourly prices over the planning horizon."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from planner.model.factory import Frozen


class EnergyTariff(Frozen):
    """Hourly electricity prices, per MWh, starting at ``start`` (UTC).

    Give either the prices inline (``hourly_prices``) or a CSV file of day-ahead prices
    (``prices_csv``, read by :func:`planner.io.prices.load_hourly_prices`). The price of an
    operation is its power times the prices of every minute it runs.

    Parameters
    ----------
    hourly_prices
        Price per MWh of each hour from ``start``.
    start
        Start of the first price hour; defaults to the problem's horizon start.
    prices_csv
        Path of a CSV with a UTC datetime column and a price column; relative paths resolve
        against the problem file.
    price_column
        Column holding the price; defaults to the first column whose name contains "price".
    fill_missing
        What to do with missing hours in the CSV: ``"error"`` (default), ``"ffill"`` or
        ``"interpolate"``.
    currency
        Currency of the prices, for reports.
    """

    hourly_prices: tuple[float, ...] | None = None
    start: datetime | None = None
    prices_csv: str | None = None
    price_column: str | None = None
    fill_missing: str = Field(default="error", pattern="^(error|ffill|interpolate)$")
    currency: str = "USD"

    @model_validator(mode="after")
    def _one_source(self) -> EnergyTariff:
        if self.hourly_prices is None and self.prices_csv is None:
            raise ValueError("give hourly_prices or prices_csv")
        if self.hourly_prices is not None and len(self.hourly_prices) == 0:
            raise ValueError("hourly_prices is empty")
        return self
