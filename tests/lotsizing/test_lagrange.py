"""The Lagrangian lower bound: exact where capacity does not bind (the single-item dynamic
program against the MILP), never above the optimum on random capacitated problems with every
option the model has, and tight on a Trigeiro-style instance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from planner.lotsizing import solve_lots
from planner.lotsizing.lagrange import lagrangian_bound
from tests.lotsizing.test_solve import problem, product


def _random(seed: int, capacity: float, rules: bool) -> Any:
    rng = np.random.default_rng(seed)
    shortage = ["backlog", "lost_sales", "none"][seed % 3]
    products = []
    for k, name in enumerate("ABC"[: 2 + seed % 2]):
        extra: dict[str, Any] = {}
        if rules and rng.random() < 0.5:
            extra["min_batch"] = float(rng.integers(5, 30))
        if rules and rng.random() < 0.3:
            extra["batch_multiple"] = 5.0
        products.append(
            product(
                name,
                unit=float(rng.uniform(0.5, 2.0)),
                setup_minutes=float(rng.integers(0, 30)),
                setup_cost=float(rng.integers(10, 200)),
                holding_cost=float(rng.uniform(0.5, 3)),
                backlog_cost=float(rng.uniform(3, 20)),
                initial_inventory=float(rng.integers(0, 40)) if k == 0 else 0.0,
                **extra,
            )
        )
    periods = 4 + seed % 3
    demand = {(p["id"], t): float(rng.integers(0, 40)) for p in products for t in range(periods)}
    kw: dict[str, Any] = {"shortage": shortage}
    if rules:
        kw["safety_stock"] = {"A": 5.0}
        if rng.random() < 0.5:
            kw["overtime_cost"] = float(rng.uniform(1, 10))
    if shortage == "none":
        kw["overtime_cost"] = kw.get("overtime_cost", 5.0)  # so that a plan exists
    return problem(products, periods, capacity, demand, **kw)


@pytest.mark.parametrize("seed", range(6))
def test_where_capacity_does_not_bind_the_bound_is_the_optimum(seed: int) -> None:
    data = _random(seed, capacity=1e6, rules=False).build()
    plan = solve_lots(data, time_limit=20, mip_gap=0)
    dual = lagrangian_bound(data, time_limit=10)
    assert plan.objective is not None and dual is not None
    assert dual.bound == pytest.approx(plan.objective, rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_the_bound_never_exceeds_the_optimum(seed: int) -> None:
    capacity = float(np.random.default_rng(100 + seed).integers(20, 120))
    data = _random(seed, capacity=capacity, rules=seed % 2 == 0).build()
    plan = solve_lots(data, time_limit=20, mip_gap=0)
    assert plan.termination.value == "optimal" and plan.objective is not None
    dual = lagrangian_bound(data, time_limit=10, upper=plan.objective)
    assert dual is not None
    assert dual.bound <= plan.objective + 1e-6 * max(1.0, abs(plan.objective))


def test_a_bill_of_materials_keeps_the_bound_below_the_optimum() -> None:
    products = [
        product("CAB", unit=2, setup_minutes=5, setup_cost=50, backlog_cost=20,
                components=[{"product": "PAN", "quantity": 2, "lead_periods": 1}]),
        product("PAN", unit=1, setup_minutes=5, setup_cost=30, backlog_cost=5),
    ]  # fmt: skip
    demand = {("CAB", t): 10.0 + 5 * t for t in range(5)} | {("PAN", 2): 15.0}
    data = problem(products, 5, 80, demand).build()
    plan = solve_lots(data, time_limit=20, mip_gap=0)
    dual = lagrangian_bound(data, time_limit=10, upper=plan.objective)
    assert plan.objective is not None and dual is not None
    assert dual.bound <= plan.objective + 1e-6


def test_the_bound_is_tight_on_a_trigeiro_instance() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_lotsizing import trigeiro

    data = trigeiro(20, 20).build()
    plan = solve_lots(data, time_limit=30, mip_gap=1e-4)
    dual = lagrangian_bound(data, time_limit=10, upper=plan.objective)
    assert plan.objective is not None and dual is not None
    assert plan.objective * (1 - 0.005) <= dual.bound <= plan.objective + 1e-6


def test_large_problems_start_from_the_lagrangian_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the size threshold (lowered here) the plan starts from the better of the greedy
    and the repaired Lagrangian plans, and the bound reported is the better of both."""
    import sys
    from pathlib import Path

    from planner.lotsizing import highs_model

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_lotsizing import trigeiro

    data = trigeiro(30, 12, seed=1).build()
    monkeypatch.setattr(highs_model, "LAGRANGE_MIN_SETUPS", 1)
    duals: list[Any] = []  # the Lagrangian bound the solve computed itself (timed: compare
    # with that one, not with a second run that may make more steps on a quieter machine)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        duals.append(lagrangian_bound(*args, **kwargs))
        return duals[-1]

    monkeypatch.setattr(highs_model, "lagrangian_bound", recorded)
    plan = solve_lots(data, time_limit=4, mip_gap=1e-4)
    assert plan.feasible and plan.objective is not None and plan.bound is not None
    assert plan.bound <= plan.objective + 1e-6
    assert len(duals) == 1 and duals[0] is not None
    assert plan.bound >= duals[0].bound - 1e-9 * plan.objective
    assert plan.gap is not None and plan.gap < 0.01


@pytest.mark.parametrize("seed", range(4))
def test_the_bound_is_at_least_the_lp_bound(seed: int) -> None:
    """On Trigeiro-style instances the dual bound is at least the textbook model's LP
    relaxation (several times it). Not in general: where one product's batch alone would
    exceed a period's capacity, the textbook model's big-M carries that limit and the
    single-item problems do not, which is why the bound reported is the better of both."""
    import sys
    from pathlib import Path

    from planner.lotsizing import highs_model

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_lotsizing import trigeiro

    data = trigeiro(20, 10, seed=seed).build()
    h, _ = highs_model.build(data)
    n = h.getNumCol()
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    h.run()
    lp = h.getInfo().objective_function_value
    dual = lagrangian_bound(data, time_limit=10)
    assert dual is not None and dual.bound >= lp


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_the_single_item_program_is_exact_at_any_prices(mode: int) -> None:
    """Against enumerating the setup periods (each demand then takes its cheapest open
    source, or is left unmet or lost), with random unit and setup prices."""
    import itertools

    from planner.lotsizing import lagrange

    rng = np.random.default_rng(mode)
    for _ in range(200):
        n = int(rng.integers(1, 6))
        d = rng.integers(0, 30, n).astype(float)
        setup_cost, setup = rng.uniform(0, 100, n), rng.uniform(0, 30, n)
        holding, shortage, unit = (
            rng.uniform(0.1, 3, n),
            rng.uniform(0.5, 20, n),
            rng.uniform(0, 30, n),
        )
        made, setups = np.zeros(n), np.zeros(n)
        value = lagrange._item(d, setup_cost, holding, shortage, unit, setup, mode, made, setups)
        late = np.concatenate([np.cumsum(shortage[::-1])[::-1], [0.0]])
        held = np.concatenate([[0.0], np.cumsum(holding)])
        best = np.inf
        for open_ in itertools.product([0, 1], repeat=n):
            cost, feasible = sum(setup_cost[s] + setup[s] for s in range(n) if open_[s]), True
            for t in np.flatnonzero(d):
                options = [unit[s] + held[t] - held[s] for s in range(t + 1) if open_[s]]
                if mode == lagrange.BACKLOG:
                    options += [unit[s] + late[t] - late[s] for s in range(t + 1, n) if open_[s]]
                    options.append(late[t])
                if mode == lagrange.LOST:
                    options.append(shortage[t])
                feasible = feasible and bool(options)
                cost += d[t] * min(options, default=0.0)
            if feasible:
                best = min(best, cost)
        assert value == pytest.approx(best, rel=1e-9, abs=1e-9)
