"""Stage 4: from lots to jobs for the scheduler. A job knows its product, period, sub-lot and
the firm orders whose due times it carries; nothing parses that back out of its id."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from planner.model import Job, MachineOption, Operation
from planner.model.errors import InputIssue, InvalidInputError
from planner.model.factory import MAX_MAGNITUDE
from planner.model.periods import PlanningPeriod
from planner.model.products import Product
from planner.scenario.calendar import minutes
from planner.stages.components import link_components
from planner.stages.inputs import OrderDue, PlanningInputs, order_period

MIN_QUANTITY = 1e-6
"""Lots of at most this many units are not made."""


def lots_to_jobs(
    lots: pd.DataFrame | None,
    products: Sequence[Product],
    periods: Sequence[PlanningPeriod],
    *,
    release_lead: int = 0,
    max_operation_minutes: int | None = None,
    order_due: Mapping[tuple[str, str], OrderDue] | None = None,
) -> list[Job]:
    """Jobs (batches) for the scheduler from a lot plan's lots (``product, period,
    quantity``).

    Each lot becomes a job ``{product}@{period}``, due at the period's end and released at its
    start minus ``release_lead`` minutes (material is there one lead time ahead, so multi-step
    routings can finish in time). A step takes ``ceil(fixed + minutes_per_unit * quantity)`` on
    each eligible machine. With ``max_operation_minutes``, a lot whose longest step would run
    longer on its fastest machine is split into equal sub-lots ``{product}@{period}#k`` (transfer
    batches), so that a big lot can use several machines of a group. A lot that carries firm
    orders (``order_due``, per product and period) is due when the earliest of them is, with
    their highest priority, and names them. A step that consumes components starts after the
    jobs it takes them from (:func:`planner.stages.components.link_components`).
    """
    if lots is None or lots.empty:
        return []
    by_id = {p.id: p for p in products}
    index = {p.id: k for k, p in enumerate(products)}
    by_period = {p.id: p for p in periods}
    jobs = []
    for product_id, period_id, quantity in zip(
        lots["product"].astype(str),
        lots["period"].astype(str),
        lots["quantity"].to_numpy(float),
        strict=True,
    ):
        if quantity <= MIN_QUANTITY:
            continue
        product, period = by_id[product_id], by_period[period_id]
        _check_durations(product, index[product_id], quantity)
        parts = _parts(product, quantity, max_operation_minutes)
        orders = (order_due or {}).get((product.id, period.id))
        for k in range(parts):
            share = quantity / parts
            job = Job(
                id=f"{product.id}@{period.id}" + (f"#{k + 1}" if parts > 1 else ""),
                product=product.id,
                period=period.id,
                lot=k + 1 if parts > 1 else None,
                quantity=round(share, 6),
                release=max(0, period.start - release_lead),
                due=period.end,
                weight=product.priority,
                operations=tuple(_operations(product, share)),
            )
            jobs.append(job if orders is None else carrying(job, orders))
    return link_components(jobs, products)


def scenario_jobs(
    inputs: PlanningInputs,
    lots: pd.DataFrame | None,
    order_due: Mapping[tuple[str, str], OrderDue] | None = None,
    products: Sequence[Product] | None = None,
) -> list[Job]:
    """The jobs of a lot plan under the scenario's rules (release lead, sub-lot size, firm
    orders: the scenario's unless ``order_due`` says which; products: the scenario's unless
    ``products`` are given)."""
    return lots_to_jobs(
        lots,
        inputs.products if products is None else products,
        inputs.periods,
        release_lead=inputs.release_lead,
        max_operation_minutes=inputs.scenario.lot_sizing.max_operation_minutes,
        order_due=inputs.order_due if order_due is None else order_due,
    )


def new_order_jobs(inputs: PlanningInputs, known: set[str]) -> tuple[list[Job], pd.DataFrame]:
    """Rescheduling keeps the previous lots; a firm order the previous plan did not know (a
    rush order) gets a job of its own, ``{product}@{period}+{order}``, sized to the order and
    due when it is, so that the rest of the plan can stay where it was. With a bill of
    materials its components get jobs of their own too, as many as the order consumes (the
    components' stock is the previous plan's), and its job starts after theirs. Returns the
    jobs and their lots (``product, period, quantity``) to add to the plan's lot table."""
    jobs: list[Job] = []
    rows = []
    fresh = [p.model_copy(update={"initial_inventory": 0.0}) for p in inputs.products]
    for order in inputs.scenario.demand.orders:
        if order.id in known:
            continue
        due = minutes(order.due, inputs.start)
        period = order_period(due, inputs.periods)
        lots = _exploded(inputs, order.product, order.quantity, inputs.periods.index(period))
        rows_of = pd.DataFrame(lots, columns=["product", "period", "quantity"])
        lot = rows_of.groupby(["product", "period"], as_index=False, sort=False).agg(
            quantity=("quantity", "sum")
        )
        own = {(order.product, period.id): OrderDue(due, order.priority, (order.id,))}
        made = scenario_jobs(inputs, lot, own, fresh)
        jobs += [_suffixed(job, f"+{order.id}") for job in made]
        rows.append(lot)
    return jobs, pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _exploded(
    inputs: PlanningInputs, product: str, quantity: float, period: int
) -> list[tuple[str, str, float]]:
    """A lot of ``quantity`` units of ``product`` in ``period`` (an index), and the lots of
    every level of its components (each ``lead_periods`` earlier, within the horizon)."""
    rows = [(product, inputs.periods[period].id, quantity)]
    bills = {p.id: p.components for p in inputs.products}
    for line in bills.get(product, ()):
        earlier = max(0, period - line.lead_periods)
        rows += _exploded(inputs, line.product, quantity * line.quantity, earlier)
    return rows


def _suffixed(job: Job, suffix: str) -> Job:
    """``job`` with ``suffix`` on its id and on the component jobs it names."""
    operations = tuple(
        op.model_copy(
            update={
                "components": tuple(
                    c.model_copy(update={"job": c.job + suffix}) for c in op.components
                )
            }
        )
        if op.components
        else op
        for op in job.operations
    )
    return job.model_copy(update={"id": job.id + suffix, "operations": operations})


def add_lots(lots: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """``lots`` with ``extra`` quantities added to their product and period (rows appended
    where the lot table has none)."""
    keys = ["product", "period"]
    added = extra.groupby(keys, as_index=False)["quantity"].sum()
    merged = lots.merge(added, on=keys, how="outer", suffixes=("", "_added"))
    merged["quantity"] = merged["quantity"].fillna(0) + merged["quantity_added"].fillna(0)
    return merged.drop(columns="quantity_added")


def carrying(job: Job, orders: OrderDue) -> Job:
    """``job`` due when the earliest of ``orders`` is (never before it may start), with their
    highest priority, naming them."""
    release = int(job.release) if isinstance(job.release, int | float) else 0
    own_due = int(job.due) if isinstance(job.due, int | float) else orders.due
    return job.model_copy(
        update={
            "due": min(own_due, max(orders.due, release)),
            "weight": max(job.weight, orders.priority),
            "orders": orders.orders,
        }
    )


def _check_durations(product: Product, k: int, quantity: float) -> None:
    """A lot whose step would take longer than any schedule can hold is the inputs' doing:
    say which routing option, under the scenario's own path."""
    issues = []
    for s, step in enumerate(product.routing):
        for o, option in enumerate(step.machines):
            minutes = option.fixed_minutes + option.minutes_per_unit * quantity
            if minutes > MAX_MAGNITUDE:
                issues.append(
                    InputIssue(
                        f"products[{k}].routing[{s}].machines[{o}]",
                        f"a lot of {quantity:g} units would take {minutes:g} minutes on "
                        f"{option.machine}, beyond {MAX_MAGNITUDE:,} (check minutes_per_unit, "
                        "fixed_minutes and the demand)",
                    )
                )
    if issues:
        raise InvalidInputError(issues, "scenario")


def _parts(product: Product, quantity: float, max_operation_minutes: int | None) -> int:
    """Sub-lots needed so that no step runs longer than ``max_operation_minutes`` on its
    fastest machine."""
    if not max_operation_minutes:
        return 1
    longest = max(
        min(o.fixed_minutes + o.minutes_per_unit * quantity for o in step.machines)
        for step in product.routing
    )
    return max(1, math.ceil(longest / max_operation_minutes))


def _operations(product: Product, quantity: float) -> list[Operation]:
    return [
        Operation(
            id=step.id,
            machines=tuple(
                MachineOption(
                    machine=o.machine,
                    duration=max(
                        1, math.ceil(o.fixed_minutes + o.minutes_per_unit * quantity - 1e-9)
                    ),
                )
                for o in step.machines
            ),
            predecessors=step.predecessors,
            setup_family=step.setup_family or product.family,
            min_lag_minutes=step.min_lag_minutes,
            lag_time=step.lag_time,
            max_lag_minutes=step.max_lag_minutes,
            transfer_share=_transfer_share(step.transfer_quantity, quantity),
            needs=step.needs,
        )
        for step in product.routing
    ]


def _transfer_share(transfer_quantity: float | None, quantity: float) -> float | None:
    """The share of a lot of ``quantity`` units in its first transfer batch; ``None`` when
    the batch holds the whole lot (the step waits for all of it)."""
    if transfer_quantity is None or transfer_quantity >= quantity:
        return None
    return transfer_quantity / quantity
