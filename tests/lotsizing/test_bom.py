"""Multi-level lot sizing: a two-level example against brute force, with and without a lead
offset, on both backends; components always cover what their consumers take; the start and
the two-stage model know the bill; a broken bill is reported at its paths."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from planner.lotsizing import DemandScenarios, solve_lots
from planner.lotsizing.formulation import coefficients
from planner.lotsizing.start import greedy_start
from planner.model.errors import InvalidInputError
from tests.lotsizing.test_solve import problem, product

CAPACITY = 24.0
CABINET_DEMAND = (3.0, 2.0, 4.0)
PANEL_DEMAND = (0.0, 2.0, 0.0)


def _two_levels(lead: int, **kw: Any) -> Any:
    """Cabinets (2 min, 3 min setup) need 2 panels each (1 min, 2 min setup), one machine
    group of 24 min per period, whole units (batch multiples of 1), no shortage."""
    cabinet = product(
        "cabinet",
        unit=2,
        setup_minutes=3,
        setup_cost=30,
        holding_cost=2,
        batch_multiple=1,
        components=[{"product": "panel", "quantity": 2, "lead_periods": lead}],
    )
    panel = product(
        "panel",
        unit=1,
        setup_minutes=2,
        setup_cost=20,
        holding_cost=1,
        batch_multiple=1,
        initial_inventory=1,
    )
    demand = {("cabinet", t): q for t, q in enumerate(CABINET_DEMAND)}
    demand.update({("panel", t): q for t, q in enumerate(PANEL_DEMAND) if q})
    return problem([cabinet, panel], 3, CAPACITY, demand, shortage="none", **kw)


def _brute_force(lead: int) -> float:
    """The least cost over every whole-unit plan: cabinets enumerated, panels by dynamic
    programming over their stock given the cabinets' batches."""
    best = np.inf
    for cabinets in itertools.product(range(10), repeat=3):
        stock, cost, ok = 0.0, 0.0, True
        for t in range(3):
            stock += cabinets[t] - CABINET_DEMAND[t]
            ok = ok and stock >= 0
            cost += 30 * (cabinets[t] > 0) + 2 * stock
        if not ok:
            continue
        need = [PANEL_DEMAND[t] for t in range(3)]
        for t in range(3):
            need[max(0, t - lead)] += 2 * cabinets[t]
        spare = [CAPACITY - 2 * c - 3 * (c > 0) for c in cabinets]
        best = min(best, cost + _panels(need, spare))
    return best


def _panels(need: list[float], spare: list[float]) -> float:
    states = {1.0: 0.0}  # stock -> least cost so far
    for t in range(3):
        after: dict[float, float] = {}
        for stock, cost in states.items():
            most = int(max(0.0, spare[t] - 2))
            for made in range(most + 1):
                left = stock + made - need[t]
                if left < 0:
                    continue
                total = cost + 20 * (made > 0) + left
                after[left] = min(after.get(left, np.inf), total)
        states = after
    return min(states.values(), default=np.inf)


@pytest.mark.parametrize("backend", ["highspy", "pyomo"])
@pytest.mark.parametrize("lead", [0, 1])
def test_two_levels_match_brute_force(backend: str, lead: int) -> None:
    optimum = _brute_force(lead)
    assert np.isfinite(optimum)
    plan = solve_lots(_two_levels(lead), backend=backend, mip_gap=0, time_limit=30)  # type: ignore[arg-type]
    assert plan.termination.value == "optimal"
    assert plan.objective == pytest.approx(optimum, abs=1e-6)
    lots = plan.lots
    assert lots is not None
    made = lots.pivot(index="product", columns="period", values="quantity")
    panels = 1 + np.cumsum(made.loc["panel"].to_numpy())
    taken = np.zeros(3)
    for t, q in enumerate(made.loc["cabinet"].to_numpy()):
        taken[max(0, t - lead)] += 2 * q
    assert (panels - np.cumsum(taken) - np.cumsum(PANEL_DEMAND) >= -1e-6).all()


@pytest.mark.parametrize("seed", range(6))
def test_components_cover_their_consumers_even_with_backlog(seed: int) -> None:
    """With backlog allowed and tight capacity, a component's shortage only leaves its own
    demand short: cumulative supply always covers what consumers took."""
    rng = np.random.default_rng(seed)
    lead = int(rng.integers(0, 2))
    products = [
        product(
            "A",
            unit=2,
            setup_cost=40,
            backlog_cost=30,
            components=[
                {"product": "B", "quantity": 2, "lead_periods": lead},
                {"product": "C", "quantity": 1},
            ],
        ),
        product(
            "B",
            unit=1.5,
            setup_cost=20,
            backlog_cost=5,
            components=[
                {"product": "C", "quantity": 1},
            ],
            initial_inventory=float(rng.integers(0, 10)),
        ),
        product("C", unit=1, setup_cost=10, backlog_cost=2),
    ]
    demand = {(p, t): float(rng.integers(0, 30)) for p in "ABC" for t in range(4)}
    capacity = float(rng.integers(60, 200))
    for backend in ("highspy", "pyomo"):
        plan = solve_lots(problem(products, 4, capacity, demand), backend=backend, mip_gap=0)  # type: ignore[arg-type]
        assert plan.lots is not None
        made = plan.lots.pivot(index="product", columns="period", values="quantity")
        x = made.loc[["A", "B", "C"]].to_numpy()
        taken = {"B": np.zeros(4), "C": np.zeros(4)}
        for t in range(4):
            taken["B"][max(0, t - lead)] += 2 * x[0, t]
            taken["C"][t] += x[0, t] + x[1, t]
        stock = {"B": products[1]["initial_inventory"], "C": 0.0}
        for k, name in ((1, "B"), (2, "C")):
            assert (stock[name] + np.cumsum(x[k]) - np.cumsum(taken[name]) >= -1e-6).all()


def test_the_start_and_the_two_stage_model_know_the_bill() -> None:
    data = _two_levels(1).build()
    start = greedy_start(data, coefficients(data))
    assert start is not None
    x = start["x"]
    demand = data.demand + data.dependent_demand(x)
    stock = np.array([0.0, 1.0])[:, None] + np.cumsum(x - demand, axis=1)
    assert (stock >= -1e-9).all()
    alone = DemandScenarios(data.demand[None].copy(), np.array([1.0]))
    deterministic = solve_lots(data, mip_gap=0, time_limit=20)
    two_stage = solve_lots(data, mip_gap=0, time_limit=20, scenarios=alone)
    assert two_stage.objective == pytest.approx(deterministic.objective, abs=1e-6)


def test_a_broken_bill_is_reported_at_its_paths() -> None:
    products = [
        product("A", components=[{"product": "B", "quantity": 1}, {"product": "Z", "quantity": 1}]),
        product("B", components=[{"product": "A", "quantity": 1}, {"product": "B", "quantity": 2}]),
    ]
    with pytest.raises(InvalidInputError) as raised:
        problem(products, 2, 100, {("A", 0): 5}).build()
    paths = {issue.path: issue.message for issue in raised.value.issues}
    assert "unknown product 'Z'" in paths["products[0].components[1].product"]
    assert "cannot consume itself" in paths["products[1].components[1].product"]
    assert "A -> B -> A" in paths["products[0].components"]
