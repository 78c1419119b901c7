"""The same lot-sizing MILP built directly in highspy from arrays, for large instances where
Pyomo's model-building time dominates."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import highspy
import numpy as np

from planner.lotsizing.formulation import (
    RawSolution,
    coefficients,
    dependent_terms,
    native_stdout_silenced,
    shortage_capped,
    shortage_caps,
)
from planner.lotsizing.lagrange import lagrangian_bound
from planner.lotsizing.model import LotSizingData
from planner.lotsizing.start import greedy_start, repaired_start

INF = highspy.kHighsInf
LAGRANGE_MIN_SETUPS = 10_000
"""Products times periods from which the Lagrangian bound runs before HiGHS (at 100 x 52
HiGHS proves its optimum within half a minute on its own)."""
LAGRANGE_SHARE = 0.25
"""Share of the time limit the Lagrangian bound may take."""


def quiet_highs() -> highspy.Highs:
    """A ``Highs`` instance without its start-up banner."""
    with native_stdout_silenced():
        return highspy.Highs()  # type: ignore[no-untyped-call]


def build(
    data: LotSizingData, demand: np.ndarray | None = None
) -> tuple[highspy.Highs, dict[str, np.ndarray]]:
    """Columns and rows of :mod:`planner.lotsizing.formulation`, passed to HiGHS at once;
    the balance rows meet ``demand`` (``[product, period]``; by default the problem's), while
    the batch bounds come from the problem's (see :mod:`planner.lotsizing.two_stage`)."""
    c = coefficients(data)
    n_p, n_t, n_g = data.shape
    block = n_p * n_t
    index = {
        name: np.arange(block).reshape(n_p, n_t) + k * block
        for k, name in enumerate(("x", "y", "inv", "short", "ss", "k"))
    }
    index["over"] = 6 * block + np.arange(n_t * n_g).reshape(n_t, n_g)
    n_cols = 6 * block + n_t * n_g
    cost = np.zeros(n_cols)
    lower = np.zeros(n_cols)
    upper = np.full(n_cols, INF)
    integrality = np.zeros(n_cols, dtype=np.int32)
    cost[index["y"].ravel()] = c.setup_cost.ravel()
    cost[index["inv"].ravel()] = c.holding.ravel()
    cost[index["short"].ravel()] = c.shortage.ravel()
    cost[index["ss"].ravel()] = c.penalty
    cost[index["over"].ravel()] = c.overtime or 0.0
    upper[index["y"].ravel()] = 1.0
    integrality[index["y"].ravel()] = 1
    integrality[index["k"].ravel()] = 1
    if not c.shortage_allowed:
        upper[index["short"].ravel()] = 0.0
    if c.overtime is None:
        upper[index["over"].ravel()] = 0.0
    no_multiple = c.multiple <= 0
    upper[index["k"][no_multiple].ravel()] = 0.0
    balance_demand = data.demand if demand is None else demand
    if c.shortage_allowed and shortage_capped(data, c.backlog):
        upper[index["short"].ravel()] = shortage_caps(data, balance_demand, c.backlog).ravel()

    rows_lo: list[np.ndarray] = []
    rows_hi: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    count, nnz = 0, 0

    def add_rows(
        row_cols: np.ndarray, row_vals: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> None:
        """Rows with the same number of non-zeros: ``row_cols[r, j]``, ``row_vals[r, j]``."""
        nonlocal count, nnz
        n, width = row_cols.shape
        starts.append(nnz + np.arange(n) * width)
        cols.append(row_cols.ravel())
        vals.append(row_vals.ravel())
        rows_lo.append(lo)
        rows_hi.append(hi)
        count += n
        nnz += n * width

    initial = data.initial_stock
    # balance: inv - short - x - inv[t-1] + short[t-1] = -d (+ I0 at t=0)   (backlog)
    #          inv - x - short - inv[t-1] = -d (+ I0)                        (lost sales)
    rhs = -balance_demand.copy()
    rhs[:, 0] += initial
    first = np.stack([index["inv"][:, 0], index["short"][:, 0], index["x"][:, 0]], axis=1)
    add_rows(first, np.tile([1.0, -1.0, -1.0], (n_p, 1)), rhs[:, 0], rhs[:, 0])
    if n_t > 1:
        later_cols = [
            index["inv"][:, 1:],
            index["short"][:, 1:],
            index["x"][:, 1:],
            index["inv"][:, :-1],
        ]
        later_vals = [1.0, -1.0, -1.0, -1.0]
        if c.backlog:
            later_cols.append(index["short"][:, :-1])
            later_vals.append(1.0)
        stacked = np.stack([col.ravel() for col in later_cols], axis=1)
        add_rows(
            stacked,
            np.tile(later_vals, (stacked.shape[0], 1)),
            rhs[:, 1:].ravel(),
            rhs[:, 1:].ravel(),
        )
    # capacity per (t, g): sum_i a x + s y - over <= C
    for g in range(n_g):
        users = np.flatnonzero(data.unit_minutes[:, g] > 0)
        if len(users) == 0:
            continue
        row_cols = np.concatenate(
            [index["x"][users].T, index["y"][users].T, index["over"][:, g : g + 1]], axis=1
        )
        row_vals = np.concatenate(
            [
                np.tile(data.unit_minutes[users, g], (n_t, 1)),
                np.tile(data.setup_minutes[users, g], (n_t, 1)),
                -np.ones((n_t, 1)),
            ],
            axis=1,
        )
        add_rows(row_cols, row_vals, np.full(n_t, -INF), data.capacity[:, g])
    # setup forcing: x - M y <= 0
    add_rows(
        np.stack([index["x"].ravel(), index["y"].ravel()], axis=1),
        np.stack([np.ones(block), -c.big_m.ravel()], axis=1),
        np.full(block, -INF),
        np.zeros(block),
    )
    # minimum batch: x - min y >= 0
    users = np.flatnonzero(c.min_batch > 0)
    if len(users):
        add_rows(
            np.stack([index["x"][users].ravel(), index["y"][users].ravel()], axis=1),
            np.stack([np.ones(len(users) * n_t), -np.repeat(c.min_batch[users], n_t)], axis=1),
            np.zeros(len(users) * n_t),
            np.full(len(users) * n_t, INF),
        )
    # batch multiple: x - m k = 0
    users = np.flatnonzero(c.multiple > 0)
    if len(users):
        add_rows(
            np.stack([index["x"][users].ravel(), index["k"][users].ravel()], axis=1),
            np.stack([np.ones(len(users) * n_t), -np.repeat(c.multiple[users], n_t)], axis=1),
            np.zeros(len(users) * n_t),
            np.zeros(len(users) * n_t),
        )
    # safety stock: inv + ss >= SS
    targets = np.argwhere(data.safety > 0)
    if len(targets):
        add_rows(
            np.stack(
                [
                    index["inv"][targets[:, 0], targets[:, 1]],
                    index["ss"][targets[:, 0], targets[:, 1]],
                ],
                axis=1,
            ),
            np.ones((len(targets), 2)),
            data.safety[targets[:, 0], targets[:, 1]],
            np.full(len(targets), INF),
        )

    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = count
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.concatenate(rows_lo)
    lp.row_upper_ = np.concatenate(rows_hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.append(np.concatenate(starts), nnz).astype(np.int32)
    lp.a_matrix_.index_ = np.concatenate(cols).astype(np.int32)
    lp.a_matrix_.value_ = np.concatenate(vals)
    lp.integrality_ = [highspy.HighsVarType(int(v)) for v in integrality]
    h = quiet_highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    index["balance"] = balance_rows(0, n_p, n_t)
    add_dependent_demand(h, data, index["balance"], index["x"])
    return h, index


def balance_rows(first: int, n_p: int, n_t: int) -> np.ndarray:
    """Row numbers ``[product, period]`` of balance rows added from row ``first``: every
    product's first period, then each product's later periods."""
    rows = np.empty((n_p, n_t), dtype=np.int64)
    rows[:, 0] = first + np.arange(n_p)
    if n_t > 1:
        rows[:, 1:] = first + n_p + np.arange(n_p * (n_t - 1)).reshape(n_p, n_t - 1)
    return rows


def add_dependent_demand(
    h: highspy.Highs, data: LotSizingData, balance: np.ndarray, production: np.ndarray
) -> None:
    """What consumers' batches take of each component, on the component's balance rows."""
    for c, period, i, t, units in dependent_terms(data):
        h.changeCoeff(int(balance[c, period]), int(production[i, t]), float(units))


def solve(data: LotSizingData, time_limit: float, mip_gap: float, seed: int = 0) -> RawSolution:
    """Build and solve from the greedy start. On large problems (at least
    :data:`LAGRANGE_MIN_SETUPS` products times periods) the Lagrangian bound of
    :mod:`planner.lotsizing.lagrange` runs first, for :data:`LAGRANGE_SHARE` of the time: its
    production, repaired, is a second start, and the bound reported is the better of its and
    HiGHS's."""
    started = time.perf_counter()
    h, index = build(data)
    build_s = time.perf_counter() - started
    c = coefficients(data)
    cost = np.asarray(h.getLp().col_cost_)
    greedy = greedy_start(data, c)
    candidates = [] if greedy is None else [_columns(h, index, greedy)]
    dual = None
    if data.shape[0] * data.shape[1] >= LAGRANGE_MIN_SETUPS:
        upper = float(cost @ candidates[0]) if candidates else None
        dual = lagrangian_bound(data, LAGRANGE_SHARE * time_limit, upper)
        repaired = None if dual is None else repaired_start(data, c, dual.production)
        if repaired is not None:
            candidates.append(_columns(h, index, repaired))
        time_limit = max(1.0, time_limit - (time.perf_counter() - started - build_s))
    if candidates:
        solution = highspy.HighsSolution()
        solution.col_value = list(min(candidates, key=lambda values: float(cost @ values)))
        solution.value_valid = True
        h.setSolution(solution)
    run = run_highs(h, time_limit, mip_gap, seed)
    if dual is not None and run.has_solution and (run.bound is None or dual.bound > run.bound):
        run = replace(run, bound=min(dual.bound, run.objective or dual.bound))

    def take(name: str) -> np.ndarray:
        return run.values[index[name]] if run.has_solution else np.zeros(index[name].shape)

    return raw_solution(run, build_s, take, take)


def _columns(
    h: highspy.Highs, index: dict[str, np.ndarray], start: dict[str, np.ndarray]
) -> np.ndarray:
    values = np.zeros(h.getNumCol())
    for name, array in start.items():
        values[index[name].ravel()] = array.ravel()
    return values


def raw_solution(
    run: HighsRun,
    build_s: float,
    decided: Callable[[str], np.ndarray],
    followed: Callable[[str], np.ndarray],
) -> RawSolution:
    """A run's plan: production, setups and overtime from ``decided`` (column values by
    variable name), stock, shortage and safety shortfall from ``followed``."""
    return RawSolution(
        termination=run.termination,
        has_solution=run.has_solution,
        objective=run.objective,
        bound=run.bound,
        build_s=build_s,
        solve_s=run.solve_s,
        production=decided("x"),
        setup=np.round(decided("y")),
        inventory=followed("inv"),
        shortage=followed("short"),
        safety_shortfall=followed("ss"),
        overtime=decided("over"),
    )


@dataclass(frozen=True)
class HighsRun:
    """How a HiGHS solve ended: why it stopped, whether it has a plan, the column values,
    objective and bound, and the solve time."""

    termination: str
    has_solution: bool
    values: np.ndarray
    objective: float | None
    bound: float | None
    solve_s: float


def run_highs(h: highspy.Highs, time_limit: float, mip_gap: float, seed: int) -> HighsRun:
    """Solve the model in ``h`` within ``time_limit`` seconds and ``mip_gap``."""
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("random_seed", int(seed))
    started = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - started
    info = h.getInfo()
    has = info.primal_solution_status == 2  # kSolutionStatusFeasible
    termination = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
        highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
    }.get(h.getModelStatus(), "unknown")
    bound = info.mip_dual_bound
    return HighsRun(
        termination=termination,
        has_solution=has,
        values=np.asarray(h.getSolution().col_value) if has else np.zeros(h.getNumCol()),
        objective=float(info.objective_function_value) if has else None,
        bound=float(bound) if np.isfinite(bound) else None,
        solve_s=solve_s,
    )
