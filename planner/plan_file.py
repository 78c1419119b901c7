"""The plan file (``plan.json``) as a contract: versioned, typed, with a JSON Schema.

An MES reads ``plan.json`` by this schema (``planner schema plan`` prints it). Times are
whole minutes from ``horizon_start`` and, where a column ends in ``_time``, ISO 8601. The
version goes up whenever a field changes meaning or disappears; new optional fields may
appear within a version.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from planner.frames import missing_as_none
from planner.kpis import PlanKpis
from planner.model.errors import InputIssue, InvalidInputError, issues_from_pydantic

PLAN_SCHEMA_VERSION = 1


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScheduleRow(_Row):
    """One operation: where and when it runs, and what it serves."""

    job: str
    operation: str
    product: str | None = None
    machine: str
    family: str | None = None
    setup_start: int
    setup_before: int
    start: int
    end: int
    setup_start_time: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    group: str | None = None
    period: str | None = None
    orders: str = ""
    """The firm orders this operation's job serves, ``;``-separated."""


class LotRow(_Row):
    """One product and period of the lot-sizing plan."""

    product: str
    period: str
    quantity: float
    setup: bool
    inventory: float
    shortage: float
    safety_shortfall: float
    demand: float
    dependent_demand: float = 0.0
    """Units the batches of products consuming it take (its bill-of-materials demand)."""


class ForecastRow(_Row):
    product: str
    period: str
    forecast: float
    orders: float
    demand: float
    safety_stock: float


class OrderRow(_Row):
    """One firm order, pegged (see :mod:`planner.stages.pegging`)."""

    order: str
    product: str
    quantity: float
    due: str
    priority: float
    planned_completion: int | None = None
    planned_completion_time: str | None = None
    lateness_min: int | None = None
    pegged_quantity: float
    short_quantity: float
    lots: str
    jobs: str


class CapacityRow(_Row):
    period: str
    group: str
    load: float
    capacity: float
    overtime: float
    utilisation: float | None = None


class PlanFile(_Row):
    """Everything ``plan.json`` holds."""

    schema_version: Literal[1] = 1
    scenario: str
    horizon_start: str
    status: str
    feasible: bool
    kpis: PlanKpis
    timings_s: dict[str, Any]
    feedback_rounds: list[dict[str, Any]]
    explanations: list[dict[str, Any]]
    order_explanations: list[dict[str, Any]]
    lots: list[LotRow]
    schedule: list[ScheduleRow]
    forecast: list[ForecastRow]
    orders: list[OrderRow]
    capacity: list[CapacityRow]
    throughput: list[dict[str, Any]]


FRAME_ROWS: dict[str, type[_Row]] = {
    "schedule": ScheduleRow,
    "lots": LotRow,
    "forecast": ForecastRow,
    "orders": OrderRow,
    "capacity": CapacityRow,
}
"""The row model of each of a plan's tables: their columns, in this order, and their types."""


def typed_frame(rows: pd.DataFrame | list[dict[str, Any]], row: type[BaseModel]) -> pd.DataFrame:
    """A plan table in its one canonical form: the row model's columns first, in its order
    (columns it does not know follow), whole minutes as ``int64`` (``Int64`` where they may be
    missing), quantities as ``float64``, ``*_time`` columns as UTC datetimes, text as objects
    with ``None`` where missing. Plans made in memory and plans read from ``plan.json`` both
    pass through it, so they compare equal."""
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    known = list(row.model_fields)
    for name in known:
        if name not in frame.columns:
            frame[name] = None
    frame = frame[known + [c for c in frame.columns if c not in known]]
    for name in known:
        frame[name] = _typed(frame[name], name, row.model_fields[name].annotation)
    return frame.reset_index(drop=True)


def _typed(column: pd.Series, name: str, annotation: Any) -> pd.Series:
    args = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), annotation)
    if name.endswith("_time"):
        return pd.to_datetime(column, utc=True, format="ISO8601")
    if base is bool:
        return column.astype(bool)
    if base is int:
        return column.astype("Int64" if optional or column.isna().any() else "int64")
    if base is float:
        return column.astype("float64")
    return missing_as_none(column.to_frame())[column.name]


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of ``plan.json``."""
    schema = PlanFile.model_json_schema()
    schema["$id"] = f"https://factory-planner/schemas/plan-v{PLAN_SCHEMA_VERSION}.json"
    return schema


def read_plan_file(path: str | Path) -> PlanFile:
    """Read and validate a ``plan.json``.

    Raises
    ------
    InvalidInputError
        When the file is unreadable, not JSON, of another schema version, or does not match
        the schema (every problem listed).
    """
    file = Path(path)
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInputError([InputIssue(str(file), f"cannot read the plan: {error}")]) from None
    if isinstance(raw, dict) and raw.get("schema_version") != PLAN_SCHEMA_VERSION:
        found = raw.get("schema_version")
        raise InvalidInputError(
            [
                InputIssue(
                    "schema_version",
                    f"the plan has schema version {found}; this planner reads version "
                    f"{PLAN_SCHEMA_VERSION}",
                )
            ],
            "plan",
        )
    try:
        return PlanFile.model_validate(raw)
    except ValidationError as error:
        raise InvalidInputError(issues_from_pydantic(error), "plan") from None
