"""Lot sizing under demand uncertainty: a two-stage model over demand scenarios, on HiGHS.

Production, setups, batch counts and overtime are decided once (the first stage); stock,
shortage and safety-stock shortfall follow each demand scenario (the second stage). The model
minimises setup and overtime cost plus the probability-weighted cost of each scenario's stock
and shortage, so it buys stock where a shortage is likely and dear, instead of a safety
stock set apart from the costs. With one scenario it is the deterministic model.

The model is the deterministic one of :mod:`planner.lotsizing.highs_model`, built for the
first scenario, with each further scenario's stock, shortage and balance rows added; batch
bounds use the largest demand of any scenario, so no scenario is cut off. It is built in
highspy only (not in Pyomo).

Scenarios come from a forecast's quantiles (:func:`sample_scenarios`): each product and
period reads its demand off the quantile curve (linear between the forecast's levels, flat
beyond them) at levels drawn as a Latin hypercube, one level from each of ``count`` equal
strata in a random order per product and period. So a few scenarios already span each
demand's distribution (clustering many draws into a few means, tried first, shrank the tails:
the plans held too little stock). The count is a setting, capped so the model stays small.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import highspy
import numpy as np

from planner.lotsizing.formulation import (
    RawSolution,
    coefficients,
    shortage_capped,
    shortage_caps,
)
from planner.lotsizing.highs_model import (
    INF,
    add_dependent_demand,
    balance_rows,
    build,
    raw_solution,
    run_highs,
)
from planner.lotsizing.model import LotSizingData

MAX_SECOND_STAGE = 200_000
"""Most products x periods x scenarios a two-stage model gets: fewer scenarios beyond it."""


@dataclass(frozen=True)
class DemandScenarios:
    """Demand ``[scenario, product, period]`` and the probability of each scenario."""

    demand: np.ndarray
    weight: np.ndarray

    def __post_init__(self) -> None:
        if self.demand.ndim != 3 or len(self.weight) != self.demand.shape[0]:
            raise ValueError("demand must be [scenario, product, period], one weight each")
        if (self.demand < 0).any() or abs(float(self.weight.sum()) - 1.0) > 1e-6:
            raise ValueError("demand must be >= 0 and the weights must sum to 1")


def sample_scenarios(
    levels: np.ndarray, quantiles: np.ndarray, count: int, seed: int = 0
) -> DemandScenarios:
    """``count`` equally likely scenarios from quantile forecasts: ``quantiles[product,
    period, k]`` is the forecast at level ``levels[k]`` (increasing). One scenario is the
    median; more are a Latin hypercube, with at most :data:`MAX_SECOND_STAGE` stock and
    shortage columns in the model."""
    n_p, n_t, _ = quantiles.shape
    count = max(1, min(count, MAX_SECOND_STAGE // max(1, n_p * n_t)))
    if count == 1:
        u = np.full((1, n_p, n_t), 0.5)
    else:
        rng = np.random.default_rng(seed)
        strata = (np.arange(count)[:, None, None] + rng.random((count, n_p, n_t))) / count
        u = np.take_along_axis(strata, rng.random((count, n_p, n_t)).argsort(axis=0), axis=0)
    sampled = np.empty_like(u)
    for i in range(n_p):
        for t in range(n_t):
            curve = np.maximum.accumulate(quantiles[i, t])
            sampled[:, i, t] = np.maximum(np.interp(u[:, i, t], levels, curve), 0.0)
    return DemandScenarios(sampled, np.full(count, 1.0 / count))


def solve_two_stage(
    data: LotSizingData,
    scenarios: DemandScenarios,
    time_limit: float,
    mip_gap: float,
    seed: int = 0,
) -> RawSolution:
    """The two-stage plan: first-stage production, setups and overtime; stock, shortage and
    safety shortfall as their expectation over the scenarios."""
    started = time.perf_counter()
    widest = replace(data, demand=scenarios.demand.max(axis=0))
    h, index = build(widest, demand=scenarios.demand[0])
    second = [{name: index[name] for name in ("inv", "short", "ss")}]
    c = coefficients(data)
    for name, cost in (("inv", c.holding), ("short", c.shortage), ("ss", c.penalty)):
        _scale_costs(h, index[name], cost, scenarios.weight[0])
    for s in range(1, len(scenarios.weight)):
        second.append(_add_scenario(h, data, index, scenarios.demand[s], scenarios.weight[s]))
    build_s = time.perf_counter() - started
    run = run_highs(h, time_limit, mip_gap, seed)

    def first_stage(name: str) -> np.ndarray:
        return run.values[index[name]] if run.has_solution else np.zeros(index[name].shape)

    def expected(name: str) -> np.ndarray:
        out = np.zeros(index[name].shape)
        if run.has_solution:
            for weight, columns in zip(scenarios.weight, second, strict=True):
                out += weight * run.values[columns[name]]
        return out

    return raw_solution(run, build_s, first_stage, expected)


def _scale_costs(h: highspy.Highs, columns: np.ndarray, cost: object, weight: float) -> None:
    values = np.broadcast_to(np.asarray(cost, dtype=np.float64), columns.shape) * weight
    h.changeColsCost(columns.size, columns.ravel().astype(np.int32), values.ravel())


def _add_scenario(
    h: highspy.Highs,
    data: LotSizingData,
    index: dict[str, np.ndarray],
    demand: np.ndarray,
    weight: float,
) -> dict[str, np.ndarray]:
    """Stock, shortage and safety-shortfall columns of one more scenario, with its balance
    and safety rows on the shared production columns."""
    c = coefficients(data)
    n_p, n_t, _ = data.shape
    block = n_p * n_t
    first = h.getNumCol()
    cols = {
        name: first + k * block + np.arange(block).reshape(n_p, n_t)
        for k, name in enumerate(("inv", "short", "ss"))
    }
    costs = np.concatenate(
        [
            (c.holding * weight).ravel(),
            (c.shortage * weight).ravel(),
            np.full(block, c.penalty * weight),
        ]
    )
    upper = np.full(3 * block, INF)
    if not c.shortage_allowed:
        upper[block : 2 * block] = 0.0
    elif shortage_capped(data, c.backlog):
        upper[block : 2 * block] = shortage_caps(data, demand, c.backlog).ravel()
    h.addVars(3 * block, np.zeros(3 * block), upper)
    h.changeColsCost(3 * block, np.arange(first, first + 3 * block, dtype=np.int32), costs)
    initial = data.initial_stock
    rhs = -demand.copy()
    rhs[:, 0] += initial
    # balance: inv - short - x - inv[t-1] (+ short[t-1] with backlog) = rhs
    later = [cols["inv"][:, 1:], cols["short"][:, 1:], index["x"][:, 1:], cols["inv"][:, :-1]]
    signs = [1.0, -1.0, -1.0, -1.0]
    if c.backlog:
        later.append(cols["short"][:, :-1])
        signs.append(1.0)
    first_rows = np.stack([cols["inv"][:, 0], cols["short"][:, 0], index["x"][:, 0]], axis=1)
    balance = balance_rows(h.getNumRow(), n_p, n_t)
    _add_rows(h, first_rows, [1.0, -1.0, -1.0], rhs[:, 0], rhs[:, 0])
    if n_t > 1:
        stacked = np.stack([col.ravel() for col in later], axis=1)
        _add_rows(h, stacked, signs, rhs[:, 1:].ravel(), rhs[:, 1:].ravel())
    add_dependent_demand(h, data, balance, index["x"])
    targets = np.argwhere(data.safety > 0)  # safety: inv + ss >= SS
    if len(targets):
        pairs = np.stack(
            [cols[name][targets[:, 0], targets[:, 1]] for name in ("inv", "ss")], axis=1
        )
        safety = data.safety[targets[:, 0], targets[:, 1]]
        _add_rows(h, pairs, [1.0, 1.0], safety, np.full(len(targets), INF))
    return cols


def _add_rows(
    h: highspy.Highs, columns: np.ndarray, signs: list[float], lo: np.ndarray, hi: np.ndarray
) -> None:
    """Rows of equal width: row ``r`` has ``signs[k]`` on column ``columns[r, k]``."""
    n, width = columns.shape
    h.addRows(
        n,
        np.asarray(lo, dtype=np.float64),
        np.asarray(hi, dtype=np.float64),
        n * width,
        (np.arange(n) * width).astype(np.int32),
        columns.ravel().astype(np.int32),
        np.tile(np.asarray(signs, dtype=np.float64), n),
    )
