"""Products and their routings: what lot sizing plans and what becomes jobs for sequencing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.model.bom import BillLine
from planner.model.factory import Frozen, check_lag_order
from planner.model.resources import ResourceNeed


class StepMachine(Frozen):
    """A machine that can run a routing step: minutes per unit, plus fixed minutes per batch
    (loading, first-piece inspection)."""

    machine: str = Field(min_length=1)
    minutes_per_unit: float = Field(gt=0)
    fixed_minutes: float = Field(default=0.0, ge=0)


class RoutingStep(Frozen):
    """One step of a product's routing.

    ``predecessors`` name earlier steps; if no step names any, the steps run in order.
    ``setup_family`` defaults to the product's family.

    Time lags and overlapping batches, counted from each predecessor step:
    ``min_lag_minutes`` (from its end to this step's start at least: curing, cooling; in
    calendar time, or with ``lag_time: working`` only the plant's working time, its shifts),
    ``max_lag_minutes`` (at most: coat within 8 hours of welding) and
    ``transfer_quantity`` (this step may start once that many units of the predecessor are
    done, its first transfer batch, instead of the whole lot; the lot's last units still pass
    after the predecessor ends). ``needs`` names the resource pools (operators, fixtures) the
    step holds while it runs, or during its changeover.
    """

    id: str = Field(min_length=1)
    machines: tuple[StepMachine, ...] = Field(min_length=1)
    predecessors: tuple[str, ...] | None = None
    setup_family: str | None = None
    min_lag_minutes: int = Field(default=0, ge=0)
    lag_time: Literal["calendar", "working"] = "calendar"
    max_lag_minutes: int | None = Field(default=None, ge=0)
    transfer_quantity: float | None = Field(default=None, gt=0)
    needs: tuple[ResourceNeed, ...] = ()

    @model_validator(mode="after")
    def _lags(self) -> RoutingStep:
        check_lag_order(self.min_lag_minutes, self.max_lag_minutes)
        return self

    def counts_from_predecessors(self) -> tuple[str, ...]:
        """The lag and transfer fields this step sets (they need a predecessor step)."""
        fields = ("min_lag_minutes", "max_lag_minutes", "transfer_quantity")
        return tuple(f for f in fields if getattr(self, f) not in (None, 0))


class BatchRules(Frozen):
    """Costs and batch-size rules of a product, shared by scenarios and lot sizing.

    Parameters
    ----------
    setup_cost
        Cost of one batch (changeover, scrap, paperwork).
    holding_cost
        Cost of one unit in stock for one period.
    backlog_cost
        Cost of one unit of demand met one period late (or lost).
    min_batch, max_batch, batch_multiple
        A batch is 0 or between min and max, and a multiple of ``batch_multiple``.
    initial_inventory
        Stock at the start of the first period.
    """

    setup_cost: float = Field(default=0.0, ge=0)
    holding_cost: float = Field(default=1.0, ge=0)
    backlog_cost: float = Field(default=10.0, ge=0)
    min_batch: float = Field(default=0.0, ge=0)
    max_batch: float | None = Field(default=None, gt=0)
    batch_multiple: float | None = Field(default=None, gt=0)
    initial_inventory: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _batch_rules(self) -> BatchRules:
        if self.max_batch is not None and self.max_batch < self.min_batch:
            raise ValueError(f"max_batch ({self.max_batch}) is below min_batch ({self.min_batch})")
        if (
            self.batch_multiple is not None
            and self.max_batch is not None
            and self.batch_multiple > self.max_batch
        ):
            raise ValueError("batch_multiple exceeds max_batch: no batch size is allowed")
        return self


MAX_SERVICE_LEVEL = 0.99
"""Highest service level derived from costs (the forecast quantile it asks for)."""


class Product(BatchRules):
    """A product: its routing and setup family, with its costs and batch rules
    (:class:`BatchRules`).

    Parameters
    ----------
    family
        Setup family of its steps (products of one family need no changeover between them).
    priority
        Weight of its jobs' tardiness in sequencing.
    service_level
        Target probability of meeting demand from stock; with a forecast, sets the safety
        stock from the forecast quantile at this level. ``None`` uses ``b / (b + h)``.
    components
        Its bill of materials: other products it consumes, per unit made, and the routing
        step that consumes each.
    """

    id: str = Field(min_length=1)
    family: str = "default"
    routing: tuple[RoutingStep, ...] = Field(min_length=1)
    priority: float = Field(default=1.0, ge=0)
    service_level: float | None = Field(default=None, gt=0, lt=1)
    components: tuple[BillLine, ...] = ()

    def consuming_step(self, line: BillLine) -> str:
        """The routing step that consumes a component: the one named, else the first."""
        return line.step or self.routing[0].id

    @model_validator(mode="after")
    def _lags_need_predecessors(self) -> Product:
        in_order = all(step.predecessors is None for step in self.routing)
        for k, step in enumerate(self.routing):
            first = not step.predecessors if not in_order else k == 0
            if first and step.counts_from_predecessors():
                raise ValueError(
                    f"routing step {step.id!r} sets {', '.join(step.counts_from_predecessors())} "
                    "but has no predecessor step to count from; set it on a later step"
                )
        return self

    def target_service_level(self) -> float:
        """The newsvendor critical ratio ``b / (b + h)`` unless a level is given, kept within
        ``[0.5, 0.99]``: free holding (``h = 0``) asks for the 99% quantile, not an unbounded
        one, and free backlog (``b = 0``) for the median, that is no safety stock."""
        if self.service_level is not None:
            return self.service_level
        total = self.backlog_cost + self.holding_cost
        ratio = self.backlog_cost / total if total > 0 else 0.5
        return min(MAX_SERVICE_LEVEL, max(0.5, ratio))
