"""Playing production decisions against the demand that really came.

Each month, what was made is added to the stock and what the month's batches consume of
their components (a bill of materials) is taken from it; backlogged demand is served first,
then the month's demand, and what is left is held (or, with lost sales, what cannot be
served is lost). The month costs its lots' setups, the stock held at its end, the demand
short at its end (backlog: every month it waits, the last month of the window
``1 + end_backlog_cost_factor`` times, as lot sizing prices it) and its overtime. Lot
sizing's own objective over the same months is exactly this cost when it knows the demand,
which is what makes perfect foresight a bound on every forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.lotsizing import LotSizingProblem

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Month:
    """One month of a played plan, summed over products."""

    setup: float
    holding: float
    shortage: float
    overtime: float
    demand: float
    on_time: float
    """Units of the month's demand served within the month."""
    lines: int
    """Products with demand in the month."""
    lines_on_time: int
    """Of those, the ones whose whole demand was served within the month."""

    @property
    def cost(self) -> float:
        return self.setup + self.holding + self.shortage + self.overtime


def play_month(
    problem: LotSizingProblem,
    stock: np.ndarray,
    backlog: np.ndarray,
    made: np.ndarray,
    setups: np.ndarray,
    overtime_min: float,
    demand: np.ndarray,
    last: bool,
) -> tuple[Month, np.ndarray, np.ndarray]:
    """One month of ``made`` units (with ``setups`` lots) against ``demand``, from ``stock``
    and ``backlog``; returns the month and the stock and backlog at its end."""
    products = problem.products
    holding = np.array([p.holding_cost for p in products])
    unit_shortage = np.array([p.backlog_cost for p in products])
    if last and problem.shortage == "backlog":
        unit_shortage = unit_shortage * (1 + problem.end_backlog_cost_factor)
    available = stock + made - consumed_by(problem, made) - backlog
    on_time = np.clip(available, 0.0, demand)
    net = available - demand
    end_stock = np.maximum(net, 0.0)
    short = np.maximum(-net, 0.0)
    end_backlog = short if problem.shortage == "backlog" else np.zeros_like(short)
    wanted = demand > TOLERANCE
    month = Month(
        setup=float(np.array([p.setup_cost for p in products]) @ setups),
        holding=float(holding @ end_stock),
        shortage=float(unit_shortage @ short),
        overtime=float((problem.overtime_cost or 0.0) * overtime_min),
        demand=float(demand.sum()),
        on_time=float(on_time.sum()),
        lines=int(wanted.sum()),
        lines_on_time=int((wanted & (on_time >= demand - TOLERANCE)).sum()),
    )
    return month, end_stock, end_backlog


def consumed_by(problem: LotSizingProblem, made: np.ndarray) -> np.ndarray:
    """Units of each product that the month's batches of its consumers take (a bill of
    materials; in the month they are made)."""
    index = {p.id: i for i, p in enumerate(problem.products)}
    out = np.zeros_like(made, dtype=float)
    for i, product in enumerate(problem.products):
        for line in product.components:
            out[index[line.product]] += line.quantity * made[i]
    return out
