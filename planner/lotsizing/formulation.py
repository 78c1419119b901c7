"""The lot-sizing MILP, independent of the modelling layer, and what a solve returns.

Variables per product ``i`` and period ``t``: production ``x``, setup ``y`` (binary),
inventory ``I``, shortage ``B`` (backlog carried over, or lost sales), safety-stock shortfall
``S`` and batch count ``k`` (integer, for batch multiples); per period and machine group:
overtime ``O``.

    balance     I[i,t] - B[i,t] = I[i,t-1] - B[i,t-1] + x[i,t] - d[i,t] - D[i,t]  (backlog)
                I[i,t]          = I[i,t-1] + x[i,t] - d[i,t] - D[i,t] + B[i,t]  (lost sales)
    components  D[c,t] = sum over consumers i of r[i,c] x[i,t+l[i,c]]  (a multi-level bill)
                B[c,t] <= d[c,1] + ... + d[c,t]  (backlog)
    lost sales  B[i,t] <= d[i,t]
    capacity    sum_i a[i,g] x[i,t] + s[i,g] y[i,t] <= C[t,g] + O[t,g]
    setup       x[i,t] <= M[i,t] y[i,t];   x[i,t] >= min_i y[i,t];   x[i,t] = m_i k[i,t]
    safety      I[i,t] + S[i,t] >= SS[i,t]
    minimise    sum setup_cost y + holding I + backlog B + penalty S + overtime O

A component's shortage is capped by its own (external) demand, so what its consumers take is
always made in time: a consumer's batch cannot start on components that do not exist.
Dependent demand due before the first period is due in it. The last period's backlog costs
``1 + end_backlog_cost_factor`` times as much: it is demand the plan leaves unmet at the
horizon.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from planner.lotsizing.model import FloatArray, LotSizingData


@dataclass(frozen=True)
class Coefficients:
    """Objective coefficients and bounds shared by both modelling layers."""

    setup_cost: FloatArray
    holding: FloatArray
    shortage: FloatArray
    penalty: float
    overtime: float | None
    big_m: FloatArray
    min_batch: FloatArray
    multiple: FloatArray
    backlog: bool
    shortage_allowed: bool


def coefficients(data: LotSizingData) -> Coefficients:
    problem = data.problem
    n_p, n_t, _ = data.shape
    products = problem.products
    shortage = np.array([[p.backlog_cost] * n_t for p in products], dtype=np.float64)
    backlog = problem.shortage == "backlog"
    if backlog and n_t:
        shortage[:, -1] *= 1 + problem.end_backlog_cost_factor
    return Coefficients(
        setup_cost=np.array([[p.setup_cost] * n_t for p in products], dtype=np.float64),
        holding=np.array([[p.holding_cost] * n_t for p in products], dtype=np.float64),
        shortage=shortage,
        penalty=problem.safety_stock_penalty,
        overtime=problem.overtime_cost,
        big_m=np.array([[data.batch_bound(i, t) for t in range(n_t)] for i in range(n_p)]),
        min_batch=np.array([p.min_batch for p in products], dtype=np.float64),
        multiple=np.array([p.batch_multiple or 0.0 for p in products], dtype=np.float64),
        backlog=backlog,
        shortage_allowed=problem.shortage != "none",
    )


def dependent_terms(data: LotSizingData) -> list[tuple[int, int, int, int, float]]:
    """The bill's terms of the balance rows: ``(component, period, consumer, its period,
    units)``, one per consumer batch column that draws on a component's balance."""
    n_t = data.shape[1]
    return [
        (c, max(0, t - lead), i, t, units) for i, c, units, lead in data.bill for t in range(n_t)
    ]


def shortage_caps(data: LotSizingData, demand: FloatArray, backlog: bool) -> FloatArray:
    """Upper bounds of the shortage ``[product, period]``: a lost sale is at most the period's
    demand (else a "lost" unit would be stock bought at the shortage cost); with backlog a
    component's shortage only ever leaves its own demand short (cumulative), others are
    unbounded."""
    if not backlog:
        return demand.copy()
    caps = np.full(demand.shape, np.inf)
    for c in {component for _, component, _, _ in data.bill}:
        caps[c] = np.cumsum(demand[c])
    return caps


def shortage_capped(data: LotSizingData, backlog: bool) -> bool:
    """Whether :func:`shortage_caps` bounds anything."""
    return not backlog or bool(data.bill)


@dataclass(frozen=True)
class RawSolution:
    """What a backend returns: status words, values, objective, bound and timings."""

    termination: str
    has_solution: bool
    objective: float | None
    bound: float | None
    build_s: float
    solve_s: float
    production: FloatArray
    setup: FloatArray
    inventory: FloatArray
    shortage: FloatArray
    safety_shortfall: FloatArray
    overtime: FloatArray


@contextmanager
def native_stdout_silenced() -> Iterator[None]:
    """Silence output written by native code to the process's stdout (HiGHS prints a banner
    from C++ when it starts, which would corrupt the CLI's JSON on stdout)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
