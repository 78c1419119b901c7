"""Scenario files: a whole planning case in YAML or JSON."""

from planner.scenario.load import LoadedScenario, load_scenario, scenario_schema
from planner.scenario.model import (
    Calendar,
    DemandSpec,
    Factory,
    ForecastSettings,
    Horizon,
    LotSizingSettings,
    Maintenance,
    Order,
    Scenario,
    Shift,
    TariffSpec,
)

__all__ = [
    "Calendar",
    "DemandSpec",
    "Factory",
    "ForecastSettings",
    "Horizon",
    "LoadedScenario",
    "LotSizingSettings",
    "Maintenance",
    "Order",
    "Scenario",
    "Shift",
    "TariffSpec",
    "load_scenario",
    "scenario_schema",
]
