"""Bills of materials end to end: lots of all levels planned together, each consuming step
after the jobs that make its components (plus the transfer time), pegging that follows the
links and counts the components' stock, rescheduling that drops links no longer needed, and a
broken bill reported at its paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import planner
from planner.check import check
from planner.cli import main
from planner.model import Job
from planner.model.errors import InvalidInputError
from planner.model.products import Product, RoutingStep, StepMachine
from planner.stages.components import link_components

SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"
TRANSFER = 20


def _with_bill(raw: dict[str, Any]) -> dict[str, Any]:
    """A0 is packed with 2 units of A3 each (made on the same lines), 20 min after they are
    done; A3 keeps 30 in stock and has an order of its own."""
    products = raw["products"]
    a0 = next(p for p in products if p["id"] == "A0")
    a3 = next(p for p in products if p["id"] == "A3")
    a0["components"] = [
        {"product": "A3", "quantity": 2, "step": "pack", "transfer_minutes": TRANSFER}
    ]
    a3["initial_inventory"] = 30
    raw["demand"]["orders"].append(
        {"id": "SPARES", "product": "A3", "quantity": 25, "due": "2024-03-07T14:00:00+01:00"}
    )
    return raw


@pytest.fixture(scope="module")
def bom_plan() -> planner.Plan:
    raw = _with_bill(planner.load_scenario(SMALL).raw())
    return planner.plan(planner.load_scenario(raw, base_dir=SMALL.parent))


def test_each_consuming_step_waits_for_its_components(bom_plan: planner.Plan) -> None:
    plan, data = bom_plan, bom_plan.data
    assert plan.feasible and check(data, plan.result.assignment).feasible  # type: ignore[arg-type]
    ends = plan.schedule.groupby("job")["end"].max()
    packs = plan.schedule[plan.schedule["operation"] == "pack"].set_index("job")["start"]
    links = [(data.job_ids[c], data.job_ids[j], units) for c, j, units in data.job_components]
    assert links, "the A0 jobs take A3 from A3's jobs"
    for component, consumer, _ in links:
        assert data.job_products[data.job_ids.index(component)] == "A3"
        assert packs[consumer] >= ends[component] + TRANSFER
    # every A0 job gets its 2 units of A3 per unit: from its links, and the rest from stock
    quantity = dict(zip(data.job_ids, data.job_quantities, strict=True))
    linked: dict[str, float] = {}
    for _, consumer, units in links:
        linked[consumer] = linked.get(consumer, 0.0) + units
    consumers = [j for j, p in zip(data.job_ids, data.job_products, strict=True) if p == "A0"]
    from_stock = sum(2 * quantity[j] - linked.get(j, 0.0) for j in consumers)
    assert -1e-6 <= from_stock <= 30 + 1e-6


def test_the_lot_plan_makes_the_components_its_consumers_take(bom_plan: planner.Plan) -> None:
    lots = bom_plan.lots
    made = lots.pivot(index="product", columns="period", values="quantity")
    taken = lots.pivot(index="product", columns="period", values="dependent_demand")
    assert np.allclose(taken.loc["A3"], 2 * made.loc["A0"])
    supply = 30 + np.cumsum(made.loc["A3"].to_numpy())
    assert (supply - np.cumsum(taken.loc["A3"].to_numpy()) >= -1e-6).all()


def test_pegging_follows_the_links(bom_plan: planner.Plan) -> None:
    orders = bom_plan.orders.set_index("order")
    jobs = str(orders.loc["O1", "jobs"]).split(";")
    products = dict(zip(bom_plan.data.job_ids, bom_plan.data.job_products, strict=True))
    assert "A0" in {products[j] for j in jobs}
    a3_jobs = [j for j in jobs if products[j] == "A3"]
    linked = {
        bom_plan.data.job_ids[c]
        for c, j, _ in bom_plan.data.job_components
        if bom_plan.data.job_ids[j] in jobs
    }
    assert set(a3_jobs) == linked
    # what the A0 jobs took of A3 (stock included) is not there for A3's own order
    spares = orders.loc["SPARES"]
    assert spares["pegged_quantity"] + spares["short_quantity"] == pytest.approx(25)
    data = bom_plan.data
    a3_supply = 30 + sum(
        q for q, p in zip(data.job_quantities, data.job_products, strict=True) if p == "A3"
    )
    a0_need = 2 * sum(
        q for q, p in zip(data.job_quantities, data.job_products, strict=True) if p == "A0"
    )
    assert spares["pegged_quantity"] <= max(0.0, a3_supply - a0_need) + 1e-6


def test_rescheduling_drops_links_to_cancelled_jobs(bom_plan: planner.Plan, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(bom_plan.to_json())
    data = bom_plan.data
    supplier = data.job_ids[data.job_components[0][0]]
    actuals = pd.DataFrame(
        [{"job": supplier, "operation": "", "status": "cancelled"}],
        columns=["job", "operation", "machine", "status", "actual_start", "actual_end"],
    )
    raw = _with_bill(planner.load_scenario(SMALL).raw())
    scenario = planner.load_scenario(raw, base_dir=SMALL.parent)
    new = planner.plan(scenario, previous_plan=path, frozen_until=0, actuals=actuals)
    assert new.feasible and check(new.data, new.result.assignment).feasible  # type: ignore[arg-type]
    assert supplier not in set(new.schedule["job"])
    assert all(new.data.job_ids[c] != supplier for c, _, _ in new.data.job_components)


def test_stock_first_then_jobs_in_release_order() -> None:
    routing = (RoutingStep(id="s", machines=(StepMachine(machine="M", minutes_per_unit=1),)),)
    products = [
        Product(
            id="CAB",
            routing=routing,
            components=({"product": "PANEL", "quantity": 2, "transfer_minutes": 5},),  # type: ignore[arg-type]
        ),
        Product(id="PANEL", routing=routing, initial_inventory=6),
    ]

    def lot(id: str, product: str, quantity: float, release: int) -> Job:
        operations = ({"id": "s", "machines": ({"machine": "M", "duration": 1},)},)
        return Job(
            id=id, product=product, quantity=quantity, release=release, operations=operations
        )  # type: ignore[arg-type]

    jobs = [lot("C2", "CAB", 5, 100), lot("C1", "CAB", 5, 0), lot("P1", "PANEL", 8, 0)]
    jobs += [lot("P2", "PANEL", 20, 100)]
    linked = {job.id: job.operations[0].components for job in link_components(jobs, products)}
    # C1 needs 10: 6 from stock, 4 from P1; C2 needs 10: P1's other 4, then 6 of P2
    assert [(c.job, c.quantity, c.transfer_minutes) for c in linked["C1"]] == [("P1", 4.0, 5)]
    assert [(c.job, c.quantity) for c in linked["C2"]] == [("P1", 4.0), ("P2", 6.0)]
    assert linked["P1"] == () and linked["P2"] == ()


def test_a_broken_bill_is_listed_with_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = planner.load_scenario(SMALL).raw()
    products = raw["products"]
    products[0]["components"] = [{"product": "NOPE", "quantity": 1}]
    products[1]["components"] = [{"product": "A2", "quantity": 1}]
    products[2]["components"] = [{"product": "A1", "quantity": 1, "step": "weld"}]
    with pytest.raises(InvalidInputError) as raised:
        planner.load_scenario(raw, base_dir=SMALL.parent)
    messages = {issue.path: issue.message for issue in raised.value.issues}
    assert "unknown product 'NOPE'" in messages["products[0].components[0].product"]
    assert "not in the routing" in messages["products[2].components[0].step"]
    assert "cycle: A1 -> A2 -> A1" in messages["products[1].components"]
    import yaml

    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "products[0].components[0].product" in capsys.readouterr().err


def test_a_rush_order_brings_jobs_for_its_components(
    bom_plan: planner.Plan, tmp_path: Path
) -> None:
    from planner.whatif import apply_change

    path = tmp_path / "plan.json"
    path.write_text(bom_plan.to_json())
    due = (pd.Timestamp(bom_plan.horizon_start) + pd.Timedelta(days=3)).isoformat()
    rush = [{"edit": "rush_order", "product": "A0", "quantity": 15, "due": due, "priority": 5}]
    raw = apply_change(_with_bill(planner.load_scenario(SMALL).raw()), rush)
    scenario = planner.load_scenario(raw, base_dir=SMALL.parent)
    order = next(o.id for o in scenario.scenario.demand.orders if o.quantity == 15)
    new = planner.plan(scenario, time_limit=5, previous_plan=path, frozen_until=0)
    assert new.feasible and check(new.data, new.result.assignment).feasible  # type: ignore[arg-type]
    data = new.data
    ours = [j for j, job in enumerate(data.job_ids) if job.endswith("+" + order)]
    products = {data.job_products[j]: data.job_quantities[j] for j in ours}
    assert products == {"A0": 15, "A3": 30}  # 2 units of A3 in each A0
    (a0,) = [j for j in ours if data.job_products[j] == "A0"]
    (a3,) = [j for j in ours if data.job_products[j] == "A3"]
    assert (a3, a0, 30.0) in data.job_components
    assert new.lots["quantity"].sum() == pytest.approx(bom_plan.lots["quantity"].sum() + 45)


def test_a_replan_drops_links_into_started_work_and_from_missing_jobs() -> None:
    from planner.stages.components import settled_links

    def lot(id: str, **op: Any) -> Job:
        operations = ({"id": "s", "machines": ({"machine": "M", "duration": 1},), **op},)
        return Job(id=id, operations=operations)  # type: ignore[arg-type]

    links = [{"job": "P1"}, {"job": "GONE"}]
    pinned = {"machine": "M", "start": 0}
    jobs = [lot("P1"), lot("C1", components=links), lot("C2", components=links, pinned=pinned)]
    settled = {job.id: job.operations[0].components for job in settled_links(jobs)}
    assert [c.job for c in settled["C1"]] == ["P1"]  # the cancelled job's link goes
    assert settled["C2"] == ()  # it started: its components were there


def test_the_default_factory_assembles_cabinets_from_its_panels_and_frames() -> None:
    """The default factory makes cabinets from the panel and frame jobs of its plan. How many
    cabinets a week's plan makes depends on the forecast, and panels and frames on hand cover
    a small lot, so the test raises the cabinet order SO-1002 and empties that stock."""
    default = Path(planner.__file__).parent / "scenarios" / "default" / "scenario.yaml"
    raw = planner.load_scenario(default).raw()
    for order in raw["demand"]["orders"]:
        if order["id"] == "SO-1002":
            order["quantity"] = 200
    for product in raw["products"]:
        if product["id"] in ("P03-frame", "P04-panel"):
            product["initial_inventory"] = 0
    plan = planner.plan(planner.load_scenario(raw, base_dir=default.parent), time_limit=30)
    data = plan.data
    lots = plan.lots.set_index(["product", "period"])
    cabinets = lots.loc["P05-cabinet", "quantity"]
    assert plan.feasible and cabinets.sum() > 0 and data.job_components
    made = {(data.job_products[c], data.job_products[j]) for c, j, _ in data.job_components}
    assert made <= {("P04-panel", "P05-cabinet"), ("P03-frame", "P05-cabinet")}
    assert ("P04-panel", "P05-cabinet") in made and ("P03-frame", "P05-cabinet") in made
