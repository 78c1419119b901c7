"""The plan file as a contract: a saved plan reads back equal, KPIs are typed, and what does
not match the schema is refused with every problem listed."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import planner
from planner.kpis import PlanKpis
from planner.model import InvalidInputError
from planner.plan_file import FRAME_ROWS, plan_schema
from planner.report.output import plan_files, write_atomic

SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[planner.Plan, Path]:
    plan = planner.plan(SMALL, time_limit=5)
    folder = write_atomic(tmp_path_factory.mktemp("runs") / "small", plan_files(plan, False))
    return plan, folder / "plan.json"


def test_a_saved_plan_loads_back_equal(saved: tuple[planner.Plan, Path]) -> None:
    plan, path = saved
    loaded = planner.load_plan(path)
    assert loaded.to_dict() == plan.to_dict()
    assert loaded.to_json() == path.read_text()
    for name in [*FRAME_ROWS, "throughput"]:
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(plan, name), obj=name)
    assert loaded.kpis == plan.kpis
    assert loaded.explanations == plan.explanations
    assert loaded.explain_orders() == plan.explain_orders()
    assert loaded.feasible and loaded.status == plan.status
    assert loaded.result is None and loaded.data is None  # in-memory only, and says so


def test_kpis_are_typed_and_immutable(saved: tuple[planner.Plan, Path]) -> None:
    plan, path = saved
    assert isinstance(plan.kpis, PlanKpis)
    assert plan.kpis.schedule.makespan == int(plan.schedule["end"].max())
    assert plan.kpis.service.operations == len(plan.schedule)
    with pytest.raises(ValueError, match="frozen"):
        plan.kpis.service.jobs = 0  # type: ignore[misc]
    written = json.loads((path.parent / "kpis.json").read_text())
    assert PlanKpis.model_validate(written) == plan.kpis


def test_the_tables_have_one_canonical_form(saved: tuple[planner.Plan, Path]) -> None:
    plan, _ = saved
    assert str(plan.schedule["start_time"].dtype) == "datetime64[ns, UTC]"
    assert str(plan.orders["planned_completion"].dtype) == "Int64"
    assert str(plan.orders["planned_completion_time"].dtype) == "datetime64[ns, UTC]"
    assert list(plan.lots.columns)[:3] == ["product", "period", "quantity"]


def test_the_schema_types_the_kpis() -> None:
    kpis = plan_schema()["$defs"]["PlanKpis"]
    assert {"status", "objective", "bound", "schedule", "service", "stability"} <= set(
        kpis["properties"]
    )


def test_a_plan_file_that_breaks_the_schema_lists_every_problem(
    saved: tuple[planner.Plan, Path], tmp_path: Path
) -> None:
    raw = json.loads(saved[1].read_text())
    raw["kpis"]["service"]["jobs"] = "many"
    raw["schedule"][0]["start"] = "soon"
    del raw["lots"][0]["quantity"]
    broken = tmp_path / "plan.json"
    broken.write_text(json.dumps(raw))
    with pytest.raises(InvalidInputError) as info:
        planner.load_plan(broken)
    paths = {issue.path for issue in info.value.issues}
    assert {"kpis.service.jobs", "schedule[0].start", "lots[0].quantity"} <= paths


def test_a_plan_of_another_schema_version_is_refused(
    saved: tuple[planner.Plan, Path], tmp_path: Path
) -> None:
    raw = json.loads(saved[1].read_text())
    raw["schema_version"] = 99
    other = tmp_path / "plan.json"
    other.write_text(json.dumps(raw))
    with pytest.raises(InvalidInputError, match="schema version 99"):
        planner.load_plan(other)


def test_a_plan_without_orders_loads_back_equal(tmp_path: Path) -> None:
    raw = planner.load_scenario(SMALL).raw()
    raw["demand"]["orders"] = []
    plan = planner.plan(planner.load_scenario(raw, base_dir=SMALL.parent), time_limit=3)
    folder = write_atomic(tmp_path / "run", plan_files(plan, False))
    loaded = planner.load_plan(folder / "plan.json")
    assert plan.orders.empty and list(plan.orders.columns)[:2] == ["order", "product"]
    assert loaded.to_dict() == plan.to_dict()
    for name in FRAME_ROWS:
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(plan, name), obj=name)
