"""The two-stage lot-sizing model: one scenario is the deterministic model; two scenarios by
hand; scenarios sampled from quantiles; the Pyomo backend says it does not carry it."""

from __future__ import annotations

import numpy as np
import pytest

from planner.lotsizing import DemandScenarios, sample_scenarios, solve_lots
from planner.status import Termination
from tests.lotsizing.test_solve import problem, product


@pytest.mark.parametrize("seed", range(4))
def test_one_scenario_is_the_deterministic_model(seed: int) -> None:
    rng = np.random.default_rng(seed)
    demand = {(p, t): float(rng.integers(0, 60)) for p in ("A", "B") for t in range(4)}
    p = problem(
        [
            product("A", setup_minutes=20, setup_cost=80, holding_cost=1, backlog_cost=9),
            product("B", unit=2, setup_cost=50, holding_cost=2, backlog_cost=6, min_batch=15),
        ],
        periods=4,
        capacity=float(rng.integers(60, 200)),
        demand=demand,
        safety_stock={"A": 5.0},
    )
    data = p.build()
    alone = DemandScenarios(data.demand[None].copy(), np.array([1.0]))
    deterministic = solve_lots(data, time_limit=20, mip_gap=0)
    two_stage = solve_lots(data, time_limit=20, mip_gap=0, scenarios=alone)
    assert two_stage.objective == pytest.approx(deterministic.objective, abs=1e-6)
    assert two_stage.costs == pytest.approx(deterministic.costs, abs=1e-6)
    twice = DemandScenarios(np.stack([data.demand, data.demand]), np.array([0.5, 0.5]))
    copies = solve_lots(data, time_limit=20, mip_gap=0, scenarios=twice)  # rows added per copy
    assert copies.objective == pytest.approx(deterministic.objective, abs=1e-6)


def test_two_scenarios_by_hand() -> None:
    # demand 10 or 30, each half the time; a unit held costs 1, a unit short at the horizon 2
    # x 5 = 10. Making x in [10, 30] costs 0.5 (x - 10) + 0.5 x 10 (30 - x) = 145 - 4.5 x:
    # make 30 (expected cost 10), where the mean demand alone would make 20.
    p = problem([product("A", holding_cost=1, backlog_cost=5)], 1, 100, {("A", 0): 20})
    data = p.build()
    scenarios = DemandScenarios(np.array([[[10.0]], [[30.0]]]), np.array([0.5, 0.5]))
    plan = solve_lots(data, time_limit=10, mip_gap=0, scenarios=scenarios)
    assert plan.objective == pytest.approx(10.0)
    assert plan.lots is not None and plan.lots["quantity"].iloc[0] == pytest.approx(30.0)
    assert solve_lots(data, time_limit=10, mip_gap=0).lots["quantity"].iloc[0] == 20.0  # type: ignore[index]


def test_scenarios_from_quantiles() -> None:
    levels = np.array([0.1, 0.5, 0.9])
    quantiles = np.array([[[5.0, 10.0, 20.0], [0.0, 4.0, 8.0]]])  # one product, two periods
    median = sample_scenarios(levels, quantiles, 1)
    assert median.demand.tolist() == [[[10.0, 4.0]]] and median.weight.tolist() == [1.0]
    many = sample_scenarios(levels, quantiles, 10, seed=3)
    assert len(many.weight) == 10 and many.weight.sum() == pytest.approx(1.0)
    first = np.sort(many.demand[:, 0, 0])
    assert (first >= 5).all() and (first <= 20).all()
    # one level in each tenth: below the 10% level the curve is flat at 5, above 90% at 20
    assert first[0] == 5.0 and first[-1] == 20.0 and 10 < first[5] < 12.5
    again = sample_scenarios(levels, quantiles, 10, seed=3)
    assert np.array_equal(many.demand, again.demand)  # a seed repeats the draw


def test_the_pyomo_backend_does_not_carry_it() -> None:
    p = problem([product("A")], 1, 100, {("A", 0): 20})
    scenarios = DemandScenarios(np.array([[[20.0]]]), np.array([1.0]))
    plan = solve_lots(p, backend="pyomo", scenarios=scenarios)
    assert plan.termination is Termination.INVALID_INPUT
    assert [issue.path for issue in plan.issues] == ["backend"]
