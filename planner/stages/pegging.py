"""Pegging: which lots and jobs serve each firm order, and when the order is complete.

Per product, the supply is the initial inventory (there from the start) and each scheduled
job of the product (its quantity, there when its last operation ends). The firm orders take
that supply in order of due time (then higher priority, then id), each the earliest supply
still free, so an order is complete when the last unit it takes is ready. Forecast demand is
not pegged: orders come first. What no supply covers is the order's shortage.

With a bill of materials, what consuming jobs take of a component (their links, and the
initial stock before any job) is not there for the component's own orders, and an order of a
consuming product is also served by the jobs that make its components, level by level: they
join its ``lots`` and ``jobs``.
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
from planner.stages.supply import take_in_order

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
    taken, from_stock = _consumed(products, data)
    supply: dict[str, list[_Supply]] = {}
    for product in products:
        left = product.initial_inventory - from_stock.get(product.id, 0.0)
        if left > _EPS:
            supply.setdefault(product.id, []).append(_Supply(0, left, STOCK, None))
    for j, job_id in enumerate(data.job_ids):
        product_id = data.job_products[j]
        if product_id is None or job_id not in ready:
            continue
        left = float(data.job_quantities[j]) - taken.get(j, 0.0)
        entry = _Supply(int(ready[job_id]), max(0.0, left), _lot(data, j), job_id)
        supply.setdefault(product_id, []).append(entry)
    for entries in supply.values():
        entries.sort(key=lambda e: (e.ready, e.job or ""))
    ranked = sorted(orders, key=lambda o: (o.due, -o.priority, o.id))
    rows = [_peg(order, supply.get(order.product, []), start) for order in ranked]
    if data.job_components:
        rows = _with_components(rows, data)
    return pd.DataFrame(rows, columns=list(ORDER_COLUMNS))


def _lot(data: ProblemData, j: int) -> str:
    period = data.job_periods[j]
    return f"{data.job_products[j]}@{period}" if period is not None else data.job_ids[j]


def _consumed(
    products: Sequence[Product], data: ProblemData
) -> tuple[dict[int, float], dict[str, float]]:
    """Units consuming jobs take: from each component job (its links), and from each
    product's initial stock (what they need beyond their links, up to the stock)."""
    taken: dict[int, float] = {}
    for component_job, _, units in data.job_components:
        taken[component_job] = taken.get(component_job, 0.0) + units
    bills = {p.id: p.components for p in products}
    needed: dict[str, float] = {}
    for j, product_id in enumerate(data.job_products):
        for line in bills.get(product_id or "", ()):
            needed[line.product] = needed.get(line.product, 0.0) + line.quantity * float(
                data.job_quantities[j]
            )
    linked: dict[str, float] = {}
    for component_job, units in taken.items():
        product_id = data.job_products[component_job] or ""
        linked[product_id] = linked.get(product_id, 0.0) + units
    stock = {p.id: p.initial_inventory for p in products}
    from_stock = {
        c: min(stock.get(c, 0.0), max(0.0, need - linked.get(c, 0.0))) for c, need in needed.items()
    }
    return taken, from_stock


def _with_components(rows: list[dict[str, object]], data: ProblemData) -> list[dict[str, object]]:
    """The orders' rows with the jobs making their jobs' components (and theirs) added."""
    index = {job: j for j, job in enumerate(data.job_ids)}
    suppliers: dict[int, list[int]] = {}
    for component_job, consumer, _ in data.job_components:
        suppliers.setdefault(consumer, []).append(component_job)
    out = []
    for row in rows:
        jobs = [job for job in str(row["jobs"]).split(";") if job]
        lots = [lot for lot in str(row["lots"]).split(";") if lot]
        queue = [index[job] for job in jobs if job in index]
        while queue:
            for s in suppliers.get(queue.pop(0), []):
                if data.job_ids[s] not in jobs:
                    jobs.append(data.job_ids[s])
                    queue.append(s)
                    if _lot(data, s) not in lots:
                        lots.append(_lot(data, s))
        out.append({**row, "jobs": ";".join(jobs), "lots": ";".join(lots)})
    return out


@dataclass
class _Supply:
    """Units of a product that become available at ``ready`` (minutes): the initial stock
    (``job`` is ``None``) or a job of a lot; ``left`` shrinks as orders take it."""

    ready: int
    left: float
    lot: str
    job: str | None


def _peg(order: Order, supply: list[_Supply], start: datetime) -> dict[str, object]:
    done = None
    lots: list[str] = []
    jobs: list[str] = []
    taken, need = take_in_order(supply, order.quantity)
    for entry, _ in taken:
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
