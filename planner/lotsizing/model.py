"""The lot-sizing problem at the boundary: products, periods, capacities, demand.

Multi-product, multi-period capacitated lot sizing with setup times and costs (the CLSP
family, Trigeiro, Thomas & McClain 1989), over the machine groups a product's routing loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, ValidationError, model_validator

from planner.model.bom import Component, bill_issues, levels
from planner.model.errors import InputIssue, InvalidInputError, index_ids, issues_from_pydantic
from planner.model.factory import Frozen
from planner.model.products import BatchRules

FloatArray = npt.NDArray[np.float64]

DERIVED_MAGNITUDE = 1e15
"""Lot sizing works on loads the planner sums from the inputs; HiGHS takes numbers up to
1e20 as finite, so these may be far larger than an input."""


class _Derived(Frozen):
    max_magnitude = DERIVED_MAGNITUDE


class GroupLoad(_Derived):
    """What one unit of a product needs from a machine group: processing minutes per unit,
    and the setup minutes one batch takes on that group."""

    group: str = Field(min_length=1)
    minutes_per_unit: float = Field(gt=0)
    setup_minutes: float = Field(default=0.0, ge=0)


class LotProduct(BatchRules):
    """A product to plan: the machine groups it loads, with its costs and batch rules
    (:class:`~planner.model.products.BatchRules`; a shortage is backlogged or lost, see
    ``shortage``).

    Parameters
    ----------
    loads
        Machine groups its routing loads (one entry per group).
    components
        Other products it consumes per unit made (its bill of materials), each made at
        least ``lead_periods`` before the batch that consumes it.
    """

    id: str = Field(min_length=1)
    loads: tuple[GroupLoad, ...] = Field(min_length=1)
    components: tuple[Component, ...] = ()


class Period(_Derived):
    """A planning period (a shift, day or week) with the capacity of each machine group in
    minutes (available minutes times machines, from the calendars)."""

    id: str = Field(min_length=1)
    start: int = Field(ge=0, description="minutes from the horizon start")
    end: int = Field(gt=0)
    capacity: dict[str, float]

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Demand(_Derived):
    """Units of a product wanted by the end of a period."""

    product: str
    period: str
    quantity: float = Field(ge=0)
    firm: bool = False


class LotSizingProblem(_Derived):
    """A lot-sizing problem.

    Parameters
    ----------
    shortage
        ``"backlog"``: late demand carries over at ``backlog_cost`` per unit and period;
        ``"lost_sales"``: unmet demand is lost at ``backlog_cost`` per unit; ``"none"``: every
        demand must be met on time (the problem may then be infeasible, and the solver says
        which product and period cannot be met and what would fix it).
    safety_stock
        Target stock per product at the end of each period (a soft target: each unit below
        costs ``safety_stock_penalty``).
    overtime_cost
        Cost per minute of extra capacity; ``None`` forbids overtime.
    """

    products: tuple[LotProduct, ...] = Field(min_length=1)
    periods: tuple[Period, ...] = Field(min_length=1)
    demand: tuple[Demand, ...] = ()
    shortage: Literal["backlog", "lost_sales", "none"] = "backlog"
    safety_stock: dict[str, tuple[float, ...] | float] = Field(default_factory=dict)
    safety_stock_penalty: float = Field(default=2.0, ge=0)
    overtime_cost: float | None = Field(default=None, ge=0)
    end_backlog_cost_factor: float = Field(default=1.0, ge=0)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> LotSizingProblem:
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            raise InvalidInputError(issues_from_pydantic(error), "lot-sizing problem") from None

    def build(self) -> LotSizingData:
        """Validate cross-references and compile to arrays.

        Raises
        ------
        InvalidInputError
            Listing every problem found.
        """
        issues: list[InputIssue] = []
        products, repeated = index_ids((p.id for p in self.products), "products", "product")
        issues.extend(repeated)
        issues.extend(bill_issues(self.products, "products"))
        periods, repeated = index_ids((p.id for p in self.periods), "periods", "period")
        issues.extend(repeated)
        for k, p in enumerate(self.periods):
            if k and p.start < self.periods[k - 1].end:
                issues.append(
                    InputIssue(
                        f"periods[{k}].start", "periods must follow each other without overlap"
                    )
                )
        groups: list[str] = []
        for product in self.products:
            for load in product.loads:
                if load.group not in groups:
                    groups.append(load.group)
        for k, period in enumerate(self.periods):
            for g in groups:
                if g not in period.capacity:
                    issues.append(
                        InputIssue(f"periods[{k}].capacity", f"no capacity for machine group {g!r}")
                    )
            for g, minutes in period.capacity.items():
                if minutes < 0:
                    issues.append(
                        InputIssue(f"periods[{k}].capacity.{g}", "capacity must not be negative")
                    )
        n_p, n_t, n_g = len(self.products), len(self.periods), len(groups)
        demand = np.zeros((n_p, n_t))
        firm = np.zeros((n_p, n_t))
        for k, d in enumerate(self.demand):
            if d.product not in products:
                issues.append(InputIssue(f"demand[{k}].product", f"unknown product {d.product!r}"))
            if d.period not in periods:
                issues.append(InputIssue(f"demand[{k}].period", f"unknown period {d.period!r}"))
            if d.product in products and d.period in periods:
                demand[products[d.product], periods[d.period]] += d.quantity
                if d.firm:
                    firm[products[d.product], periods[d.period]] += d.quantity
        safety = np.zeros((n_p, n_t))
        for pid, target in self.safety_stock.items():
            if pid not in products:
                issues.append(InputIssue(f"safety_stock.{pid}", f"unknown product {pid!r}"))
                continue
            values = [target] * n_t if isinstance(target, int | float) else list(target)
            if len(values) != n_t:
                issues.append(
                    InputIssue(
                        f"safety_stock.{pid}",
                        f"needs {n_t} values (one per period), got {len(values)}",
                    )
                )
                continue
            if any(v < 0 for v in values):
                issues.append(InputIssue(f"safety_stock.{pid}", "targets must not be negative"))
            safety[products[pid]] = values
        if issues:
            raise InvalidInputError(issues, "lot-sizing problem")
        unit = np.zeros((n_p, n_g))
        setup = np.zeros((n_p, n_g))
        for i, product in enumerate(self.products):
            for load in product.loads:
                gi = groups.index(load.group)
                unit[i, gi] = load.minutes_per_unit
                setup[i, gi] = load.setup_minutes
        capacity = np.array(
            [[period.capacity.get(g, 0.0) for g in groups] for period in self.periods]
        )
        bill = tuple(
            (i, products[line.product], line.quantity, line.lead_periods)
            for i, product in enumerate(self.products)
            for line in product.components
        )
        return LotSizingData(
            problem=self,
            product_ids=tuple(products),
            period_ids=tuple(periods),
            groups=tuple(groups),
            demand=demand,
            firm=firm,
            safety=safety,
            capacity=capacity,
            unit_minutes=unit,
            setup_minutes=setup,
            bill=bill,
            level=tuple(levels(self.products)),
        )


@dataclass(frozen=True, eq=False)
class LotSizingData:
    """A validated lot-sizing problem in array form: ``[product, period]``, ``[period, group]``
    and ``[product, group]``."""

    problem: LotSizingProblem
    product_ids: tuple[str, ...]
    period_ids: tuple[str, ...]
    groups: tuple[str, ...]
    demand: FloatArray
    firm: FloatArray
    safety: FloatArray
    capacity: FloatArray
    unit_minutes: FloatArray
    setup_minutes: FloatArray
    bill: tuple[tuple[int, int, float, int], ...] = ()
    """The bill of materials: ``(product, component, units per unit, lead periods)``."""
    level: tuple[int, ...] = ()
    """Each product's level in the bill of materials (0: consumed by none)."""

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.product_ids), len(self.period_ids), len(self.groups)

    def product(self, i: int) -> LotProduct:
        return self.problem.products[i]

    def batch_bound(self, i: int, t: int) -> float:
        """An upper bound on the batch of product ``i`` in period ``t`` (big-M): max batch,
        what the tightest group can make, and what is still to be delivered."""
        return float(max(0.0, min(self._made_at_most(i, t), self.most_needed[i])))

    def _made_at_most(self, i: int, t: int) -> float:
        """The max batch, and without overtime what the tightest group can make in ``t``."""
        product = self.product(i)
        bounds = [np.inf]
        if product.max_batch is not None:
            bounds.append(product.max_batch)
        for g in range(len(self.groups)):
            if self.unit_minutes[i, g] > 0:
                spare = self.capacity[t, g] - self.setup_minutes[i, g]
                if self.problem.overtime_cost is None:
                    bounds.append(max(0.0, spare) / self.unit_minutes[i, g])
        return float(min(bounds))

    @cached_property
    def most_needed(self) -> tuple[float, ...]:
        """Per product, the most units the horizon can ask of it: its demand, its highest
        safety target, and what its consumers' largest batches would take."""
        n_p, n_t = len(self.product_ids), len(self.period_ids)
        most = [float(self.demand[i].sum() + self.safety[i].max(initial=0)) for i in range(n_p)]
        for c in sorted(range(n_p), key=lambda i: self.level[i] if self.level else 0):
            for i, component, units, _ in self.bill:  # consumers have lower levels: done
                if component == c:
                    batches = sum(min(self._made_at_most(i, t), most[i]) for t in range(n_t))
                    most[c] += units * batches
        return tuple(most)

    @cached_property
    def initial_stock(self) -> FloatArray:
        """Each product's stock at the start of the first period."""
        return np.array([p.initial_inventory for p in self.problem.products], dtype=np.float64)

    def dependent_demand(self, production: FloatArray) -> FloatArray:
        """Units of each component ``[product, period]`` that ``production`` consumes, each
        due ``lead_periods`` before the batch that consumes it (in the first period when that
        falls before the horizon)."""
        out = np.zeros_like(self.demand)
        for i, c, units, lead in self.bill:
            for t in range(len(self.period_ids)):
                out[c, max(0, t - lead)] += units * production[i, t]
        return out

    def with_capacity(self, capacity: FloatArray) -> LotSizingData:
        """The same problem with other capacities (for the scheduling feedback loop)."""
        from dataclasses import replace

        return replace(self, capacity=np.asarray(capacity, dtype=np.float64))


def stock_first(need: FloatArray, stock: float) -> tuple[FloatArray, FloatArray]:
    """``need`` per period after ``stock`` has served the earliest of it, and what it served
    in each period."""
    used = np.diff(np.minimum(np.cumsum(need), stock), prepend=0.0)
    return need - used, used
