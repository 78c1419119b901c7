"""Validation: every problem is reported at once, with its path and what to do."""

from __future__ import annotations

from datetime import datetime

import pytest

from planner.model import InvalidInputError, Problem
from tests.conftest import job, machine, op, problem


def issues_of(**kw: object) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as info:
        problem(**kw).build()
    return {i.path: i.message for i in info.value.issues}


def test_unknown_machine_is_named_with_its_path() -> None:
    found = issues_of(
        machines=[machine("M1")], jobs=[job("J1", op("a", ("M1", 3)), op("b", ("M9", 2)))]
    )
    assert "jobs[0].operations[1].machines[0].machine" in found
    assert "unknown machine 'M9'" in found["jobs[0].operations[1].machines[0].machine"]


def test_every_problem_is_reported_at_once() -> None:
    found = issues_of(
        machines=[machine("M1"), machine("M1")],
        jobs=[
            job("J1", op("a", ("M2", 3))),
            job("J1", op("a", ("M1", 1)), op("a", ("M1", 1))),
        ],
    )
    assert "machines[1].id" in found
    assert "jobs[1].id" in found
    assert "jobs[1].operations[1].id" in found
    assert "jobs[0].operations[0].machines[0].machine" in found


def test_negative_duration_is_a_schema_error() -> None:
    with pytest.raises(InvalidInputError) as info:
        Problem.from_dict({"machines": [machine("M1")], "jobs": [job("J1", op("a", ("M1", -4)))]})
    paths = [i.path for i in info.value.issues]
    assert paths == ["jobs[0].operations[0].machines[0].duration"]
    assert "greater than or equal to 0" in info.value.issues[0].message


def test_routing_cycle_names_the_cycle() -> None:
    found = issues_of(
        machines=[machine("M1")],
        jobs=[
            job(
                "J1",
                op("a", ("M1", 1), predecessors=["c"]),
                op("b", ("M1", 1), predecessors=["a"]),
                op("c", ("M1", 1), predecessors=["b"]),
            )
        ],
    )
    assert "routing has a cycle" in found["jobs[0].operations"]
    assert "a -> b -> c -> a" in found["jobs[0].operations"] or "->" in found["jobs[0].operations"]


def test_operation_without_eligible_machine() -> None:
    found = issues_of(machines=[machine("M1")], jobs=[job("J1", {"id": "a", "machines": []})])
    assert "no eligible machine" in found["jobs[0].operations[0].machines"]


def test_unknown_predecessor_and_self_reference() -> None:
    found = issues_of(
        machines=[machine("M1")],
        jobs=[
            job(
                "J1",
                op("a", ("M1", 1), predecessors=["zz"]),
                op("b", ("M1", 1), predecessors=["b"]),
            )
        ],
    )
    assert "unknown operation 'zz'" in found["jobs[0].operations[0].predecessors[0]"]
    assert "cannot precede itself" in found["jobs[0].operations[1].predecessors[0]"]


def test_unavailability_and_time_errors() -> None:
    found = issues_of(
        machines=[machine("M1", unavailable=[{"start": 10, "end": 5}])],
        jobs=[job("J1", op("a", ("M1", 1)), release=datetime(2024, 1, 1))],
    )
    assert "end (5) must be after start (10)" in found["machines[0].unavailable[0]"]
    assert "horizon_start" in found["jobs[0].release"]


def test_energy_weight_without_tariff() -> None:
    found = issues_of(
        machines=[machine("M1")], jobs=[job("J1", op("a", ("M1", 1)))], objective={"energy_cost": 1}
    )
    assert "no tariff" in found["objective.energy_cost"]


def test_peak_power_below_idle_draw_and_too_hungry_operation() -> None:
    found = issues_of(
        machines=[machine("M1", power_kw=50, idle_power_kw=5), machine("M2", idle_power_kw=10)],
        jobs=[job("J1", op("a", ("M1", 1)))],
        peak_power_kw=40,
    )
    assert "every eligible machine draws more" in found["jobs[0].operations[0]"]
    found = issues_of(
        machines=[machine("M1", idle_power_kw=50)],
        jobs=[job("J1", op("a", ("M1", 1)))],
        peak_power_kw=40,
    )
    assert "below the idle draw" in found["peak_power_kw"]


def test_operation_longer_than_every_free_window() -> None:
    found = issues_of(
        machines=[machine("M1", unavailable=[{"start": 8, "end": 16}])],
        jobs=[job("J1", op("a", ("M1", 10)))],
        horizon_minutes=24,
    )
    assert "longer than every free window" in found["jobs[0].operations[0]"]


def test_conflicting_setup_rules() -> None:
    found = issues_of(
        machines=[machine("M1")],
        jobs=[job("J1", op("a", ("M1", 1), setup_family="A"))],
        setups=[
            {"from_family": "A", "to_family": "B", "minutes": 5},
            {"from_family": "A", "to_family": "B", "minutes": 7},
            {"from_family": "A", "to_family": "B", "minutes": 7, "machines": ["M7"]},
        ],
    )
    assert "conflicts with setups[0]" in found["setups[1]"]
    assert "unknown machine 'M7'" in found["setups[2].machines"]


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(InvalidInputError) as info:
        Problem.from_dict(
            {"machines": [{"id": "M1", "speed": 3}], "jobs": [job("J1", op("a", ("M1", 1)))]}
        )
    assert info.value.issues[0].path == "machines[0].speed"


def test_setup_rules_resolve_most_specific_first() -> None:
    data = problem(
        machines=[machine("M1"), machine("M2")],
        jobs=[
            job("J1", op("a", ("M1", 1), setup_family="A"), op("b", ("M1", 1), setup_family="B"))
        ],
        setups=[
            {"from_family": "*", "to_family": "*", "minutes": 10},
            {"from_family": "A", "to_family": "*", "minutes": 20},
            {"from_family": "A", "to_family": "B", "minutes": 30},
            {"from_family": "*", "to_family": "*", "minutes": 40, "machines": ["M2"]},
        ],
    ).build()
    a, b = data.families.index("A"), data.families.index("B")
    assert data.setup_times[0, a, b] == 30
    assert data.setup_times[0, b, a] == 10
    assert data.setup_times[0, a, a] == 0  # wildcards never apply within a family
    assert data.setup_times[1, a, b] == 40


def test_sequence_routing_is_the_listed_order_and_dag_when_given() -> None:
    data = problem(
        machines=[machine("M1")],
        jobs=[
            job("J1", op("a", ("M1", 1)), op("b", ("M1", 1)), op("c", ("M1", 1))),
            job(
                "J2",
                op("x", ("M1", 1)),
                op("y", ("M1", 1)),
                op("z", ("M1", 1), predecessors=["x", "y"]),
            ),
        ],
    ).build()
    assert data.op_predecessors[:3] == ((), (0,), (1,))
    assert data.op_predecessors[3:] == ((), (), (3, 4))


def test_batch_rules_are_checked_where_products_are_defined() -> None:
    from pydantic import ValidationError

    from planner.model.products import Product

    step = {"id": "S1", "machines": [{"machine": "M1", "minutes_per_unit": 1.0}]}
    with pytest.raises(ValidationError, match="batch_multiple exceeds max_batch"):
        Product(id="A", routing=(step,), max_batch=10, batch_multiple=20)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="below min_batch"):
        Product(id="A", routing=(step,), min_batch=50, max_batch=10)  # type: ignore[arg-type]
    assert Product(id="A", routing=(step,), max_batch=20, batch_multiple=5).max_batch == 20  # type: ignore[arg-type]
