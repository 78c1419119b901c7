"""The plan file (``plan.json``) as a contract: versioned, typed, with a JSON Schema.

An MES reads ``plan.json`` by this schema (``planner schema plan`` prints it). Times are
whole minutes from ``horizon_start`` and, where a column ends in ``_time``, ISO 8601. The
version goes up whenever a field changes meaning or disappears; new optional fields may
appear within a version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

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
    kpis: dict[str, Any]
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
