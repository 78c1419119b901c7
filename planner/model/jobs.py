"""Jobs and their routings: operations, eligible machines and durations."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.model.factory import Frozen, NonNegativeFloat, check_lag_order
from planner.model.resources import ResourceNeed
from planner.model.time import TimePoint


class MachineOption(Frozen):
    """One machine an operation may run on, with its processing time there in minutes."""

    machine: str = Field(min_length=1)
    duration: int = Field(ge=0)


class Pinned(Frozen):
    """A fixed placement: run on ``machine`` from ``start`` (rescheduling keeps it there)."""

    machine: str = Field(min_length=1)
    start: TimePoint


class ComponentJob(Frozen):
    """A job that makes components an operation consumes.

    Parameters
    ----------
    job
        The id of the job that makes them; the operation starts after all of its operations
        have ended.
    quantity
        Units of the component taken from that job (for pegging: which orders the job serves).
    transfer_minutes
        Minutes from that job's end to the operation's start at least (moving the parts to the
        line), in calendar time.
    """

    job: str = Field(min_length=1)
    quantity: NonNegativeFloat = 0.0
    transfer_minutes: int = Field(default=0, ge=0)


class Operation(Frozen):
    """A step of a job's routing.

    Parameters
    ----------
    id
        Unique within the job.
    machines
        The eligible machines, each with its duration.
    predecessors
        Ids of operations of the same job that must finish before this one starts. If no
        operation of a job names predecessors, the operations run in the listed order.
    setup_family
        Operations of one family need no changeover between them.
    pinned
        Keep the operation at this machine and start (already started, or frozen).
    previous
        Where the previous plan had it; moving it costs ``objective.stability`` (re-planning
        fills it in).
    not_before
        The operation may not start earlier (rescheduling sets it to now for work that has
        not started); the job's release applies as well.
    min_lag_minutes
        Minutes between the end of each predecessor and this operation's start at least
        (curing, cooling, transport), in calendar time or working time (``lag_time``).
    lag_time
        ``"calendar"``: every minute counts (curing goes on overnight); ``"working"``: only the
        minutes the plant works count (when some machine is available; see
        :mod:`planner.model.working_time`).
    max_lag_minutes
        Minutes between the end of each predecessor and this operation's start at most (coat
        within 8 hours of welding).
    transfer_share
        Overlapping batches: the operation may start once this share of each predecessor's
        work is done (its start at least that share of the predecessor's duration after the
        predecessor's start), and ends at least this share of its own duration after the
        predecessor's end (the last units still have to pass). ``None``: after the whole
        predecessor. The minimum lag comes on top of both.
    needs
        Units of resource pools (operators, tools) it holds while it runs, or during its
        changeover only.
    components
        Jobs of other products whose output it consumes (a bill of materials): it starts
        after each has ended, plus its transfer time.
    """

    id: str = Field(min_length=1)
    machines: tuple[MachineOption, ...]
    predecessors: tuple[str, ...] | None = None
    setup_family: str = "default"
    pinned: Pinned | None = None
    previous: Pinned | None = None
    not_before: TimePoint | None = None
    min_lag_minutes: int = Field(default=0, ge=0)
    lag_time: Literal["calendar", "working"] = "calendar"
    max_lag_minutes: int | None = Field(default=None, ge=0)
    transfer_share: float | None = Field(default=None, gt=0, le=1)
    needs: tuple[ResourceNeed, ...] = ()
    components: tuple[ComponentJob, ...] = ()

    @model_validator(mode="after")
    def _lags(self) -> Operation:
        check_lag_order(self.min_lag_minutes, self.max_lag_minutes)
        return self


class Job(Frozen):
    """A job (a batch or an order) made by running its operations.

    Parameters
    ----------
    id
        Unique name.
    product
        The product it makes (for reports).
    quantity
        Units made (for reports; durations are already per job).
    release
        Earliest start of any of its operations.
    due
        Due time; finishing later counts as tardiness, weighted by ``weight``.
    weight
        Tardiness weight (e.g. priority or cost per minute late).
    period
        For a lot from lot sizing: the planning period it was sized for.
    lot
        For a lot split into sub-lots (transfer batches): which one, from 1.
    orders
        The ids of the firm orders whose due time and priority the job carries.
    """

    id: str = Field(min_length=1)
    product: str | None = None
    period: str | None = None
    lot: int | None = Field(default=None, ge=1)
    orders: tuple[str, ...] = ()
    quantity: NonNegativeFloat = 1.0
    release: TimePoint = 0
    due: TimePoint | None = None
    weight: NonNegativeFloat = 1.0
    operations: tuple[Operation, ...] = Field(min_length=1)
