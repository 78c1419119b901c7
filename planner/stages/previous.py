"""What a new run takes from an earlier plan: its schedule (warm start, pins, stability), its
lots (kept when rescheduling), the capacity lot sizing learned, and its forecast (reused when
its inputs are unchanged). Comes from a :class:`~planner.plans.Plan` in memory or from a
saved ``plan.json``, so rescheduling survives a restart of the MES."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from planner.lotsizing import LotPlan
    from planner.plans import Plan


@dataclass(frozen=True)
class PreviousPlan:
    """The parts of an earlier plan a new run uses.

    Attributes
    ----------
    schedule
        ``job, operation, machine, start`` (and more) per operation.
    lots
        The lot-sizing plan (``product, period, quantity, ...``).
    lot_plan
        The full lot-sizing outcome, when the plan is in memory.
    orders
        The ids of the firm orders it planned (a reschedule gives the others jobs of their
        own).
    lot_capacity
        Capacity per period and machine group lot sizing assumed last (in memory only).
    forecast_key, forecast_raw
        The forecast and the fingerprint of its inputs (in memory only).
    source
        Where it came from, for messages.
    """

    schedule: pd.DataFrame
    lots: pd.DataFrame
    orders: frozenset[str] = frozenset()
    """The ids of the firm orders it planned."""
    lot_plan: LotPlan | None = None
    lot_capacity: np.ndarray | None = None
    forecast_key: str = ""
    forecast_raw: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: str = "previous_plan"


def from_plan(plan: Plan) -> PreviousPlan:
    return PreviousPlan(
        schedule=plan.schedule,
        lots=plan.lots,
        orders=_order_ids(plan.orders),
        lot_plan=plan.lot_plan,
        lot_capacity=plan.lot_capacity,
        forecast_key=plan.forecast_key,
        forecast_raw=plan.forecast_raw,
    )


def from_file(path: str | Path) -> PreviousPlan:
    """A saved ``plan.json`` (checked against its schema).

    Raises
    ------
    InvalidInputError
        When the file cannot be read or does not match the plan schema.
    """
    from planner.plans import load_plan

    saved = load_plan(path)
    return PreviousPlan(
        schedule=saved.schedule,
        lots=saved.lots,
        orders=_order_ids(saved.orders),
        source=str(path),
    )


def _order_ids(orders: pd.DataFrame) -> frozenset[str]:
    return frozenset(orders["order"].astype(str)) if "order" in orders.columns else frozenset()


def previous_plan(value: Plan | PreviousPlan | str | Path | None) -> PreviousPlan | None:
    """Whatever the caller passed as the previous plan, as a :class:`PreviousPlan`."""
    if value is None or isinstance(value, PreviousPlan):
        return value
    if isinstance(value, str | Path):
        return from_file(value)
    return from_plan(value)
