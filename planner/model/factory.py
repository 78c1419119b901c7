"""The factory in the planner's language: machines, their calendars and their setups."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner.model.time import TimePoint

NonNegativeFloat = Annotated[float, Field(ge=0)]


class Frozen(BaseModel):
    """Base of every boundary model: immutable, and unknown fields are an error (typos surface)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Unavailability(Frozen):
    """A window in which a machine cannot work: a break between shifts, maintenance, a breakdown.

    Setups and operations must not overlap it; an operation is never split across it.
    """

    start: TimePoint
    end: TimePoint
    reason: str = "unavailable"


class Machine(Frozen):
    """A resource that processes one operation at a time.

    Parameters
    ----------
    id
        Unique name, e.g. ``"CNC-2"``.
    group
        The machine group (work centre) it belongs to; lot sizing plans capacity per group.
    power_kw
        Electrical power drawn while processing.
    idle_power_kw
        Power drawn while switched on but not processing (setups count as idle).
    unavailable
        Windows in which the machine cannot work (shift gaps, maintenance).
    initial_family
        Setup family the machine is set up for at the horizon start; ``None`` means the first
        operation needs no setup.
    """

    id: str = Field(min_length=1)
    group: str = "default"
    power_kw: NonNegativeFloat = 0.0
    idle_power_kw: NonNegativeFloat = 0.0
    unavailable: tuple[Unavailability, ...] = ()
    initial_family: str | None = None


WILDCARD = "*"


class SetupRule(Frozen):
    """Setup (changeover) time when a machine switches from one setup family to another.

    ``"*"`` in ``from_family`` or ``to_family`` matches any family; a wildcard rule only applies
    to a change of family, never to two operations of the same family. The most specific rule
    wins: exact pair, then ``(from, *)``, then ``(*, to)``, then ``(*, *)``; a rule naming
    machines beats one for all machines.
    """

    from_family: str = Field(min_length=1)
    to_family: str = Field(min_length=1)
    minutes: int = Field(ge=0)
    machines: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _machines_not_empty(self) -> SetupRule:
        if self.machines is not None and not self.machines:
            raise ValueError("machines is empty; leave it out to apply the rule to every machine")
        return self
