"""From lots to jobs for the scheduler, and back: capacity that the schedule achieved.

* :func:`group_capacity` turns machine calendars into capacity per machine group and period.
* :func:`lot_problem` aggregates product routings into per-group loads for lot sizing.
* :func:`lots_to_jobs` makes one job (a batch) per lot: released at its period's start, due
  at its period's end, with durations that scale with its quantity.
* :func:`plan_with_feedback` closes the loop: when the detailed schedule overruns a period on
  a machine group, lot sizing re-plans with the capacity the schedule actually achieved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.lotsizing.model import (
    Demand,
    GroupLoad,
    LotProduct,
    LotSizingData,
    LotSizingProblem,
    Period,
)
from planner.lotsizing.solve import LotPlan, solve_lots
from planner.model import Job, Machine, MachineOption, Operation, SetupRule
from planner.model.products import Product, StepMachine
from planner.scheduling.result import Result


@dataclass(frozen=True)
class PlanningPeriod:
    """A period of the plan in minutes from the horizon start."""

    id: str
    start: int
    end: int


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


def lots_to_jobs(
    plan: LotPlan,
    products: Sequence[Product],
    periods: Sequence[PlanningPeriod],
    *,
    min_quantity: float = 1e-6,
    release_lead: int = 0,
    max_operation_minutes: int | None = None,
) -> list[Job]:
    """Jobs (batches) for the scheduler from a lot plan.

    Each lot becomes a job ``{product}@{period}``, due at the period's end and released at its
    start minus ``release_lead`` minutes (material is there one lead time ahead, so multi-step
    routings can finish in time). A step takes ``ceil(fixed + minutes_per_unit * quantity)`` on
    each eligible machine. With ``max_operation_minutes``, a lot whose longest step would run
    longer on its fastest machine is split into equal sub-lots ``{product}@{period}#k`` (transfer
    batches), so that a big lot can use several machines of a group.
    """
    if plan.lots is None:
        return []
    by_id = {p.id: p for p in products}
    by_period = {p.id: p for p in periods}
    jobs = []
    lots = plan.lots
    for product_id, period_id, quantity in zip(
        lots["product"].astype(str),
        lots["period"].astype(str),
        lots["quantity"].to_numpy(float),
        strict=True,
    ):
        if quantity <= min_quantity:
            continue
        product = by_id[product_id]
        period = by_period[period_id]
        parts = 1
        if max_operation_minutes:
            longest = max(
                min(o.fixed_minutes + o.minutes_per_unit * quantity for o in step.machines)
                for step in product.routing
            )
            parts = max(1, math.ceil(longest / max_operation_minutes))
        for k in range(parts):
            share = quantity / parts
            jobs.append(
                Job(
                    id=f"{product.id}@{period.id}" + (f"#{k + 1}" if parts > 1 else ""),
                    product=product.id,
                    quantity=round(share, 6),
                    release=max(0, period.start - release_lead),
                    due=period.end,
                    weight=product.priority,
                    operations=tuple(_operations(product, share)),
                )
            )
    return jobs


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
        )
        for step in product.routing
    ]


def lot_period(job_id: str) -> str:
    """The period of a job made by :func:`lots_to_jobs` (``P@D3#2`` -> ``D3``)."""
    return job_id.rsplit("@", 1)[-1].split("#", 1)[0]


def achieved_capacity(
    data: LotSizingData,
    schedule: pd.DataFrame,
    machines: Sequence[Machine],
    periods: Sequence[PlanningPeriod],
) -> tuple[np.ndarray, np.ndarray]:
    """Overflow ``[period, group]``: minutes of each period's lots processed after the period
    ended; and the capacity lot sizing should assume instead (planned minus overflow)."""
    group_of = {m.id: m.group for m in machines}
    period_index = {p.id: t for t, p in enumerate(periods)}
    group_index = {g: k for k, g in enumerate(data.groups)}
    overflow = np.zeros_like(data.capacity)
    for job, machine, start, end in zip(
        schedule["job"].astype(str),
        schedule["machine"].astype(str),
        schedule["start"].to_numpy(int),
        schedule["end"].to_numpy(int),
        strict=True,
    ):
        t = period_index.get(lot_period(job))
        g = group_index.get(group_of.get(machine, ""))
        if t is None or g is None:
            continue
        overflow[t, g] += max(0, int(end) - max(int(start), periods[t].end))
    return overflow, np.maximum(0.0, data.capacity - overflow)


@dataclass
class FeedbackRound:
    """One pass of lot sizing then scheduling."""

    plan: LotPlan
    result: Result | None
    overflow: np.ndarray
    capacity: np.ndarray


@dataclass
class FeedbackOutcome:
    rounds: list[FeedbackRound] = field(default_factory=list)

    @property
    def final(self) -> FeedbackRound:
        return self.rounds[-1]

    @property
    def converged(self) -> bool:
        return bool(self.rounds) and float(self.final.overflow.sum()) == 0.0


def plan_with_feedback(
    problem: LotSizingProblem,
    products: Sequence[Product],
    machines: Sequence[Machine],
    periods: Sequence[PlanningPeriod],
    schedule: Callable[[list[Job]], Result],
    *,
    rounds: int = 3,
    lot_time_limit: float = 10.0,
    backend: str = "highspy",
    mip_gap: float = 1e-4,
    release_lead: int = 0,
    max_operation_minutes: int | None = None,
    start_capacity: np.ndarray | None = None,
) -> FeedbackOutcome:
    """Lot sizing, scheduling, and re-planning with the achieved capacity until no period
    overflows or ``rounds`` passes are done."""
    data = problem.build()
    outcome = FeedbackOutcome()
    capacity = data.capacity.copy()
    if start_capacity is not None and start_capacity.shape == capacity.shape:
        # continue from what an earlier run learned about achievable capacity
        capacity = np.minimum(capacity, start_capacity)
    for _ in range(rounds):
        plan = solve_lots(
            data.with_capacity(capacity),
            time_limit=lot_time_limit,
            mip_gap=mip_gap,
            backend=backend,  # type: ignore[arg-type]
        )
        if not plan.feasible:
            outcome.rounds.append(
                FeedbackRound(plan, None, np.zeros_like(capacity), capacity.copy())
            )
            break
        jobs = lots_to_jobs(
            plan,
            products,
            periods,
            release_lead=release_lead,
            max_operation_minutes=max_operation_minutes,
        )
        result = schedule(jobs)
        if result.schedule is None:
            outcome.rounds.append(
                FeedbackRound(plan, result, np.zeros_like(capacity), capacity.copy())
            )
            break
        overflow, _ = achieved_capacity(data, result.schedule, machines, periods)
        outcome.rounds.append(FeedbackRound(plan, result, overflow, capacity.copy()))
        if overflow.sum() == 0:
            break
        capacity = np.maximum(0.0, capacity - overflow)
    return outcome
