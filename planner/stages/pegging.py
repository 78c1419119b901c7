"""Pegging: which lots and jobs serve each firm order, and when the order is complete.

Per product, the supply is the initial inventory (there from the start) and each scheduled
job of the product (its quantity, there when its last operation ends). The firm orders take
that supply in order of due time (then higher priority, then id), each the earliest supply
still free, so an order is complete when the last unit it takes is ready. Forecast demand is
not pegged: orders come first. What no supply covers is the order's shortage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from planner.model import ProblemData
from planner.model.products import Product
from planner.scenario.calendar import minutes
from planner.scenario.model import Order

STOCK = "stock"
"""How the initial inventory is named among an order's lots."""
ORDER_COLUMNS = (
    "order",
    "product",
    "quantity",
    "due",
    "priority",
    "planned_completion",
    "planned_completion_time",
    "lateness_min",
    "pegged_quantity",
    "short_quantity",
    "lots",
    "jobs",
)
_EPS = 1e-9


def peg_orders(
    orders: Sequence[Order],
    products: Sequence[Product],
    data: ProblemData,
    schedule: pd.DataFrame,
    start: datetime,
) -> pd.DataFrame:
    """One row per firm order (see the module docstring for the rule): ``planned_completion``
    in minutes from ``start`` (and as a datetime), ``lateness_min`` (negative when early; empty
    when nothing is pegged), ``pegged_quantity``, ``short_quantity``, and the ``lots``
    (``product@period``, or ``stock``) and ``jobs`` serving it (``;``-separated)."""
    ready = schedule.groupby("job")["end"].max().to_dict()
    supply: dict[str, list[_Supply]] = {}
    for product in products:
        if product.initial_inventory > _EPS:
            stock = _Supply(0, product.initial_inventory, STOCK, None)
            supply.setdefault(product.id, []).append(stock)
    for j, job_id in enumerate(data.job_ids):
        product_id, period = data.job_products[j], data.job_periods[j]
        if product_id is None or job_id not in ready:
            continue
        lot = f"{product_id}@{period}" if period is not None else job_id
        entry = _Supply(int(ready[job_id]), float(data.job_quantities[j]), lot, job_id)
        supply.setdefault(product_id, []).append(entry)
    for entries in supply.values():
        entries.sort(key=lambda e: (e.ready, e.job or ""))
    ranked = sorted(orders, key=lambda o: (o.due, -o.priority, o.id))
    rows = [_peg(order, supply.get(order.product, []), start) for order in ranked]
    return pd.DataFrame(rows, columns=list(ORDER_COLUMNS))


@dataclass
class _Supply:
    """Units of a product that become available at ``ready`` (minutes): the initial stock
    (``job`` is ``None``) or a job of a lot; ``left`` shrinks as orders take it."""

    ready: int
    left: float
    lot: str
    job: str | None


def _peg(order: Order, supply: list[_Supply], start: datetime) -> dict[str, object]:
    need, done = order.quantity, None
    lots: list[str] = []
    jobs: list[str] = []
    for entry in supply:
        if need <= _EPS:
            break
        if entry.left <= _EPS:
            continue
        take = min(entry.left, need)
        entry.left -= take
        need -= take
        done = entry.ready
        if entry.lot not in lots:
            lots.append(entry.lot)
        if entry.job is not None and entry.job not in jobs:
            jobs.append(entry.job)
    due = minutes(order.due, start)
    pegged = order.quantity - max(0.0, need)
    return {
        "order": order.id,
        "product": order.product,
        "quantity": order.quantity,
        "due": order.due.isoformat(),
        "priority": order.priority,
        "planned_completion": done,
        "planned_completion_time": None
        if done is None
        else (pd.Timestamp(start) + pd.Timedelta(minutes=done)).isoformat(),
        "lateness_min": None if done is None else done - due,
        "pegged_quantity": round(pegged, 6),
        "short_quantity": round(max(0.0, need), 6),
        "lots": ";".join(lots),
        "jobs": ";".join(jobs),
    }


def orders_per_job(pegging: pd.DataFrame) -> dict[str, str]:
    """For each job, the orders it serves (``;``-separated), from a pegging table."""
    served: dict[str, list[str]] = {}
    for order, jobs in zip(pegging["order"], pegging["jobs"], strict=True):
        for job in str(jobs).split(";") if jobs else ():
            served.setdefault(job, []).append(str(order))
    return {job: ";".join(ids) for job, ids in served.items()}
