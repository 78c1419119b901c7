"""Pegging: firm orders take stock and scheduled jobs of their product, earliest due first,
each the earliest supply still free; what nothing covers is short."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import planner
from planner.model import Problem
from planner.model.products import Product, RoutingStep, StepMachine
from planner.scenario.model import Order
from planner.stages.pegging import peg_orders

START = datetime(2024, 3, 4, tzinfo=UTC)
SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"


def _order(id: str, quantity: float, due: int, priority: float = 1.0) -> Order:
    return Order(
        id=id,
        product="P",
        quantity=quantity,
        due=START + timedelta(minutes=due),
        priority=priority,
    )


def test_orders_take_stock_then_the_earliest_ready_jobs() -> None:
    product = Product(
        id="P",
        routing=(RoutingStep(id="s", machines=(StepMachine(machine="M", minutes_per_unit=1),)),),
        initial_inventory=30,
    )
    lots = [("P@D1", "D1", 50, 100), ("P@D2#1", "D2", 25, 300), ("P@D2#2", "D2", 25, 200)]
    data = Problem(
        machines=({"id": "M"},),  # type: ignore[arg-type]
        jobs=tuple(
            {  # type: ignore[misc]
                "id": job,
                "product": "P",
                "period": period,
                "quantity": quantity,
                "operations": ({"id": "s", "machines": ({"machine": "M", "duration": 1},)},),
            }
            for job, period, quantity, _ in lots
        ),
    ).build()
    schedule = pd.DataFrame({"job": [j for j, *_ in lots], "end": [end for *_, end in lots]})
    orders = [_order("O3", 60, 400), _order("O2", 40, 250), _order("O1", 40, 150)]
    table = peg_orders(orders, [product], data, schedule, START).set_index("order")
    assert list(table.index) == ["O1", "O2", "O3"]  # earliest due first
    assert table.loc["O1", "lots"] == "stock;P@D1" and table.loc["O1", "jobs"] == "P@D1"
    assert table.loc["O1", "planned_completion"] == 100
    assert table.loc["O1", "lateness_min"] == 100 - 150
    assert table.loc["O2", "jobs"] == "P@D1" and table.loc["O2", "planned_completion"] == 100
    assert table.loc["O3", "jobs"] == "P@D2#2;P@D2#1"
    assert table.loc["O3", "planned_completion"] == 300
    assert table.loc["O3", "pegged_quantity"] == 50 and table.loc["O3", "short_quantity"] == 10
    assert (table["pegged_quantity"] + table["short_quantity"] == table["quantity"]).all()


def test_an_order_without_supply_is_short_and_has_no_completion() -> None:
    product = Product(
        id="P",
        routing=(RoutingStep(id="s", machines=(StepMachine(machine="M", minutes_per_unit=1),)),),
    )
    data = Problem(
        machines=({"id": "M"},),  # type: ignore[arg-type]
        jobs=(
            {
                "id": "X",
                "operations": ({"id": "s", "machines": ({"machine": "M", "duration": 1},)},),
            },
        ),  # type: ignore[arg-type]
    ).build()
    table = peg_orders(
        [_order("O", 5, 10)], [product], data, pd.DataFrame({"job": ["X"], "end": [1]}), START
    )
    row = table.iloc[0]
    assert row["short_quantity"] == 5 and row["pegged_quantity"] == 0
    assert pd.isna(row["planned_completion"]) and pd.isna(row["lateness_min"])


@pytest.fixture(scope="module")
def small_plan() -> planner.Plan:
    raw = planner.load_scenario(SMALL).raw()
    raw["demand"]["orders"].append(
        {
            "id": "RUSH",
            "product": "A1",
            "quantity": 60,
            "due": "2024-03-04T08:00:00+01:00",
            "priority": 5,
        }
    )
    return planner.plan(planner.load_scenario(raw, base_dir=SMALL.parent))


def test_the_plan_answers_per_order(small_plan: planner.Plan) -> None:
    from planner.report.output import late_orders, plan_files

    orders = small_plan.orders.set_index("order")
    assert set(orders.index) == {
        o.id for o in planner.load_scenario(SMALL).scenario.demand.orders
    } | {"RUSH"}
    assert (orders["pegged_quantity"] + orders["short_quantity"] == orders["quantity"]).all()
    # the jobs pegged to an order are scheduled and make its product; the schedule says so
    for order, row in orders.iterrows():
        for job in filter(None, str(row["jobs"]).split(";")):
            rows = small_plan.schedule[small_plan.schedule["job"] == job]
            assert len(rows) and (rows["product"] == row["product"]).all()
            assert all(order in ids.split(";") for ids in rows["orders"])
            assert int(rows["end"].max()) <= row["planned_completion"]
    # the rush order cannot be made by 08:00 on the first morning: it is late, and marked
    assert orders.loc["RUSH", "lateness_min"] > 0
    assert "RUSH" in late_orders(small_plan)
    files = plan_files(small_plan, charts=True)
    assert files["orders.csv"].startswith("order,product,quantity,due")
    assert orders.loc["RUSH", "jobs"] != ""
    assert "orders RUSH (late)" in files["gantt.html"]
    assert small_plan.kpis.service.orders == len(orders)


def test_the_gantt_outlines_exactly_the_operations_of_late_orders(
    small_plan: planner.Plan,
) -> None:
    from planner.report.gantt import gantt_figure
    from planner.report.output import late_orders

    late = late_orders(small_plan)
    figure = gantt_figure(small_plan.schedule, small_plan.data, late_orders=late)
    outlined, expected = 0, 0
    for trace in figure.data:
        if trace.type != "bar" or trace.name == "changeover":
            continue
        outlined += sum(colour == "#D62728" for colour in trace.marker.line.color)
    for ids in small_plan.schedule["orders"]:
        expected += bool(set(late) & set(str(ids).split(";")))
    assert expected > 0 and outlined == expected


def test_late_orders_are_explained_through_their_jobs(small_plan: planner.Plan) -> None:
    explained = {e["order"]: e for e in small_plan.explain_orders()}
    assert "RUSH" in explained
    rush = explained["RUSH"]
    assert rush["lateness_min"] > 0
    late_jobs = {e["job"] for e in small_plan.explain()}
    served = set(small_plan.orders.set_index("order").loc["RUSH", "jobs"].split(";"))
    assert {e["job"] for e in rush["late_jobs"]} == served & late_jobs
    assert all(e["reasons"] for e in rush["late_jobs"])
    on_time = small_plan.orders[small_plan.orders["lateness_min"] <= 0]["order"]
    assert not set(on_time) & set(explained)


def test_plan_json_is_the_versioned_contract(
    small_plan: planner.Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from planner.cli import main
    from planner.plan_file import PLAN_SCHEMA_VERSION, PlanFile, read_plan_file

    path = tmp_path / "plan.json"
    path.write_text(small_plan.to_json())
    read = read_plan_file(path)
    assert read.schema_version == PLAN_SCHEMA_VERSION
    assert len(read.schedule) == len(small_plan.schedule)
    assert {o.order for o in read.orders} == set(small_plan.orders["order"])
    # the printed schema is the model's
    assert main(["schema", "plan"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["properties"].keys() == PlanFile.model_json_schema()["properties"].keys()
    # another version, or a broken file, is an error naming the field
    raw = json.loads(path.read_text())
    raw["schema_version"] = 99
    path.write_text(json.dumps(raw))
    with pytest.raises(planner.InvalidInputError, match="schema version 99"):
        read_plan_file(path)
    raw["schema_version"] = PLAN_SCHEMA_VERSION
    raw["schedule"][0]["start"] = "soon"
    path.write_text(json.dumps(raw))
    with pytest.raises(planner.InvalidInputError) as info:
        read_plan_file(path)
    assert info.value.issues[0].path == "schedule[0].start"
