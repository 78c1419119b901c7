"""Explaining a lot plan: which capacity left a product short, what overtime would have made
the units, which lots compete for it; and shortfalls that are a choice of cost."""

from __future__ import annotations

import pytest

from planner.lotsizing import solve_lots
from tests.lotsizing.test_solve import problem, product


def test_a_full_group_names_its_period_the_overtime_and_the_lot_that_fills_it() -> None:
    # 100 minutes in T0: A (shortage 100 a unit) takes 80, B (5 a unit) gets 20 of its 50.
    p = problem(
        [product("A", backlog_cost=100), product("B", backlog_cost=5, holding_cost=1)],
        periods=2,
        capacity=100,
        demand={("A", 0): 80, ("B", 0): 50},
    )
    plan = solve_lots(p, time_limit=10)
    assert plan.objective == pytest.approx(30 * 5)
    (entry,) = plan.shortfalls
    assert (entry["product"], entry["kind"], entry["from"], entry["to"]) == (
        "B",
        "shortage",
        "T0",
        "T0",
    )
    assert entry["units"] == pytest.approx(30)
    (binding,) = [b for b in entry["binding"] if b["period"] == "T0"]
    assert binding["group"] == "G" and binding["load_min"] == pytest.approx(100)
    assert binding["overtime_min"] == pytest.approx(30)  # B already has a lot in T0: no setup
    assert entry["competing"][0]["product"] == "A"
    assert entry["competing"][0]["quantity"] == pytest.approx(80)
    text = " ".join(entry["reasons"])
    assert "group G has 0 of 100 min free in period T0" in text
    assert "overtime is not allowed" in text
    assert plan.to_dict()["shortfalls"] == [entry]


def test_a_shortfall_with_spare_capacity_is_a_choice_of_cost() -> None:
    # a setup costs 1,000; leaving 10 units short for two periods costs 10 + 2 x 20 = 50
    p = problem(
        [product("B", setup_cost=1000, backlog_cost=1)],
        periods=2,
        capacity=1000,
        demand={("B", 0): 10, ("B", 1): 10},
    )
    plan = solve_lots(p, time_limit=10)
    assert plan.batches().empty
    (entry,) = plan.shortfalls
    assert (entry["from"], entry["to"], entry["units"]) == ("T0", "T1", pytest.approx(20))
    assert entry["binding"] == [] and entry["competing"] == []
    assert "raise backlog_cost" in entry["reasons"][0]


def test_a_plan_that_meets_all_demand_has_nothing_to_explain() -> None:
    p = problem([product("A")], periods=2, capacity=100, demand={("A", 1): 50})
    assert solve_lots(p, time_limit=10).shortfalls == ()
