"""The plan a run returns: forecast, lots, timed schedule, KPIs, and why jobs are late."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.frames import missing_as_none
from planner.kpis import PlanKpis
from planner.model.data import ProblemData
from planner.plan_file import FRAME_ROWS, PLAN_SCHEMA_VERSION, read_plan_file, typed_frame
from planner.scheduling.result import Result

if TYPE_CHECKING:
    from planner.lotsizing import LotPlan


@dataclass(frozen=True)
class Plan:
    """Everything one planning run produced (immutable).

    Attributes
    ----------
    scenario
        The scenario's name.
    horizon_start
        The moment minute 0 of the schedule stands for (ISO 8601, UTC).
    schedule
        One row per operation: job, operation, product, period, machine, setup and
        processing times (minutes from the horizon start and as datetimes).
    lots
        The lot-sizing plan: product, period, quantity, setup, inventory, shortage, demand.
    forecast
        Demand and safety stock per product and period (the raw forecast in
        ``forecast_raw``).
    orders
        One row per firm order: when it is complete, how late, how much is pegged to stock
        and jobs and how much is short, and which lots and jobs serve it (see
        :mod:`planner.stages.pegging`). ``schedule``'s ``orders`` column names the orders each
        operation serves.
    kpis
        Schedule KPIs from the independent checker, lot-sizing costs, service and stability
        (:class:`~planner.kpis.PlanKpis`).
    feasible
        Whether the independent checker found the schedule feasible.
    explanations
        Why each late job is late (see :meth:`explain`).
    forecast_key
        Fingerprint of the forecast's inputs; a run from this plan with equal inputs reuses
        ``forecast_raw`` instead of training again.
    capacity
        Load and capacity per period and machine group, as lot sizing planned them.
    throughput
        Minutes per unit learned from the production log, per machine and product.
    rounds
        One summary per lot-sizing and sequencing feedback round.
    timings
        Seconds used per stage, and the limit each stage was given.
    lot_plan
        The lot-sizing outcome (``None`` when rescheduling kept the previous lots).
    lot_capacity
        Capacity per period and machine group that lot sizing assumed in the final round.
    result
        The scheduler's result (termination, status, bound, checked schedule); only on a
        plan made in this process, not on one read by :func:`load_plan`.
    data
        The scheduling problem the schedule is for, in index form (also in-memory only).

    The tables are in one canonical form (see :func:`~planner.plan_file.typed_frame`), so a
    plan saved and read back with :func:`load_plan` has equal tables and ``to_dict()``.
    """

    scenario: str
    horizon_start: str
    schedule: pd.DataFrame
    lots: pd.DataFrame
    forecast: pd.DataFrame
    orders: pd.DataFrame
    kpis: PlanKpis
    feasible: bool
    explanations: tuple[dict[str, Any], ...] = ()
    forecast_raw: pd.DataFrame = field(default_factory=pd.DataFrame)
    forecast_key: str = ""
    capacity: pd.DataFrame = field(default_factory=pd.DataFrame)
    throughput: pd.DataFrame = field(default_factory=pd.DataFrame)
    rounds: tuple[dict[str, Any], ...] = ()
    timings: dict[str, Any] = field(default_factory=dict)
    lot_plan: LotPlan | None = None
    lot_capacity: np.ndarray | None = None
    result: Result | None = field(default=None, compare=False)
    data: ProblemData | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name, row in FRAME_ROWS.items():
            object.__setattr__(self, name, typed_frame(getattr(self, name), row))

    @property
    def status(self) -> str:
        """The scheduler's solution status (``optimal``, ``feasible``, ...)."""
        return self.kpis.status

    def explain(self) -> list[dict[str, Any]]:
        """Why each late job is late: the chain of binding constraints behind its last
        operation (machine busy, calendar, release, setup, peak power), the bottleneck it
        waited for, and whether its period's capacity was overloaded."""
        return list(self.explanations)

    def explain_orders(self) -> list[dict[str, Any]]:
        """Why each firm order is late or short, latest first: its lateness, the quantity no
        lot covers, and the explanations of the late jobs that serve it (see
        :meth:`explain`)."""
        by_job = {str(e["job"]): e for e in self.explanations}
        out = []
        for row in self.orders.to_dict(orient="records"):
            late = bool(pd.notna(row["lateness_min"]) and row["lateness_min"] > 0)
            short = row["short_quantity"] > 1e-9
            if not (late or short):
                continue
            jobs = [j for j in str(row["jobs"]).split(";") if j]
            reasons = []
            if short:
                reasons.append(
                    f"{row['short_quantity']:g} of {row['quantity']:g} units are not planned "
                    "before the horizon ends (lot sizing backlogs them: capacity or batch rules)"
                )
            out.append(
                {
                    "order": row["order"],
                    "product": row["product"],
                    "lateness_min": row["lateness_min"] if late else None,
                    "short_quantity": row["short_quantity"],
                    "reasons": reasons,
                    "late_jobs": [by_job[j] for j in jobs if j in by_job],
                }
            )
        out.sort(key=lambda e: -(e["lateness_min"] or 0))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": PLAN_SCHEMA_VERSION,
            "scenario": self.scenario,
            "horizon_start": self.horizon_start,
            "status": self.status,
            "feasible": self.feasible,
            "kpis": self.kpis.model_dump(mode="json"),
            "timings_s": self.timings,
            "feedback_rounds": list(self.rounds),
            "explanations": list(self.explanations),
            "order_explanations": self.explain_orders(),
            "lots": _records(self.lots),
            "schedule": _records(self.schedule),
            "forecast": _records(self.forecast),
            "orders": _records(self.orders),
            "capacity": _records(self.capacity),
            "throughput": _records(self.throughput),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """``plan.json``: the format :mod:`planner.plan_file` defines (and checks)."""
        return json.dumps(self.to_dict(), indent=indent, default=str)


def load_plan(path: str | Path) -> Plan:
    """Read a saved ``plan.json`` back into a :class:`Plan`.

    Everything the file holds comes back (tables, KPIs, explanations, feedback rounds,
    timings); what only a plan in memory has (``result``, ``data``, the lot-sizing outcome,
    the raw forecast) is ``None`` or empty. ``load_plan(p).to_dict()`` equals the saved plan's
    ``to_dict()``.

    Raises
    ------
    InvalidInputError
        When the file cannot be read, is of another schema version, or does not match the
        plan schema (every problem listed).
    """
    saved = read_plan_file(path)

    def table(name: str) -> pd.DataFrame:
        return pd.DataFrame([row.model_dump() for row in getattr(saved, name)])

    return Plan(
        scenario=saved.scenario,
        horizon_start=saved.horizon_start,
        schedule=table("schedule"),
        lots=table("lots"),
        forecast=table("forecast"),
        orders=table("orders"),
        kpis=saved.kpis,
        feasible=saved.feasible,
        explanations=tuple(saved.explanations),
        capacity=table("capacity"),
        throughput=pd.DataFrame(saved.throughput),
        rounds=tuple(saved.feedback_rounds),
        timings=saved.timings_s,
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if frame is None or frame.empty:
        return []
    clean = missing_as_none(frame)
    return [
        {str(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in clean.to_dict(orient="records")
    ]
