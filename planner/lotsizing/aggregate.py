"""The factory seen from lot sizing: capacity and loads per machine group and period.

* :func:`group_capacity` turns machine calendars into capacity per machine group and period.
* :func:`lot_problem` aggregates product routings into per-group loads for lot sizing.

Lots become jobs for the scheduler in :mod:`planner.stages.jobs`; the loop between the two
lives in :mod:`planner.stages.feedback`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from planner.lotsizing.model import (
    Demand,
    GroupLoad,
    LotProduct,
    LotSizingProblem,
    Period,
)
from planner.model import Machine, SetupRule
from planner.model.bom import Component
from planner.model.periods import PlanningPeriod
from planner.model.products import Product, StepMachine


def group_capacity(
    machines: Sequence[Machine], periods: Sequence[PlanningPeriod]
) -> list[dict[str, float]]:
    """Available minutes per machine group in each period (period length minus unavailability,
    summed over the group's machines). Calendar times must be minutes."""
    out = []
    for period in periods:
        capacity: dict[str, float] = {}
        for machine in machines:
            blocked = 0
            for window in machine.unavailable:
                s, e = int(window.start), int(window.end)  # type: ignore[arg-type]
                blocked += max(0, min(e, period.end) - max(s, period.start))
            capacity[machine.group] = capacity.get(machine.group, 0.0) + (
                period.end - period.start - blocked
            )
        out.append(capacity)
    return out


def _typical_setup(
    setups: Sequence[SetupRule], family: str, machines: set[str], families: set[str]
) -> float:
    """Average changeover into ``family`` from the other families on these machines."""
    from planner.model.factory import WILDCARD

    values = []
    for source in families - {family}:
        best: tuple[int, int] | None = None
        for rule in setups:
            if rule.machines is not None and not machines & set(rule.machines):
                continue
            if rule.to_family not in (family, WILDCARD) or rule.from_family not in (
                source,
                WILDCARD,
            ):
                continue
            rank = (
                (rule.from_family != WILDCARD) * 2
                + (rule.to_family != WILDCARD)
                + 4 * (rule.machines is not None)
            )
            if best is None or rank > best[0]:
                best = (rank, rule.minutes)
        values.append(best[1] if best else 0)
    return float(np.mean(values)) if values else 0.0


def lot_problem(
    products: Sequence[Product],
    machines: Sequence[Machine],
    periods: Sequence[PlanningPeriod],
    demand: Sequence[Demand],
    *,
    setups: Sequence[SetupRule] = (),
    safety_stock: Mapping[str, Sequence[float]] | None = None,
    capacity: Sequence[Mapping[str, float]] | None = None,
    **options: object,
) -> LotSizingProblem:
    """Aggregate routings into a :class:`LotSizingProblem`.

    A product's load on a machine group is, per routing step on that group, the mean minutes
    per unit over the group's eligible machines; a batch's setup there is the mean fixed
    minutes plus the typical changeover into the product's family.
    """
    group_of = {m.id: m.group for m in machines}
    families = {p.family for p in products}
    lot_products = []
    for product in products:
        per_group: dict[str, list[float]] = {}
        for step in product.routing:
            by_group: dict[str, list[StepMachine]] = {}
            for option in step.machines:
                by_group.setdefault(group_of.get(option.machine, "?"), []).append(option)
            for group, eligible in by_group.items():
                unit = float(np.mean([o.minutes_per_unit for o in eligible]))
                fixed = float(np.mean([o.fixed_minutes for o in eligible]))
                change = _typical_setup(
                    setups,
                    step.setup_family or product.family,
                    {o.machine for o in eligible},
                    families,
                )
                load = per_group.setdefault(group, [0.0, 0.0])
                load[0] += unit
                load[1] += fixed + change
        lot_products.append(
            LotProduct(
                id=product.id,
                loads=tuple(
                    GroupLoad(group=g, minutes_per_unit=v[0], setup_minutes=v[1])
                    for g, v in per_group.items()
                ),
                setup_cost=product.setup_cost,
                holding_cost=product.holding_cost,
                backlog_cost=product.backlog_cost,
                min_batch=product.min_batch,
                max_batch=product.max_batch,
                batch_multiple=product.batch_multiple,
                initial_inventory=product.initial_inventory,
                components=tuple(
                    Component(
                        product=line.product,
                        quantity=line.quantity,
                        lead_periods=line.lead_periods,
                    )
                    for line in product.components
                ),
            )
        )
    capacities = list(capacity) if capacity is not None else group_capacity(machines, periods)
    return LotSizingProblem(
        products=tuple(lot_products),
        periods=tuple(
            Period(id=p.id, start=p.start, end=p.end, capacity=dict(c))
            for p, c in zip(periods, capacities, strict=True)
        ),
        demand=tuple(demand),
        safety_stock={k: tuple(v) for k, v in (safety_stock or {}).items()},
        **options,
    )
