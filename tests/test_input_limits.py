"""Numbers and times the solvers cannot use are rejected at the boundary, each under the
user's own field path: infinities, NaN, absurdly large values, true/false where a number is
meant, seeds beyond 32 bits, and times without a UTC offset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import planner
from planner.model import InvalidInputError, Problem, SolverSettings
from tests.conftest import job, machine, op

SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"


def _set(raw: dict[str, Any], path: str, value: Any) -> None:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    target: Any = raw
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


SCENARIO_CASES = [
    ("products.0.routing.0.machines.0.fixed_minutes", float("inf")),
    ("products.0.min_batch", 1e300),
    ("products.0.initial_inventory", float("inf")),
    ("demand.orders.0.quantity", 1e300),
    ("demand.scale", float("inf")),
    ("demand.orders.0.priority", float("inf")),
    ("objective.energy_cost", 1e300),
    ("solver.time_limit_s", float("inf")),
    ("lot_sizing.time_limit_s", float("inf")),
    ("solver.seed", 2**64),
    ("demand.forecast.seed", -1),
    ("demand.orders.0.due", "2024-03-05T22:00:00"),
    ("products.0.routing.0.machines.0.minutes_per_unit", True),
    ("demand.forecast.quantiles", []),
    ("demand.product_scale", {"A0": -1}),
    ("demand.orders.0.due", "2024-03-05T10:00"),
]


@pytest.mark.parametrize(("path", "value"), SCENARIO_CASES, ids=[c[0] for c in SCENARIO_CASES])
def test_the_scenario_rejects_it_under_the_users_field(path: str, value: Any) -> None:
    raw = planner.load_scenario(SMALL).raw()
    _set(raw, path, value)
    with pytest.raises(InvalidInputError) as info:
        planner.load_scenario(raw, base_dir=SMALL.parent)
    expected = path.replace(".0.", "[0].").replace(".0", "[0]")
    paths = [issue.path for issue in info.value.issues]
    assert any(p == expected or p.startswith(f"{expected}.") for p in paths), paths


def test_every_bad_number_is_listed_at_once() -> None:
    raw = planner.load_scenario(SMALL).raw()
    for path, value in SCENARIO_CASES[:4]:
        _set(raw, path, value)
    with pytest.raises(InvalidInputError) as info:
        planner.load_scenario(raw, base_dir=SMALL.parent)
    assert len(info.value.issues) >= 4


@pytest.mark.parametrize(
    ("field", "value"),
    [("power_kw", float("inf")), ("idle_power_kw", 1e300), ("power_kw", float("nan"))],
)
def test_the_problem_rejects_it(field: str, value: float) -> None:
    with pytest.raises(InvalidInputError) as info:
        Problem.from_dict(
            {
                "machines": [machine("M", **{field: value})],
                "jobs": [job("J", op("o", ("M", 5)))],
            }
        )
    assert [i.path for i in info.value.issues] == [f"machines[0].{field}"]


def test_a_duration_of_true_is_not_one_minute() -> None:
    with pytest.raises(InvalidInputError) as info:
        Problem.from_dict(
            {
                "machines": [machine("M")],
                "jobs": [
                    {
                        "id": "J",
                        "operations": [
                            {"id": "o", "machines": [{"machine": "M", "duration": True}]}
                        ],
                    }
                ],
            }
        )
    assert info.value.issues[0].path == "jobs[0].operations[0].machines[0].duration"


def test_settings_reject_seeds_beyond_32_bits_and_infinite_limits() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        SolverSettings(seed=2**40)
    with pytest.raises(ValidationError):
        SolverSettings(time_limit_s=float("inf"))
    assert SolverSettings(seed=2**31 - 1).seed == 2**31 - 1


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("", "no rows"),
        ("2024-03-04T00:00:00Z,inf\n", "out-of-range"),
        ("2024-03-04T00:00:00Z,1e300\n", "out-of-range"),
    ],
)
def test_a_prices_file_without_usable_prices_is_rejected(
    tmp_path: Path, rows: str, expected: str
) -> None:
    from planner.io import load_hourly_prices

    csv = tmp_path / "prices.csv"
    csv.write_text("datetime_utc,price\n" + rows)
    with pytest.raises(InvalidInputError, match=expected):
        load_hourly_prices(csv)


def test_a_production_log_whose_runs_take_no_time_is_rejected_under_its_field(
    tmp_path: Path,
) -> None:
    import pandas as pd

    from planner.io.scenario_files import read_scenario_files
    from planner.stages.inputs import planning_inputs

    default = Path(planner.__file__).parent / "scenarios" / "default"
    loaded = planner.load_scenario(default / "scenario.yaml")
    log = pd.read_csv(default / loaded.scenario.production_log_csv)  # type: ignore[operator]
    log["minutes"] = 0
    log.to_csv(tmp_path / "log.csv", index=False)
    raw = loaded.raw()
    raw["production_log_csv"] = str(tmp_path / "log.csv")
    changed = planner.load_scenario(raw, base_dir=default)
    with pytest.raises(InvalidInputError) as info:
        planning_inputs(changed.scenario, read_scenario_files(changed))
    assert info.value.issues[0].path == "production_log_csv (log.minutes)"


def test_a_machine_group_needs_a_name() -> None:
    with pytest.raises(InvalidInputError) as info:
        Problem.from_dict(
            {"machines": [machine("M", group="")], "jobs": [job("J", op("o", ("M", 5)))]}
        )
    assert info.value.issues[0].path == "machines[0].group"


def test_free_holding_is_valid_input() -> None:
    raw = planner.load_scenario(SMALL).raw()
    for product in raw["products"]:
        product["holding_cost"] = 0
    assert planner.plan(planner.load_scenario(raw, base_dir=SMALL.parent)).feasible


def test_free_backlog_plans_nothing_and_says_so() -> None:
    from planner.model.errors import NoFeasiblePlanError

    raw = planner.load_scenario(SMALL).raw()
    for product in raw["products"]:
        product["backlog_cost"] = 0
    with pytest.raises(NoFeasiblePlanError) as info:
        planner.plan(planner.load_scenario(raw, base_dir=SMALL.parent))
    assert info.value.reasons[0].path == "lot_sizing"
    assert "nothing to make" in info.value.reasons[0].message


def test_calendar_and_order_rules_name_the_field() -> None:
    raw = planner.load_scenario(SMALL).raw()
    raw["factory"]["calendar"]["shifts"][0] = {"start": "06:00", "end": "06:00"}
    raw["factory"]["calendar"]["working_days"] = [0, 0, 1, 1]
    raw["demand"]["orders"].append(dict(raw["demand"]["orders"][0]))  # same id again
    with pytest.raises(InvalidInputError) as info:
        planner.load_scenario(raw, base_dir=SMALL.parent)
    paths = {issue.path for issue in info.value.issues}
    assert {
        "factory.calendar.shifts[0]",
        "factory.calendar.working_days[1]",
        "factory.calendar.working_days[3]",
        "demand.orders[1].id",
    } <= paths


@pytest.mark.parametrize(
    ("change", "path"),
    [("negative", "demand.history_csv (y)"), ("future", "demand.history_csv (ds)")],
)
def test_a_history_that_cannot_be_demand_is_rejected(
    tmp_path: Path, change: str, path: str
) -> None:
    import pandas as pd

    loaded = planner.load_scenario(SMALL)
    history = pd.read_csv(SMALL.parent / "history.csv")
    if change == "negative":
        history.loc[3, "y"] = -5
    else:
        history.loc[len(history) - 1, "ds"] = "2060-01-01"
    history.to_csv(tmp_path / "history.csv", index=False)
    raw = loaded.raw()
    raw["demand"]["history_csv"] = str(tmp_path / "history.csv")
    with pytest.raises(InvalidInputError) as info:
        planner.plan(planner.load_scenario(raw, base_dir=SMALL.parent))
    assert path in {issue.path for issue in info.value.issues}


def _numbers(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every number in a JSON Schema, with where it is."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") in ("number", "integer"):
            found.append((path, node))
        for key, child in node.items():
            found += _numbers(child, f"{path}/{key}")
    elif isinstance(node, list):
        for k, child in enumerate(node):
            found += _numbers(child, f"{path}/{k}")
    return found


def _schemas() -> dict[str, dict[str, Any]]:
    from planner.lotsizing import LotSizingProblem
    from planner.scenario import scenario_schema

    return {
        "scenario": scenario_schema(),
        "problem": Problem.model_json_schema(),
        "lots": LotSizingProblem.model_json_schema(),
    }


@pytest.mark.parametrize("kind", ["scenario", "problem", "lots"])
def test_every_number_states_its_limits_in_the_schema(kind: str) -> None:
    numbers = _numbers(_schemas()[kind])
    assert numbers
    unbounded = [
        path
        for path, node in numbers
        if not ({"maximum", "exclusiveMaximum"} & node.keys())
        or not ({"minimum", "exclusiveMinimum"} & node.keys())
    ]
    assert not unbounded


def test_the_stated_limit_is_the_enforced_one() -> None:
    schema = _schemas()["scenario"]
    stated = schema["$defs"]["Product"]["properties"]["initial_inventory"]["maximum"]
    raw = planner.load_scenario(SMALL).raw()
    _set(raw, "products.0.initial_inventory", stated)
    planner.load_scenario(raw, base_dir=SMALL.parent)
    _set(raw, "products.0.initial_inventory", stated + 1)
    with pytest.raises(InvalidInputError) as info:
        planner.load_scenario(raw, base_dir=SMALL.parent)
    assert [i.path for i in info.value.issues] == ["products[0].initial_inventory"]


def test_a_release_far_beyond_any_horizon_is_bad_input_not_infeasible() -> None:
    with pytest.raises(InvalidInputError) as info:
        Problem.from_dict(
            {"machines": [machine("M")], "jobs": [job("J", op("o", ("M", 5)), release=10**12)]}
        )
    assert [i.path for i in info.value.issues] == ["jobs[0].release"]


def test_a_what_if_time_without_an_offset_is_rejected() -> None:
    from planner.whatif import apply_change

    raw = planner.load_scenario(SMALL).raw()
    edit = {"edit": "machine_down", "machine": "CUT1", "start": "2024-03-05T10:00:00"}
    with pytest.raises(InvalidInputError) as info:
        planner.load_scenario(apply_change(raw, [{**edit, "end": "2024-03-05T12:00:00"}]))
    # reported where the edit put it: the maintenance window it adds to the calendar
    assert {i.path for i in info.value.issues} == {
        "factory.calendar.maintenance[0].start",
        "factory.calendar.maintenance[0].end",
    }
