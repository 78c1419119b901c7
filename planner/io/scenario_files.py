"""The data files a scenario points to, read in one place: demand history, production log
and energy prices. Every later stage works on the frames read here and reads no file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from planner.io.prices import HourlyPrices, load_hourly_prices
from planner.io.tables import read_table
from planner.model.errors import InputIssue, InvalidInputError

if TYPE_CHECKING:
    from planner.scenario import LoadedScenario


@dataclass(frozen=True)
class ScenarioFiles:
    """What a scenario's files hold (``None`` where the scenario names no file).

    Attributes
    ----------
    history
        ``demand.history_csv`` as read, with ``demand.scale`` and ``demand.product_scale``
        applied to ``y``.
    production_log
        ``production_log_csv`` as read.
    prices
        ``tariff.prices_csv``: hourly prices from their first hour.
    """

    history: pd.DataFrame | None = None
    production_log: pd.DataFrame | None = None
    prices: HourlyPrices | None = None


def read_scenario_files(loaded: LoadedScenario) -> ScenarioFiles:
    """Read every file the scenario names, relative to its folder.

    Raises
    ------
    InvalidInputError
        Every unreadable file at once, each under the scenario field that names it.
    """
    s = loaded.scenario
    issues: list[InputIssue] = []
    history = log = None
    prices = None
    if s.demand.history_csv is not None:
        history = _csv(loaded, s.demand.history_csv, "demand.history_csv", issues)
        if history is not None and "y" in history.columns:
            spec = s.demand
            if spec.scale != 1 or spec.product_scale:
                ids = history["unique_id"].astype(str) if "unique_id" in history else None
                factor = (
                    ids.map(spec.product_scale).fillna(1.0) * spec.scale
                    if ids is not None
                    else spec.scale
                )
                history["y"] = pd.to_numeric(history["y"], errors="coerce") * factor
    if s.production_log_csv is not None:
        log = _csv(loaded, s.production_log_csv, "production_log_csv", issues)
    if s.tariff is not None:
        try:
            prices = load_hourly_prices(
                loaded.path(s.tariff.prices_csv), s.tariff.price_column, s.tariff.fill_missing
            )
        except InvalidInputError as error:
            issues.extend(
                InputIssue(f"tariff.prices_csv ({i.path})", i.message) for i in error.issues
            )
    if issues:
        raise InvalidInputError(issues, "scenario")
    return ScenarioFiles(history=history, production_log=log, prices=prices)


def _csv(
    loaded: LoadedScenario, relative: str, field: str, issues: list[InputIssue]
) -> pd.DataFrame | None:
    """The table, or ``None`` with its problem added to ``issues`` (all files are read before
    any problem is reported)."""
    try:
        return read_table(loaded.path(relative), field)
    except InvalidInputError as error:
        issues.extend(error.issues)
        return None
