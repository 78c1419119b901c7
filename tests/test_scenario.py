"""Scenario files: errors with paths, fuzzed input never crashes, schema, calendars."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.model import InvalidInputError
from planner.scenario import load_scenario
from planner.scenario.calendar import off_shift_windows, planning_periods

SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"
RAW = yaml.safe_load(SMALL.read_text())


def issues(raw: Any) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as info:
        load_scenario(raw, base_dir=SMALL.parent)
    return {i.path: i.message for i in info.value.issues}


def test_references_and_files_are_checked_with_paths() -> None:
    raw = copy.deepcopy(RAW)
    raw["products"][1]["routing"][0]["machines"][0]["machine"] = "LASER9"
    raw["demand"]["orders"][0]["product"] = "ZZ"
    raw["demand"]["history_csv"] = "missing.csv"
    raw["factory"]["calendar"]["timezone"] = "Mars/Olympus"
    found = issues(raw)
    assert "unknown machine 'LASER9'" in found["products[1].routing[0].machines[0].machine"]
    assert "unknown product 'ZZ'" in found["demand.orders[0].product"]
    assert "file not found" in found["demand.history_csv"]
    assert "unknown time zone" in found["factory.calendar.timezone"]


def test_schema_violations_have_paths() -> None:
    raw = copy.deepcopy(RAW)
    raw["horizon"]["periods"] = 0
    raw["products"][0]["routing"][0]["machines"][0]["minutes_per_unit"] = -1
    found = issues(raw)
    assert "horizon.periods" in found
    assert "products[0].routing[0].machines[0].minutes_per_unit" in found


def test_cli_malformed_and_invalid_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "scenario.yaml"
    bad.write_text("horizon: [unclosed\n")
    assert main(["run", str(bad), "--json"]) == 2
    assert "malformed YAML" in json.loads(capsys.readouterr().out)[0]["message"]
    bad.write_text(json.dumps({"horizon": {"start": "2024-01-01"}}))
    assert main(["run", str(bad), "--json"]) == 2
    paths = {p["path"] for p in json.loads(capsys.readouterr().out)}
    assert {"factory", "products"} <= paths
    assert main(["run", str(tmp_path / "none.yaml"), "--json"]) == 2


def test_schema_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"horizon", "factory", "products", "demand", "tariff"} <= set(schema["properties"])


def _mutate(raw: Any, path: list[Any], value: Any) -> Any:
    out = copy.deepcopy(raw)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


PATHS = [
    ["horizon", "start"],
    ["horizon", "periods"],
    ["horizon", "period"],
    ["factory", "machines"],
    ["factory", "machines", 0, "id"],
    ["factory", "machines", 0, "power_kw"],
    ["factory", "setups"],
    ["factory", "calendar", "shifts"],
    ["products", 0, "routing"],
    ["products", 0, "routing", 0, "machines", 0, "minutes_per_unit"],
    ["products", 1, "min_batch"],
    ["demand", "orders", 0, "due"],
    ["demand", "forecast", "model"],
    ["tariff"],
    ["objective", "energy_cost"],
    ["solver", "time_limit_s"],
    ["lot_sizing", "shortage"],
    ["products"],
]
VALUES = st.one_of(
    st.none(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), VALUES)
def test_fuzzed_scenarios_fail_cleanly(path: list[Any], value: Any) -> None:
    raw = _mutate(RAW, path, value)
    problems: tuple[object, ...] = ()
    try:
        load_scenario(raw, base_dir=SMALL.parent)
    except InvalidInputError as error:
        problems = error.issues
        assert problems
    assert all(getattr(i, "message", "") for i in problems)


def test_calendar_periods_and_shifts() -> None:
    scenario = load_scenario(SMALL).scenario
    periods = planning_periods(scenario.horizon, scenario.factory.calendar)
    assert [p.id for p in periods] == ["2024-03-04", "2024-03-05", "2024-03-06"]
    assert periods[0].start == 0 and periods[0].end == 1440
    from planner.scenario.calendar import horizon_bounds

    start, end = horizon_bounds(scenario.horizon, scenario.factory.calendar)
    off = off_shift_windows(scenario.factory.calendar, start, end)
    assert off[0] == (0, 360)  # 00:00-06:00 local
    assert off[1] == (1320, 1440 + 360)  # 22:00 to 06:00 next day


ROOT = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.parametrize(
    "path",
    [ROOT / "default" / "scenario.yaml", *sorted((ROOT / "batch").glob("*.yaml"))],
    ids=lambda p: p.stem,
)
def test_shipped_scenarios_load(path: Path) -> None:
    loaded = load_scenario(path)
    assert loaded.scenario.products


@pytest.mark.parametrize("path", sorted((ROOT / "whatif").glob("*.json")), ids=lambda p: p.stem)
def test_shipped_changes_apply(path: Path) -> None:
    from planner.whatif import apply_change, load_change

    base = load_scenario(ROOT / "default" / "scenario.yaml")
    raw = apply_change(base.raw(), load_change(path))
    assert load_scenario(raw, base_dir=base.base_dir).scenario.name == "default"


def test_default_factory_matches_its_description() -> None:
    s = load_scenario(ROOT / "default" / "scenario.yaml").scenario
    groups = {m.group for m in s.factory.machines}
    families = {p.family for p in s.products}
    assert 10 <= len(s.factory.machines) <= 15 and 4 <= len(groups) <= 5
    assert len(s.products) == 20 and 4 <= len(families) <= 6
    assert any(len(step.machines) > 1 for p in s.products for step in p.routing)
    assert len(s.factory.calendar.shifts) == 2 and s.factory.calendar.maintenance
    assert s.tariff is not None and "DE-LU_2024" in s.tariff.prices_csv
    assert s.demand.orders
    steps = [step for p in s.products for step in p.routing]
    assert {step.min_lag_minutes for step in steps if step.id == "assemble"} == {30}
    assert {step.transfer_quantity for step in steps if step.id == "weld"} == {20}
    cabinet = next(p for p in s.products if p.id == "P05-cabinet")
    bill = {(c.product, c.quantity, c.step, c.transfer_minutes) for c in cabinet.components}
    assert bill == {("P04-panel", 2, "assemble", 30), ("P03-frame", 1, "assemble", 30)}


def test_scenarios_forecast_with_the_combination_unless_told_otherwise() -> None:
    from forecasting.models import Combination, NeuralForecaster
    from planner.demand import scenario_forecaster
    from planner.scenario import ForecastSettings

    shipped = load_scenario(ROOT / "default" / "scenario.yaml").scenario.demand.forecast
    for forecast in (ForecastSettings(), shipped):
        assert isinstance(scenario_forecaster(forecast, horizon=3), Combination)
    alone = ForecastSettings(model="neural")
    assert isinstance(scenario_forecaster(alone, horizon=3), NeuralForecaster)


def test_resource_pools_take_their_capacity_per_shift() -> None:
    from planner.scenario.calendar import horizon_bounds, pools_with_shifts

    raw = copy.deepcopy(RAW)
    raw["factory"]["resources"] = [
        {"id": "operators", "capacity": 0, "shift_capacity": [3, 2]},
        {"id": "fixtures", "capacity": 2},
    ]
    raw["products"][0]["routing"][0]["needs"] = [{"pool": "operators"}]
    scenario = load_scenario(raw, base_dir=SMALL.parent).scenario
    start, end = horizon_bounds(scenario.horizon, scenario.factory.calendar)
    operators, fixtures = pools_with_shifts(scenario.factory, start, end)
    windows = sorted((w.start, w.end, w.capacity) for w in operators.windows)
    assert windows[:2] == [(360, 840, 3), (840, 1320, 2)]  # 06:00-14:00 and 14:00-22:00 local
    assert operators.capacity == 0 and (fixtures.capacity, fixtures.windows) == (2, ())


def test_resource_pool_references_are_checked_with_paths() -> None:
    raw = copy.deepcopy(RAW)
    raw["factory"]["resources"] = [{"id": "operators", "capacity": 1, "shift_capacity": [3]}]
    raw["products"][1]["routing"][0]["needs"] = [{"pool": "welders"}]
    found = issues(raw)
    assert "unknown resource pool 'welders'" in found["products[1].routing[0].needs[0].pool"]
    assert "1 capacities for 2 shifts" in found["factory.resources[0].shift_capacity"]
    raw["products"][1]["routing"][0]["needs"] = []
    raw["factory"]["resources"][0]["shift_capacity"] = [3, 2]
    raw["factory"]["calendar"]["shifts"][1]["start"] = "12:00"  # 06-14 and 12-22 overlap
    found = issues(raw)
    assert "shifts 0 and 1 overlap" in found["factory.resources[0].shift_capacity"]


def test_a_lag_in_working_time_reaches_the_jobs() -> None:
    import pandas as pd

    from planner.stages.jobs import lots_to_jobs

    raw = copy.deepcopy(RAW)
    raw["products"][0]["routing"][1].update(min_lag_minutes=45, lag_time="working")
    scenario = load_scenario(raw, base_dir=SMALL.parent).scenario
    periods = planning_periods(scenario.horizon, scenario.factory.calendar)
    lots = pd.DataFrame(
        {"product": [scenario.products[0].id], "period": [periods[1].id], "quantity": [10.0]}
    )
    (job,) = lots_to_jobs(lots, scenario.products, periods)
    step = job.operations[1]
    assert (step.min_lag_minutes, step.lag_time) == (45, "working")
    assert job.operations[0].lag_time == "calendar"
