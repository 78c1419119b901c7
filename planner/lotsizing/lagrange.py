"""A Lagrangian lower bound for lot sizing (Thizy & Van Wassenhove 1985; Trigeiro, Thomas &
McClain 1989): the capacity rows are priced by multipliers ``lambda[t, g] >= 0`` (at most the
overtime cost where overtime is allowed), which leaves one uncapacitated single-item problem
per product, solved exactly by dynamic programming; subgradient steps move the multipliers.

Each product's problem keeps its setup cost, holding, backlog (or lost sales, or neither) and
initial stock, and pays ``lambda`` for the minutes its units and setups take. It drops the
batch rules, the safety-stock penalty and the bill of materials (a component's dependent
demand): dropping constraints or non-negative costs only lowers the optimum, so every value
of the dual function is a valid lower bound on the lot-sizing MILP.

The dynamic program uses the structure of extreme solutions of uncapacitated flows (Zangwill
1969): demand splits into consecutive intervals, each served by one production period inside
it (earlier demand backlogged, later held), left unmet (backlog: only a last interval, carried
to the horizon), or without demand; with lost sales a production period serves the interval
that follows it, each demand in it served or lost, whichever costs less (a lost demand is at
its bound, so stock may pass it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from planner.jit import jit
from planner.lotsizing.formulation import coefficients
from planner.lotsizing.model import LotSizingData, stock_first

NONE, BACKLOG, LOST = 0, 1, 2
"""How a product's problem treats demand it does not meet."""
STALE_STEPS = 10
"""Steps without a better bound after which the step size halves (from the best multipliers)."""
MIN_THETA = 1e-6
"""The step-size factor at which the subgradient steps stop."""


@dataclass(frozen=True)
class LagrangeBound:
    """The best dual value found, and the products' production ``[product, period]`` at its
    multipliers (it may overload some capacity: a start to repair, not a plan)."""

    bound: float
    production: np.ndarray


def lagrangian_bound(
    data: LotSizingData, time_limit: float, upper: float | None = None, iterations: int = 300
) -> LagrangeBound | None:
    """The best dual value found within ``time_limit`` seconds and ``iterations`` subgradient
    steps (Polyak steps toward ``upper``, a plan's cost, when given); ``None`` when the
    problem has shortage ``"none"`` and a product's demand cannot be met at all."""
    c = coefficients(data)
    n_p, n_t, n_g = data.shape
    mode = BACKLOG if c.backlog else LOST if c.shortage_allowed else NONE
    net, stock_cost = _net_demand(data, c.holding)
    limit = np.full((n_t, n_g), np.inf if c.overtime is None else c.overtime)
    price = np.zeros((n_t, n_g))
    best, theta, stale = -np.inf, 2.0, 0
    best_made, best_price = np.zeros((n_p, n_t)), price

    deadline = time.perf_counter() + time_limit
    for _ in range(iterations):
        if time.perf_counter() > deadline:
            break
        unit = price @ data.unit_minutes.T  # [period, product]
        setup = price @ data.setup_minutes.T
        value, made, setups = _all_items(
            net, c.setup_cost, c.holding, c.shortage, unit.T.copy(), setup.T.copy(), mode
        )
        if not np.isfinite(value):
            return None
        value += stock_cost - float((price * data.capacity).sum())
        if best == -np.inf or value > best + 1e-9 * max(1.0, abs(best)):
            best, stale, best_made, best_price = value, 0, made, price
        else:
            stale += 1
            if stale >= STALE_STEPS:  # smaller steps, from the best multipliers so far
                theta, stale = theta / 2, 0
                price = best_price
                continue
        load = made.T @ data.unit_minutes + setups.T @ data.setup_minutes
        step = load - data.capacity
        step[(price <= 0) & (step < 0)] = 0.0
        norm = float((step**2).sum())
        if norm <= 1e-12 or theta < MIN_THETA:
            break
        target = upper if upper is not None and upper > best else best + 0.05 * abs(best) + 1.0
        price = np.clip(price + theta * max(target - value, 0.0) / norm * step, 0.0, limit)
    return LagrangeBound(float(best), best_made) if np.isfinite(best) else None


def _net_demand(data: LotSizingData, holding: np.ndarray) -> tuple[np.ndarray, float]:
    """Demand after the initial stock has served the earliest of it (the cheapest use of a
    stock that is there anyway), and what holding that stock costs."""
    net = np.empty_like(data.demand)
    cost = 0.0
    for i, stock in enumerate(data.initial_stock.tolist()):
        net[i], used = stock_first(data.demand[i], stock)
        held = np.concatenate([[0.0], np.cumsum(holding[i])])  # from the start to period t
        cost += float(used @ held[:-1]) + (stock - float(used.sum())) * float(held[-1])
    return net, cost


@jit
def _all_items(
    demand: np.ndarray,
    setup_cost: np.ndarray,
    holding: np.ndarray,
    shortage: np.ndarray,
    unit: np.ndarray,
    setup: np.ndarray,
    mode: int,
) -> tuple[float, np.ndarray, np.ndarray]:
    n_p, n_t = demand.shape
    made = np.zeros((n_p, n_t))
    setups = np.zeros((n_p, n_t))
    total = 0.0
    for i in range(n_p):
        total += _item(
            demand[i], setup_cost[i], holding[i], shortage[i], unit[i], setup[i], mode,
            made[i], setups[i],
        )  # fmt: skip
    return total, made, setups


@jit
def _item(
    d: np.ndarray,
    setup_cost: np.ndarray,
    holding: np.ndarray,
    shortage: np.ndarray,
    unit: np.ndarray,
    setup: np.ndarray,
    mode: int,
    made: np.ndarray,
    setups: np.ndarray,
) -> float:
    """One product's optimum (see the module docstring), its production and setups written
    into ``made`` and ``setups``; ``best[v]`` is the least cost of demands ``0..v-1``, and
    ``choice[v]``, ``start[v]`` how the last interval ``start[v]..v-1`` is served."""
    n = d.shape[0]
    late, held, total, held_d, late_d = _prefix_sums(d, holding, shortage)
    served = _served_or_lost(d, unit, held, shortage) if mode == LOST else np.zeros((1, 1))
    best = np.full(n + 1, np.inf)
    choice = np.full(n + 1, -3, dtype=np.int64)  # -1 no demand, -2 lost, else the period
    start = np.zeros(n + 1, dtype=np.int64)
    best[0] = 0.0
    for v in range(1, n + 1):
        if d[v - 1] <= 1e-12 and best[v - 1] < best[v]:
            best[v], choice[v], start[v] = best[v - 1], -1, v - 1
        lost = best[v - 1] + shortage[v - 1] * d[v - 1]
        if mode == LOST and lost < best[v]:
            best[v], choice[v], start[v] = lost, -2, v - 1
        for u in range(v):  # demands u..v-1 from one period s in [u, v-1]
            if best[u] == np.inf:
                continue
            last = v if mode == BACKLOG else u + 1
            for s in range(u, last):
                if mode == LOST:
                    cost = setup_cost[u] + setup[u] + served[u, v]
                else:
                    after, before = total[v] - total[s], total[s] - total[u]
                    cost = setup_cost[s] + setup[s] + unit[s] * (after + before)
                    cost += held_d[v] - held_d[s] - held[s] * after
                    cost += late_d[s] - late_d[u] - late[s] * before
                if best[u] + cost < best[v]:
                    best[v], choice[v], start[v] = best[u] + cost, s, u
    value, tail = float(best[n]), n
    if mode == BACKLOG:  # or leave the demand from u on unmet, carried to the horizon
        for u in range(n):
            unmet = float(best[u] + late_d[n] - late_d[u])
            if unmet < value:
                value, tail = unmet, u
    _trace(d, unit, held, shortage, mode, choice, start, tail, made, setups)
    return value


@jit
def _prefix_sums(
    d: np.ndarray, holding: np.ndarray, shortage: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``late[t]``: what a unit late from ``t`` to the horizon costs; ``held[t]``: what a unit
    in stock from the start to ``t`` costs; prefix sums of ``d``, ``held * d`` and ``late * d``
    (an interval served by one period is then priced in constant time)."""
    n = d.shape[0]
    late = np.zeros(n + 1)
    for t in range(n - 1, -1, -1):
        late[t] = late[t + 1] + shortage[t]
    held = np.zeros(n + 1)
    total = np.zeros(n + 1)
    held_d = np.zeros(n + 1)
    late_d = np.zeros(n + 1)
    for t in range(n):
        held[t + 1] = held[t] + holding[t]
        total[t + 1] = total[t] + d[t]
        held_d[t + 1] = held_d[t] + held[t] * d[t]
        late_d[t + 1] = late_d[t] + late[t] * d[t]
    return late, held, total, held_d, late_d


@jit
def _served_or_lost(
    d: np.ndarray, unit: np.ndarray, held: np.ndarray, shortage: np.ndarray
) -> np.ndarray:
    """Lost sales: ``[u, v]`` the cost of demands ``u..v-1`` from period ``u``, each one
    served or lost, whichever costs less."""
    n = d.shape[0]
    served = np.zeros((n + 1, n + 1))
    for u in range(n):
        for v in range(u + 1, n + 1):
            t = v - 1
            own = d[t] * (unit[u] + held[t] - held[u])
            served[u, v] = served[u, v - 1] + min(own, d[t] * shortage[t])
    return served


@jit
def _trace(
    d: np.ndarray,
    unit: np.ndarray,
    held: np.ndarray,
    shortage: np.ndarray,
    mode: int,
    choice: np.ndarray,
    start: np.ndarray,
    tail: int,
    made: np.ndarray,
    setups: np.ndarray,
) -> None:
    """Write the production and setups of the intervals that end at ``tail``."""
    v = tail
    while v > 0:
        period, first = int(choice[v]), int(start[v])
        if period >= 0:
            setups[period] = 1.0
            for t in range(first, v):  # with lost sales, what is not lost
                own = d[t] * (unit[period] + held[t] - held[period])
                if mode != LOST or own <= d[t] * shortage[t]:
                    made[period] += d[t]
        v = first
