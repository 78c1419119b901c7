"""Component links (a multi-level bill of materials in the schedule): a component that gates
an assembly, solved to its exact optimum by every strategy; the checker naming a broken
link; explanations; input errors at their paths."""

from __future__ import annotations

from typing import Any

import pytest

from planner.check import check
from planner.explain import explain_late_jobs
from planner.model import InvalidInputError, Problem, SolverSettings
from planner.schedule import Schedule
from planner.scheduling import solve
from planner.scheduling.bounds import objective_lower_bound
from tests.conftest import job, machine, op, optimum_by_every_strategy, problem


def cabinet(transfer: int | None, due: int | None = None, **kw: Any) -> Problem:
    """PANEL is cut on A (10); CAB is welded on B (5), then assembled on B (8) from the
    panels (``transfer`` minutes after they are cut; no link when ``None``)."""
    link = [] if transfer is None else [{"job": "PANEL", "transfer_minutes": transfer}]
    panel_due = kw.pop("panel_due", None)
    return problem(
        machines=[machine("A"), machine("B")],
        jobs=[
            job("CAB", op("weld", ("B", 5)), op("assemble", ("B", 8), components=link), due=due),
            job("PANEL", op("cut", ("A", 10)), due=panel_due),
        ],
        **kw,
    )


def test_a_component_gates_the_assembly() -> None:
    # alone the cabinet ends at 13; its panels end at 10, then 3 min transfer: 13 + 8 = 21
    assert optimum_by_every_strategy(cabinet(None)) == 13
    assert optimum_by_every_strategy(cabinet(0)) == 18
    assert optimum_by_every_strategy(cabinet(3)) == 21


def test_the_bound_counts_the_link() -> None:
    assert objective_lower_bound(cabinet(3).build()) == 21


def test_the_checker_names_a_broken_link() -> None:
    data = cabinet(3).build()
    early = Schedule.from_lists(machine=[1, 1, 0], start=[0, 5, 0], end=[5, 13, 10])
    report = check(data, early)
    kinds = {v.kind for v in report.violations}
    assert kinds == {"component"}
    (violation,) = report.violations
    assert set(violation.operations) == {1, 2}
    assert "job PANEL ends at 10 (+3 min transfer)" in violation.message


def test_a_late_assembly_is_explained_by_its_components() -> None:
    result = solve(cabinet(3, due=15), SolverSettings(time_limit_s=5, workers=1))
    (late,) = explain_late_jobs(result, None)
    assert late["reasons"][0] == (
        "CAB/assemble waits for the components made by job PANEL (ends 10) and 3 min transfer"
    )
    assert late["binding"][0] == "component"


def test_the_supplier_keeps_its_own_tardiness() -> None:
    # PANEL due at 5 ends at 10 (5 late) and CAB due at 15 ends at 21 (6 late): the supplier's
    # lateness counts for its own job though its successor belongs to another
    tardiness = {"makespan": 0, "weighted_tardiness": 1}
    assert optimum_by_every_strategy(cabinet(3, due=15, panel_due=5, objective=tardiness)) == 11


def test_links_that_cannot_be_are_listed_at_their_paths() -> None:
    bad = problem(
        machines=[machine("A")],
        jobs=[
            job("X", op("a", ("A", 1), components=[{"job": "Y"}, {"job": "NOPE"}])),
            job("Y", op("b", ("A", 1), components=[{"job": "Y"}])),
        ],
    )
    with pytest.raises(InvalidInputError) as raised:
        bad.build()
    paths = {issue.path: issue.message for issue in raised.value.issues}
    assert "unknown job 'NOPE'" in paths["jobs[0].operations[0].components[1].job"]
    assert "its own output" in paths["jobs[1].operations[0].components[0].job"]
    cycle = problem(
        machines=[machine("A")],
        jobs=[
            job("X", op("a", ("A", 1), components=[{"job": "Y"}])),
            job("Y", op("b", ("A", 1), components=[{"job": "X"}])),
        ],
    )
    with pytest.raises(InvalidInputError) as raised:
        cycle.build()
    assert "cycle" in raised.value.issues[0].message


def test_synthetic_factories_with_a_bill_of_materials_are_planned_and_checked() -> None:
    from planner.io.synthetic import synthetic_problem
    from tests.conftest import assert_checked

    made = synthetic_problem(12, 4, 3, seed=2, lags=True, operators=True, components=True)
    data = made.build()
    assert len(data.job_components) >= 3 and data.link_lag
    for strategy in ("lns", "cpsat"):
        result = solve(data, SolverSettings(time_limit_s=3, workers=1, strategy=strategy))
        assert_checked(result, data)


@pytest.mark.parametrize("seed", range(6))
def test_the_flexible_search_keeps_component_links(seed: int) -> None:
    """On random factories where jobs consume what earlier jobs make (with maximum lags
    too), the flexible tabu search applies; every plan it returns passes the checker and is
    no worse than the rule's."""
    import math
    import random

    from planner.check import check
    from planner.scheduling.construct import dispatch
    from planner.scheduling.flexible import FlexibleTabuSearch, flexible_applies

    rng = random.Random(seed)
    jobs = []
    for j in range(5):
        ops = [
            op(
                f"o{k}",
                *[(m, rng.randint(2, 9)) for m in rng.sample("ABC", rng.randint(1, 2))],
                setup_family=rng.choice("xy"),
                **({"max_lag_minutes": 15} if k and rng.random() < 0.3 else {}),
            )
            for k in range(3)
        ]
        if j and rng.random() < 0.7:
            link = {"job": f"J{rng.randrange(j)}", "transfer_minutes": rng.choice([0, 4])}
            ops[rng.randrange(3)]["components"] = [link]
        jobs.append(job(f"J{j}", *ops, release=rng.randint(0, 5)))
    data = problem(
        machines=[machine("A", unavailable=[{"start": 12, "end": 20}]), machine("B"), machine("C")],
        jobs=jobs,
        setups=[{"from_family": "*", "to_family": "*", "minutes": 2}],
    ).build()
    assert flexible_applies(data)
    start = dispatch(data)
    before = check(data, start)
    assert before.feasible, before.summary()
    found = FlexibleTabuSearch(data, seed=seed).improve(start, lambda: math.inf, max_steps=400)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.objective <= before.kpis.objective + 1e-9
