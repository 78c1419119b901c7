"""End to end on a small scenario: forecast -> lots -> schedule -> check, the API's shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import planner
from planner.check import check

SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"


@pytest.fixture(scope="module")
def small_plan() -> planner.Plan:
    return planner.plan(SMALL)


def test_plan_end_to_end(small_plan: planner.Plan) -> None:
    p = small_plan
    assert p.feasible
    assert check(p.data, p.result.assignment).feasible  # type: ignore[arg-type]
    assert {"job", "operation", "machine", "start", "end", "setup_before", "start_time"} <= set(
        p.schedule.columns
    )
    assert {"product", "period", "quantity", "inventory", "shortage", "demand"} <= set(
        p.lots.columns
    )
    assert {"product", "period", "forecast", "orders", "demand", "safety_stock"} <= set(
        p.forecast.columns
    )
    # the firm order consumes the forecast in its period
    row = p.forecast[(p.forecast["product"] == "A0") & (p.forecast["period"] == "2024-03-05")].iloc[
        0
    ]
    assert row["demand"] == max(row["orders"], row["forecast"])
    assert row["orders"] == 80
    # no demand on days without shifts
    assert (p.forecast[p.forecast["period"] == "2024-03-06"]["forecast"] > 0).all()
    # KPIs come from the checker
    assert p.result is not None and p.kpis.schedule == p.result.kpis
    assert p.kpis.service.operations == len(p.schedule)
    # every planned unit is scheduled: jobs' quantities add up to the lots
    jobs = p.schedule.drop_duplicates("job")
    assert len(jobs) == p.kpis.service.jobs


def test_to_json_and_explain(small_plan: planner.Plan) -> None:
    payload = json.loads(small_plan.to_json())
    assert {"kpis", "schedule", "lots", "forecast", "explanations"} <= set(payload)
    assert isinstance(small_plan.explain(), list)


def test_late_jobs_are_explained() -> None:
    raw = planner.load_scenario(SMALL).raw()
    raw["demand"]["orders"].append(
        {
            "id": "RUSH",
            "product": "A1",
            "quantity": 900,
            "due": "2024-03-04T12:00:00+01:00",
            "priority": 5,
        }
    )
    p = planner.plan(planner.load_scenario(raw, base_dir=SMALL.parent))
    late = p.explain()
    assert late, "a 900-unit order due at noon on day one must be late"
    for entry in late:
        assert entry["tardiness_min"] > 0
        assert entry["reasons"]
        assert entry["binding"] and set(entry["binding"]) <= {
            "routing",
            "machine",
            "calendar",
            "release",
            "peak_power",
            "objective",
        }
    assert any(
        "capacity of the routing" in r or "waits for" in r for e in late for r in e["reasons"]
    )


def test_rescheduling_keeps_started_operations(small_plan: planner.Plan) -> None:
    frozen = 24 * 60 + 6 * 60 + 120  # Tuesday 08:00 local = minutes from Monday 00:00 local
    again = planner.plan(SMALL, previous_plan=small_plan, frozen_until=frozen)
    before = small_plan.schedule.set_index(["job", "operation"])
    after = again.schedule.set_index(["job", "operation"])
    started = before[before["start"] < frozen]
    assert len(started) > 0
    for key, row in started.iterrows():
        assert after.loc[key, "machine"] == row["machine"]
        assert after.loc[key, "start"] == row["start"]
    stability = again.kpis.stability
    assert stability is not None and stability.compared_operations == len(before)
    assert stability.new_operations == 0 and stability.dropped_operations == 0


def test_warm_start_from_a_previous_plan(small_plan: planner.Plan) -> None:
    again = planner.plan(SMALL, previous_plan=small_plan)
    assert again.feasible
    assert again.kpis.stability is not None
    assert again.kpis.stability.moved_operations >= 0


def test_warm_start_reuses_the_forecast_only_when_its_inputs_are_unchanged(
    small_plan: planner.Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.demand

    assert small_plan.forecast_key and not small_plan.forecast_raw.empty
    trained: list[int] = []
    real = planner.demand.scenario_forecaster

    def counting(*args: object, **kwargs: object) -> object:
        trained.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(planner.demand, "scenario_forecaster", counting)
    loaded = planner.load_scenario(SMALL)
    same = planner.plan(loaded, previous_plan=small_plan)
    assert trained == []
    assert same.forecast_key == small_plan.forecast_key
    assert same.forecast.equals(small_plan.forecast)

    raw = loaded.raw()
    raw["demand"]["scale"] = 1.5
    scaled = planner.load_scenario(raw, base_dir=loaded.base_dir)
    changed = planner.plan(scaled, previous_plan=small_plan)
    assert trained == [1]
    assert changed.forecast_key != small_plan.forecast_key


def test_top_level_api_names() -> None:
    import planner.check  # submodules must not shadow the API's functions
    import planner.plans

    assert callable(planner.plan) and callable(planner.solve) and callable(planner.load_scenario)
    assert planner.Plan is planner.plans.Plan


def test_a_time_limit_bounds_the_whole_run_by_the_documented_split() -> None:
    from planner.stages.budget import FORECAST_SHARE, LOT_SIZING_SHARE, MIN_STAGE_S

    total = 6.0
    p = planner.plan(SMALL, time_limit=total)
    limits = p.timings["limits_s"]
    assert p.timings["budget_total_s"] == total
    assert limits["forecast"] == [FORECAST_SHARE * total]
    assert len(limits["lot_sizing"]) == len(limits["sequencing"]) == len(p.rounds)
    for lot, seq in zip(limits["lot_sizing"], limits["sequencing"], strict=True):
        assert MIN_STAGE_S <= lot <= max(MIN_STAGE_S, LOT_SIZING_SHARE * total)
        assert lot <= 5  # the scenario's own lot-sizing limit still caps it
        assert seq >= MIN_STAGE_S
    # the stages' limits never add up to more than the total (beyond the per-stage floor)
    given = sum(limits["lot_sizing"]) + sum(limits["sequencing"])
    assert given <= total + MIN_STAGE_S * 2 * len(p.rounds)
    assert {"setup", "forecast", "lot_sizing", "sequencing", "total"} <= set(p.timings)


def test_without_a_time_limit_each_stage_gets_the_scenarios_limit(
    small_plan: planner.Plan,
) -> None:
    limits = small_plan.timings["limits_s"]
    assert small_plan.timings["budget_total_s"] is None
    assert set(limits["lot_sizing"]) == {5.0}
    assert set(limits["sequencing"]) == {4.0 / 2}  # the solver's limit over the two rounds


def test_a_plan_is_immutable(small_plan: planner.Plan) -> None:
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        small_plan.kpis = {}  # type: ignore[misc]
    # explanations are computed once, when the plan is made
    assert small_plan.explain() == list(small_plan.explanations)


def test_a_plan_with_operators_per_shift_and_curing_lags() -> None:
    """A scenario's pools and lags reach the schedule: the checker accepts it, the KPIs give
    the pool's utilisation and gantt.html charts its load."""
    from planner.report.output import plan_files

    raw = planner.load_scenario(SMALL).raw()
    raw["factory"]["resources"] = [{"id": "operators", "capacity": 0, "shift_capacity": [2, 1]}]
    for product in raw["products"]:
        for k, step in enumerate(product["routing"]):
            step["needs"] = [{"pool": "operators"}]
            if k:
                step["min_lag_minutes"] = 20
    p = planner.plan(planner.load_scenario(raw, base_dir=SMALL.parent))
    assert p.data is not None and p.data.has_pools and p.data.has_lags
    assert check(p.data, p.schedule).feasible
    assert 0 < p.kpis.schedule.resource_utilisation["operators"] <= 1
    assert "resource pools" in plan_files(p, charts=True)["gantt.html"]
