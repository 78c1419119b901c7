"""Lot sizing: hand-checked optima, Wagner-Whitin, capacities and batch rules, infeasibility."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.lotsizing import LotSizingProblem, solve_lots
from planner.model import InvalidInputError

BACKENDS = ["highspy", "pyomo"]


def problem(
    products: list[dict[str, Any]],
    periods: int,
    capacity: float,
    demand: dict[tuple[str, int], float],
    **kw: Any,
) -> LotSizingProblem:
    return LotSizingProblem.from_dict(
        {
            "products": products,
            "periods": [
                {"id": f"T{t}", "start": t * 480, "end": (t + 1) * 480, "capacity": {"G": capacity}}
                for t in range(periods)
            ],
            "demand": [
                {"product": p, "period": f"T{t}", "quantity": q} for (p, t), q in demand.items()
            ],
            **kw,
        }
    )


def product(id: str, unit: float = 1.0, setup_minutes: float = 0.0, **kw: Any) -> dict[str, Any]:
    return {
        "id": id,
        "loads": [{"group": "G", "minutes_per_unit": unit, "setup_minutes": setup_minutes}],
        **kw,
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_hand_checked_optimum(backend: str) -> None:
    # A: two batches (2 x 100 setup) beat one (100 + 150 units held 2 periods = 400).
    # B: multiples of 10 -> 100 in T1 (5 spare held 3 periods x 2) and 60 in T3: 2 x 50 + 30.
    p = problem(
        [
            product("A", setup_minutes=10, setup_cost=100, holding_cost=1, backlog_cost=20),
            product(
                "B",
                unit=2,
                setup_minutes=10,
                setup_cost=50,
                holding_cost=2,
                backlog_cost=20,
                batch_multiple=10,
            ),
        ],
        4,
        480,
        {("A", 0): 100, ("A", 2): 150, ("B", 1): 95, ("B", 3): 60},
    )
    plan = solve_lots(p, backend=backend)  # type: ignore[arg-type]
    assert plan.termination.value == "optimal"
    assert plan.objective == pytest.approx(330)
    assert plan.bound == pytest.approx(330, abs=0.05)
    assert plan.costs == pytest.approx(
        {"setup": 300, "holding": 30, "shortage": 0, "safety_stock": 0, "overtime": 0}
    )
    assert plan.build_s > 0 and plan.solve_s > 0


def wagner_whitin(demand: list[float], setup: float, holding: float) -> float:
    """Independent dynamic program: F[t] = min_j F[j] + K + sum_{k=j..t-1} h (k - j) d_k."""
    n = len(demand)
    best = [0.0] + [float("inf")] * n
    for t in range(1, n + 1):
        for j in range(t):
            cost = best[j] + (setup if any(demand[j:t]) else 0.0)
            cost += sum(holding * (k - j) * demand[k] for k in range(j, t))
            best[t] = min(best[t], cost)
    return best[n]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from([0, 0, 10, 25, 40, 80]), min_size=2, max_size=8),
    st.sampled_from([20.0, 60.0, 150.0]),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.sampled_from(BACKENDS),
)
def test_uncapacitated_single_product_equals_wagner_whitin(
    demand: list[float], setup: float, holding: float, backend: str
) -> None:
    p = problem(
        [product("A", setup_cost=setup, holding_cost=holding)],
        len(demand),
        1e6,
        {("A", t): q for t, q in enumerate(demand) if q},
        shortage="none",
    )
    plan = solve_lots(p, backend=backend)  # type: ignore[arg-type]
    assert plan.objective == pytest.approx(wagner_whitin(demand, setup, holding), abs=1e-4)


def random_products(
    rng: np.random.Generator, count: int, *, max_setup_cost: int, random_holding: bool = False
) -> list[dict[str, Any]]:
    """Products with random unit times, setups, costs and batch rules (one group)."""
    products = []
    for i in range(count):
        unit = float(rng.choice([0.5, 1.0, 2.0]))
        setup_minutes = float(rng.choice([0, 15, 30]))
        setup_cost = float(rng.integers(10, max_setup_cost))
        holding = {"holding_cost": float(rng.choice([0.5, 1, 3]))} if random_holding else {}
        products.append(
            product(
                f"P{i}",
                unit=unit,
                setup_minutes=setup_minutes,
                setup_cost=setup_cost,
                **holding,
                min_batch=float(rng.choice([0, 20])),
                max_batch=float(rng.choice([150, 400])),
                batch_multiple=float(rng.choice([5, 10])) if rng.random() < 0.5 else None,
                initial_inventory=float(rng.integers(0, 30)),
            )
        )
    return products


def random_demand(
    rng: np.random.Generator, count: int, periods: int, high: int
) -> dict[tuple[str, int], float]:
    return {
        (f"P{i}", t): float(rng.integers(0, high))
        for i, t in itertools.product(range(count), range(periods))
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from(["backlog", "lost_sales"]), st.booleans())
def test_capacities_and_batch_rules_always_hold(seed: int, shortage: str, overtime: bool) -> None:
    rng = np.random.default_rng(seed)
    products = random_products(rng, 3, max_setup_cost=200)
    demand = random_demand(rng, 3, 5, 120)
    p = problem(
        products,
        5,
        400,
        demand,
        shortage=shortage,
        overtime_cost=2.0 if overtime else None,
        safety_stock={"P0": 10.0},
    )
    plan = solve_lots(p, time_limit=10)
    assert plan.feasible and plan.lots is not None and plan.capacity is not None
    assert (
        plan.capacity["load"] <= plan.capacity["capacity"] + plan.capacity["overtime"] + 1e-6
    ).all()
    if not overtime:
        assert (plan.capacity["overtime"] == 0).all()
    for spec in products:
        rows = plan.lots[plan.lots["product"] == spec["id"]]
        made = rows[rows["quantity"] > 1e-6]["quantity"]
        assert (made >= spec["min_batch"] - 1e-6).all()
        assert (made <= spec["max_batch"] + 1e-6).all()
        if spec["batch_multiple"]:
            ratio = made / spec["batch_multiple"]
            assert np.allclose(ratio, np.round(ratio), atol=1e-6)
        assert (rows[rows["quantity"] > 1e-6]["setup"]).all()
        # stock balance (lost sales: stock never negative and demand met or lost)
        stock = spec["initial_inventory"]
        backlog = 0.0
        for row in rows.itertuples():
            if shortage == "backlog":
                net = stock - backlog + row.quantity - row.demand
                assert row.inventory - row.shortage == pytest.approx(net, abs=1e-5)
                stock, backlog = row.inventory, row.shortage
            else:
                assert row.inventory == pytest.approx(
                    stock + row.quantity - row.demand + row.shortage, abs=1e-5
                )
                stock = row.inventory


def test_infeasible_is_explained_in_planner_terms() -> None:
    p = problem([product("A", unit=2.0)], 3, 480, {("A", 0): 300, ("A", 1): 100}, shortage="none")
    plan = solve_lots(p)
    assert not plan.feasible
    assert plan.termination.value == "infeasible"
    text = "\n".join(plan.explanation)
    assert "product A" in text and "period T0" in text
    assert "overtime on group G in period T0" in text  # 600 min needed, 480 available
    assert "allow backlog" in text


def test_backends_agree_on_a_random_capacitated_instance() -> None:
    rng = np.random.default_rng(7)
    products = [
        product(f"P{i}", unit=1.0, setup_minutes=20, setup_cost=80, holding_cost=1)
        for i in range(4)
    ]
    demand = {(f"P{i}", t): float(rng.integers(20, 90)) for i in range(4) for t in range(6)}
    p = problem(products, 6, 300, demand)
    a, b = solve_lots(p, backend="highspy"), solve_lots(p, backend="pyomo")
    assert a.objective == pytest.approx(b.objective, rel=1e-6)


def test_invalid_data_lists_every_problem() -> None:
    with pytest.raises(InvalidInputError) as info:
        LotSizingProblem.from_dict(
            {
                "products": [
                    {
                        "id": "A",
                        "loads": [{"group": "G", "minutes_per_unit": 1}],
                        "min_batch": 50,
                        "max_batch": 10,
                    }
                ],
                "periods": [{"id": "T0", "start": 0, "end": 480, "capacity": {"G": 480}}],
            }
        )
    assert "max_batch (10.0) is below min_batch (50.0)" in str(info.value)
    p = LotSizingProblem.from_dict(
        {
            "products": [
                {"id": "A", "loads": [{"group": "G", "minutes_per_unit": 1}]},
                {"id": "A", "loads": [{"group": "H", "minutes_per_unit": 1}]},
            ],
            "periods": [{"id": "T0", "start": 0, "end": 480, "capacity": {"G": 480}}],
            "demand": [{"product": "Z", "period": "T9", "quantity": 5}],
            "safety_stock": {"A": [1, 2]},
        }
    )
    plan = solve_lots(p)
    paths = {i.path for i in plan.issues}
    assert {
        "products[1].id",
        "periods[0].capacity",
        "demand[0].product",
        "demand[0].period",
        "safety_stock.A",
    } <= paths
    assert plan.termination.value == "invalid_input"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from(["backlog", "lost_sales"]))
def test_the_starting_plan_is_feasible(seed: int, shortage: str) -> None:
    from planner.lotsizing.formulation import coefficients
    from planner.lotsizing.start import greedy_start

    rng = np.random.default_rng(seed)
    products = random_products(rng, 4, max_setup_cost=500, random_holding=True)
    demand = random_demand(rng, 4, 6, 150)
    data = problem(
        products,
        6,
        float(rng.choice([200, 400, 800])),
        demand,
        shortage=shortage,
        safety_stock={"P1": 15.0},
    ).build()
    c = coefficients(data)
    start = greedy_start(data, c)
    assert start is not None
    x, y = start["x"], start["y"]
    load = x.T @ data.unit_minutes + y.T @ data.setup_minutes
    assert (load <= data.capacity + 1e-6).all()
    assert (x <= c.big_m + 1e-6).all()
    for i, spec in enumerate(products):
        made = x[i][x[i] > 1e-9]
        assert (made >= spec["min_batch"] - 1e-9).all()
        if spec["batch_multiple"]:
            assert np.allclose(
                made / spec["batch_multiple"], np.round(made / spec["batch_multiple"])
            )
    # the MILP accepts it: its optimum is never worse than the start
    plan = solve_lots(data, time_limit=10)
    cost = (
        (c.setup_cost * y).sum()
        + (c.holding * start["inv"]).sum()
        + (c.shortage * start["short"]).sum()
        + c.penalty * start["ss"].sum()
    )
    assert plan.objective is not None and plan.objective <= cost + 1e-6


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lost_sale_cannot_buy_stock(backend: str) -> None:
    # no demand, a safety target of 20 short at 5 a unit and period (3 periods: 300) and a
    # setup at 1,000: the plan keeps the shortfall. Lost sales are at most the demand, so a
    # "lost" unit cannot be stock bought at the shortage cost of 1 (which would cost 26)
    p = problem(
        [product("A", setup_cost=1000, holding_cost=0.1, backlog_cost=1)],
        3,
        480,
        {("A", 0): 0.0},
        shortage="lost_sales",
        safety_stock={"A": 20.0},
        safety_stock_penalty=5.0,
    )
    plan = solve_lots(p, backend=backend, mip_gap=0)  # type: ignore[arg-type]
    assert plan.objective == pytest.approx(300.0)
    assert plan.lots is not None and (plan.lots["shortage"] <= plan.lots["demand"] + 1e-9).all()
