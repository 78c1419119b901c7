"""The key figures of a plan, typed: schedule (from the independent checker), service, lot
sizing and stability against a previous plan. Written to ``kpis.json`` and into ``plan.json``
(their JSON Schema is part of ``planner schema plan``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from planner.check import Kpis


class _Figures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServiceKpis(_Figures):
    """How well the plan serves demand.

    Attributes
    ----------
    jobs, operations
        Scheduled jobs and operations.
    on_time_jobs_pct
        Share of jobs with a due time that end by it, in percent.
    orders, orders_on_time, orders_short
        Firm orders; those complete by their due time; those with quantity no lot covers.
    """

    jobs: int
    operations: int
    on_time_jobs_pct: float
    orders: int
    orders_on_time: int
    orders_short: int


class LotSizingKpis(_Figures):
    """The lot-sizing plan's cost and volume.

    Attributes
    ----------
    cost
        Total cost of the lot plan (``None`` when lot sizing found none).
    costs
        The cost per term (setup, holding, backlog, overtime, ...).
    gap
        Relative gap between the lot plan's cost and its proved bound.
    batches
        Product-periods with a batch.
    units_planned, units_demanded, end_backlog_units
        Units made, units demanded, and units still owed when the horizon ends.
    """

    cost: float | None
    costs: dict[str, float]
    gap: float | None
    batches: int
    units_planned: float
    units_demanded: float
    end_backlog_units: float


class StabilityKpis(_Figures):
    """How much a re-plan differs from the previous plan, over the operations both hold.

    Attributes
    ----------
    compared_operations
        Operations (same job and operation id) in both plans.
    moved_operations
        Of those, the ones on another machine or starting more than ``tolerance_min`` apart.
    changed_machine
        Of those, the ones on another machine.
    mean_shift_min, max_shift_min
        Mean and largest absolute change of start time, in minutes.
    new_operations, dropped_operations
        Operations only in the new plan, and only in the previous one.
    tolerance_min
        A start that moves by at most this many minutes does not count as moved.
    """

    compared_operations: int
    moved_operations: int
    changed_machine: int
    mean_shift_min: float
    max_shift_min: int
    new_operations: int
    dropped_operations: int
    tolerance_min: int = 0


class PlanKpis(_Figures):
    """Every key figure of a plan.

    Attributes
    ----------
    status
        The scheduler's solution status (``optimal``, ``feasible``, ...).
    objective, bound
        The schedule's objective and the best proved lower bound on it.
    schedule
        The independent checker's figures (makespan, tardiness, setups, energy, ...).
    service, lot_sizing, stability
        See :class:`ServiceKpis`, :class:`LotSizingKpis` (absent when rescheduling kept the
        previous lots) and :class:`StabilityKpis` (present when there was a previous plan).
    runtime_s
        Seconds used per stage, and the limits they were given.
    """

    status: str
    objective: float | None
    bound: float | None
    schedule: Kpis
    service: ServiceKpis
    runtime_s: dict[str, Any]
    lot_sizing: LotSizingKpis | None = None
    stability: StabilityKpis | None = None
