"""A feasible starting plan for the MILP, so that even a large instance stopped at its time
limit returns a sensible plan.

1. Batching per product (Silver & Meal 1973): a batch covers the following periods' net
   demand (and safety targets) for as long as the setup and holding cost per period covered
   keeps falling.
2. Capacity repair, per machine group: a period over capacity first moves batches (or parts
   of them) to earlier periods with spare capacity, cheapest holding first; what still does not
   fit moves to later periods (a backlog), most expensive shortage kept.
3. Batch rules (minimum, maximum, multiples) are applied when quantities are set.

With a bill of materials the products are planned level by level, consumers first: a
component's needs include what its consumers' batches take, and only the level being planned
moves. A start that leaves a component short of its consumers is no start (``None``).
"""

from __future__ import annotations

import math

import numpy as np

from planner.lotsizing.formulation import Coefficients, shortage_caps
from planner.lotsizing.model import LotSizingData, stock_first


def _silver_meal(need: np.ndarray, setup: float, holding: float) -> np.ndarray:
    """Batch sizes per period for net requirements ``need`` (uncapacitated)."""
    n = len(need)
    out = np.zeros(n)
    t = 0
    while t < n:
        if need[t] <= 1e-9:
            t += 1
            continue
        best, cost, u = setup, setup, t
        for v in range(t + 1, n):
            cost += holding * (v - t) * need[v]
            if cost / (v - t + 1) > best / (u - t + 1):
                break
            best, u = cost, v
        out[t] = need[t : u + 1].sum()
        t = u + 1
    return out


def _load(data: LotSizingData, x: np.ndarray) -> np.ndarray:
    """Minutes used ``[period, group]`` by production ``x`` (setups included)."""
    return x.T @ data.unit_minutes + (x > 1e-9).T @ data.setup_minutes


def greedy_start(data: LotSizingData, c: Coefficients) -> dict[str, np.ndarray] | None:
    """Values of ``x, y, inv, short, ss, k`` (``[product, period]``) and ``over`` (``[period,
    group]``), or ``None`` when the repair leaves a shortage the model does not allow.

    With a bill of materials, when the batches that Silver-Meal merges leave no room for
    their components, lot for lot (each period's needs in that period) is tried next."""
    start = _levelled_start(data, c, merge=True)
    if start is None and data.bill:
        start = _levelled_start(data, c, merge=False)
    return start


def repaired_start(
    data: LotSizingData, c: Coefficients, production: np.ndarray
) -> dict[str, np.ndarray] | None:
    """A start from any production plan ``[product, period]`` (a Lagrangian subproblem's,
    which may overload capacity): repaired for capacity and batch rules like the greedy
    start, then completed; ``None`` as :func:`greedy_start`."""
    n_p = data.shape[0]
    movable = np.ones(n_p, dtype=bool)
    x = _repair(data, c, production.copy(), movable)
    x = _batch_rules(data, c, x, movable)
    return _complete(data, c, x)


def _levelled_start(
    data: LotSizingData, c: Coefficients, merge: bool
) -> dict[str, np.ndarray] | None:
    n_p, n_t, _ = data.shape
    level = np.array(data.level or [0] * n_p)
    x = np.zeros((n_p, n_t))
    for depth in sorted(set(level.tolist())):
        movable = level == depth
        wanted = data.demand + data.dependent_demand(x)
        for i in np.flatnonzero(movable).tolist():
            need = wanted[i].copy()
            need[np.argmax(data.safety[i] > 0)] += data.safety[i].max(initial=0)
            need, _ = stock_first(need, float(data.initial_stock[i]))
            if merge:
                x[i] = _silver_meal(need, c.setup_cost[i, 0], max(c.holding[i, 0], 1e-9))
            else:
                x[i] = np.maximum(need, 0.0)
        x = _repair(data, c, x, movable)
        x = _batch_rules(data, c, x, movable)
    return _complete(data, c, x)


def _repair(data: LotSizingData, c: Coefficients, x: np.ndarray, movable: np.ndarray) -> np.ndarray:
    n_t = data.shape[1]
    for t in range(n_t - 1, -1, -1):  # backward: produce earlier where there is room
        _move(data, c, x, t, movable, earlier=True)
    for t in range(n_t):  # forward: what still does not fit goes later
        _move(data, c, x, t, movable, earlier=False)
    return x


def _move(
    data: LotSizingData,
    c: Coefficients,
    x: np.ndarray,
    t: int,
    movable: np.ndarray,
    earlier: bool,
) -> None:
    n_p, n_t, _ = data.shape
    for _ in range(4 * n_p):
        over = _load(data, x)[t] - data.capacity[t]
        g = int(np.argmax(over))
        if over[g] <= 1e-6:
            return
        users = [
            i for i in range(n_p) if movable[i] and x[i, t] > 1e-9 and data.unit_minutes[i, g] > 0
        ]
        if not users:
            return
        key = (lambda i: c.holding[i, t]) if earlier else (lambda i: -c.shortage[i, t])
        i = min(users, key=key)
        targets = range(t - 1, -1, -1) if earlier else range(t + 1, n_t)
        moved = False
        for s in targets:
            spare = (
                data.capacity[s, g]
                - _load(data, x)[s, g]
                - (0 if x[i, s] > 1e-9 else data.setup_minutes[i, g])
            )
            if spare <= 1e-6:
                continue
            amount = min(
                x[i, t], over[g] / data.unit_minutes[i, g], spare / data.unit_minutes[i, g]
            )
            if amount >= x[i, t] - 1e-9:
                amount = x[i, t]  # the whole batch: its setup goes too
            x[i, t] -= amount
            x[i, s] += amount
            moved = True
            break
        if not moved:
            if earlier:
                return
            x[i, t] = max(0.0, x[i, t] - over[g] / data.unit_minutes[i, g])  # cut: a shortage


def _batch_rules(
    data: LotSizingData, c: Coefficients, x: np.ndarray, movable: np.ndarray
) -> np.ndarray:
    n_p, n_t, _ = data.shape
    for i in np.flatnonzero(movable).tolist():
        for t in range(n_t):
            q = x[i, t]
            if q <= 1e-9:
                x[i, t] = 0.0
                continue
            cap = c.big_m[i, t]
            if c.multiple[i] > 0:
                step = c.multiple[i]
                up, down = math.ceil(q / step) * step, math.floor(q / step) * step
                q = up if up <= cap else down
            q = min(q, cap)
            if q < c.min_batch[i] - 1e-9:
                q = c.min_batch[i] if c.min_batch[i] <= cap else 0.0
            x[i, t] = q
    # batch rules may have pushed a period over capacity: trim the cheapest shortages
    for t in range(n_t):
        over = _load(data, x)[t] - data.capacity[t]
        while over.max() > 1e-6:
            g = int(np.argmax(over))
            users = [
                i
                for i in range(n_p)
                if movable[i] and x[i, t] > 1e-9 and data.unit_minutes[i, g] > 0
            ]
            if not users:
                break
            i = min(users, key=lambda i: c.shortage[i, t])
            x[i, t] = 0.0
            over = _load(data, x)[t] - data.capacity[t]
    return x


def _complete(data: LotSizingData, c: Coefficients, x: np.ndarray) -> dict[str, np.ndarray] | None:
    n_p, n_t, n_g = data.shape
    inv, short, ss, k = (np.zeros((n_p, n_t)) for _ in range(4))
    stock, backlog = data.initial_stock.copy(), np.zeros(n_p)
    demand = data.demand + data.dependent_demand(x)
    for t in range(n_t):
        net = stock - backlog + x[:, t] - demand[:, t]
        if c.backlog:
            stock, backlog = np.maximum(net, 0), np.maximum(-net, 0)
            short[:, t] = backlog
        else:
            stock = np.maximum(net, 0)
            short[:, t] = np.maximum(-net, 0)
        inv[:, t] = stock
        ss[:, t] = np.maximum(0, data.safety[:, t] - stock)
    if not c.shortage_allowed and short.sum() > 1e-9:
        return None
    if (short > shortage_caps(data, data.demand, c.backlog) + 1e-6).any():
        return None  # a component short of what its consumers take
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(
            c.multiple[:, None] > 0,
            np.round(x / np.where(c.multiple[:, None] > 0, c.multiple[:, None], 1)),
            0.0,
        )
    y = (x > 1e-9).astype(float)
    return {
        "x": x,
        "y": y,
        "inv": inv,
        "short": short,
        "ss": ss,
        "k": k,
        "over": np.zeros((n_t, n_g)),
    }
