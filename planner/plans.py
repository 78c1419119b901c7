"""The plan a run returns: forecast, lots, timed schedule, KPIs, and why jobs are late."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.frames import missing_as_none
from planner.model.data import ProblemData
from planner.scheduling.result import Result


@dataclass
class Plan:
    """Everything one planning run produced.

    Attributes
    ----------
    schedule
        One row per operation: job, operation, product, machine, setup and processing times
        (minutes from the horizon start and as datetimes).
    lots
        The lot-sizing plan: product, period, quantity, setup, inventory, shortage, demand.
    forecast
        Demand and safety stock per product and period (with the raw forecast in
        ``forecast_raw``).
    kpis
        Schedule KPIs from the independent checker, lot-sizing costs, service and stability.
    """

    scenario: str
    schedule: pd.DataFrame
    lots: pd.DataFrame
    forecast: pd.DataFrame
    kpis: dict[str, Any]
    result: Result
    data: ProblemData
    forecast_raw: pd.DataFrame = field(default_factory=pd.DataFrame)
    forecast_key: str = ""
    """Fingerprint of the forecast's inputs; a run from this plan with equal inputs reuses
    ``forecast_raw`` instead of training again."""
    capacity: pd.DataFrame = field(default_factory=pd.DataFrame)
    throughput: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Minutes per unit learned from the production log, per machine and product."""
    rounds: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    horizon_start: str = ""
    lot_plan: Any = None
    lot_capacity: Any = None
    """Capacity per period and machine group that lot sizing assumed in the final round."""

    @property
    def feasible(self) -> bool:
        return self.result.feasible

    def explain(self) -> list[dict[str, Any]]:
        """Why each late job is late: the chain of binding constraints behind its last
        operation (machine busy, calendar, release, setup, peak power), the bottleneck it
        waited for, and whether its period's capacity was overloaded."""
        from planner.explain import explain_late_jobs

        return explain_late_jobs(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "horizon_start": self.horizon_start,
            "status": self.result.status,
            "feasible": self.feasible,
            "kpis": self.kpis,
            "timings_s": self.timings,
            "feedback_rounds": self.rounds,
            "explanations": self.explain(),
            "lots": _records(self.lots),
            "schedule": _records(self.schedule),
            "forecast": _records(self.forecast),
            "capacity": _records(self.capacity),
            "throughput": _records(self.throughput),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if frame is None or frame.empty:
        return []
    clean = missing_as_none(frame)
    return [
        {str(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in clean.to_dict(orient="records")
    ]
