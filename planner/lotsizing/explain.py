"""Why a lot plan leaves demand short or stock below its safety target, in planner words.

For each run of periods in which a product is short (or below its safety stock), the
explanation names the capacity that bound it: the machine groups the product loads whose free
minutes, in the periods that could have made the missing units in time (the latest three), are
fewer than making them takes (setup included where the product has no lot there), how much
overtime there would have made them, and which other products' lots fill that capacity,
the ones whose shortage costs least first (the lots a planner could move). Where nothing it
loads is full, the shortage is a choice of cost, and the explanation says which costs to
change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.lotsizing.model import LotSizingData

TOLERANCE = 1e-6
LATEST = 3


def explain_shortfalls(
    data: LotSizingData,
    production: np.ndarray,
    setup: np.ndarray,
    shortage: np.ndarray,
    safety_shortfall: np.ndarray,
    overtime: np.ndarray,
) -> list[dict[str, Any]]:
    """One entry per product and run of consecutive periods short (``kind`` ``shortage``) or
    below the safety target (``kind`` ``safety_stock``): ``product``, ``kind``, ``from`` and
    ``to`` (period ids), ``units`` (the largest shortfall in the run), ``binding`` (full
    groups and periods), ``overtime_min`` (per binding entry, what would have made the
    units), ``competing`` (other products' lots there) and ``reasons`` (sentences)."""
    load = production.T @ data.unit_minutes + setup.T @ data.setup_minutes
    free = data.capacity + overtime - load
    out = []
    for kind, amount in (("shortage", shortage), ("safety_stock", safety_shortfall)):
        for i, first, last in _runs(amount):
            units = float(amount[i, first : last + 1].max())
            entry = _explain(data, production, setup, load, free, i, first, units)
            out.append(
                {
                    "product": data.product_ids[i],
                    "kind": kind,
                    "from": data.period_ids[first],
                    "to": data.period_ids[last],
                    "units": round(units, 3),
                    **entry,
                }
            )
    return out


def _runs(amount: np.ndarray) -> list[tuple[int, int, int]]:
    """(product, first period, last period) of each run of periods with ``amount > 0``."""
    runs = []
    for i, row in enumerate(amount > TOLERANCE):
        t = 0
        while t < len(row):
            if row[t]:
                first = t
                while t + 1 < len(row) and row[t + 1]:
                    t += 1
                runs.append((i, first, t))
            t += 1
    return runs


def _explain(
    data: LotSizingData,
    production: np.ndarray,
    setup: np.ndarray,
    load: np.ndarray,
    free: np.ndarray,
    i: int,
    first: int,
    units: float,
) -> dict[str, Any]:
    need = units * data.unit_minutes[i][None, :] + np.where(
        setup[i][:, None] > 0.5, 0.0, data.setup_minutes[i][None, :]
    )  # [period, group]: minutes to make the missing units there
    groups = np.flatnonzero(data.unit_minutes[i] > 0)
    binding = [
        (t, int(g))
        for t in range(first, -1, -1)
        for g in groups
        if free[t, g] < need[t, g] - TOLERANCE
    ][:LATEST]
    if not binding:
        return {"binding": [], "competing": [], "reasons": [_a_choice_of_cost(data, i, first)]}
    rows, competing, reasons = [], [], []
    for t, g in binding:
        minutes = need[t, g] - max(0.0, free[t, g])
        rows.append(
            {
                "group": data.groups[g],
                "period": data.period_ids[t],
                "load_min": round(float(load[t, g]), 1),
                "capacity_min": float(data.capacity[t, g]),
                "overtime_min": round(float(minutes), 1),
            }
        )
        reasons.append(
            f"machine group {data.groups[g]} has {max(0.0, free[t, g]):.0f} of "
            f"{data.capacity[t, g]:.0f} min free in period {data.period_ids[t]}, and the "
            f"{units:.0f} units need {need[t, g]:.0f}: {minutes:.0f} min of overtime there "
            "would have made them"
        )
        competing += _competing(data, production, i, t, g)
    competing.sort(key=lambda lot: (lot["shortage_cost"], -lot["minutes"]))
    for lot in competing[:LATEST]:
        reasons.append(
            f"product {lot['product']}'s lot of {lot['quantity']:.0f} units in period "
            f"{lot['period']} takes {lot['minutes']:.0f} min of group {lot['group']} "
            f"(its shortage costs {lot['shortage_cost']:g} a unit against "
            f"{data.problem.products[i].backlog_cost:g}): moving it would free the capacity"
        )
    reasons.append(_overtime_rule(data))
    return {"binding": rows, "competing": competing[:LATEST], "reasons": reasons}


def _competing(
    data: LotSizingData, production: np.ndarray, i: int, t: int, g: int
) -> list[dict[str, Any]]:
    lots = []
    for k in np.flatnonzero(production[:, t] > TOLERANCE):
        if k == i or data.unit_minutes[k, g] <= 0:
            continue
        lots.append(
            {
                "product": data.product_ids[k],
                "period": data.period_ids[t],
                "group": data.groups[g],
                "quantity": round(float(production[k, t]), 3),
                "minutes": round(
                    float(production[k, t] * data.unit_minutes[k, g] + data.setup_minutes[k, g]),
                    1,
                ),
                "shortage_cost": data.problem.products[k].backlog_cost,
            }
        )
    return lots


def _overtime_rule(data: LotSizingData) -> str:
    cost = data.problem.overtime_cost
    if cost is None:
        return "overtime is not allowed (set overtime_cost to let the plan buy it)"
    return f"overtime costs {cost:g} a minute: the plan found it dearer than the shortfall"


def _a_choice_of_cost(data: LotSizingData, i: int, first: int) -> str:
    product = data.problem.products[i]
    return (
        f"no machine group it loads is full up to period {data.period_ids[first]}: making the "
        f"units in time would cost more (setup {product.setup_cost:g}, holding "
        f"{product.holding_cost:g} a unit and period) than the shortfall "
        f"({product.backlog_cost:g} a unit); raise backlog_cost (or the safety-stock "
        "penalty) to have them made"
    )
