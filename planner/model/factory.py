"""The factory in the planner's language: machines, their calendars and their setups."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from planner.model.time import TimePoint

NonNegativeFloat = Annotated[float, Field(ge=0)]


MAX_MAGNITUDE = 10**9
"""No number in the input may be larger than this in size (minutes, units, costs, prices,
weights): beyond it a value is a typo or an overflow, and the solvers would fail on it (the
sum of two such values still fits a 32-bit integer). Seeds have their own range."""


class Frozen(BaseModel):
    """Base of every boundary model: immutable, unknown fields are an error (typos surface),
    numbers are finite and at most :data:`MAX_MAGNITUDE` in size, and ``true``/``false`` is
    not read as a number."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra=lambda schema, model: _state_limits(schema, model),
    )
    max_magnitude: ClassVar[float] = MAX_MAGNITUDE
    """The largest number this model accepts (models the planner derives, such as lot
    sizing's aggregate loads, allow sums of inputs)."""

    @field_validator("*", mode="wrap")
    @classmethod
    def _numbers_are_numbers(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        """One pass per field: ``true``/``false`` is not a number, and numbers (also inside
        tuples and mappings) lie within :attr:`max_magnitude` (seeds have their own range)."""
        if value is True or value is False:
            annotation = str(cls.model_fields[str(info.field_name)].annotation)
            if "bool" not in annotation and ("int" in annotation or "float" in annotation):
                raise ValueError(f"expected a number, got {str(value).lower()}")
        result = handler(value)
        if info.field_name != "seed":
            _check_magnitude(result, cls.max_magnitude)
        return result


def _state_limits(schema: dict[str, Any], model: Any) -> None:
    """Write the magnitude limit into the JSON Schema, so that what the validator enforces is
    what the schema says: every number (also in arrays and mappings) gets ``minimum`` and
    ``maximum`` unless a tighter bound of its own is already there. Seeds keep their range."""
    limit = getattr(model, "max_magnitude", MAX_MAGNITUDE)
    for name, prop in schema.get("properties", {}).items():
        if name != "seed":
            _bound_numbers(prop, limit)


def _bound_numbers(node: dict[str, Any], limit: float) -> None:
    if node.get("type") in ("number", "integer"):
        bound = int(limit) if float(limit).is_integer() else limit
        if "maximum" not in node and "exclusiveMaximum" not in node:
            node["maximum"] = bound
        if "minimum" not in node and "exclusiveMinimum" not in node:
            node["minimum"] = -bound
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for option in node.get(key, []):
            _bound_numbers(option, limit)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _bound_numbers(node[key], limit)


def _check_magnitude(value: Any, limit: float) -> None:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return
    if kind is int or kind is float:
        if abs(value) > limit:
            raise ValueError(f"{value:g} is out of range: numbers must lie within ±{limit:,.0f}")
    elif isinstance(value, tuple | list):
        for item in value:
            if isinstance(item, int | float) and not isinstance(item, bool):
                _check_magnitude(item, limit)
    elif isinstance(value, dict):
        for item in value.values():
            if isinstance(item, int | float) and not isinstance(item, bool):
                _check_magnitude(item, limit)


def check_lag_order(min_lag: int, max_lag: int | None) -> None:
    """A routing step's maximum lag may not be below its minimum lag."""
    if max_lag is not None and max_lag < min_lag:
        raise ValueError(
            f"max_lag_minutes ({max_lag}) is below min_lag_minutes ({min_lag}); no start "
            "would be allowed"
        )


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
    group: str = Field(default="default", min_length=1)
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
