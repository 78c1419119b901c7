"""Resource pools (operators, tools, fixtures): one tiny hand-solvable model each, with its
exact optimum from every strategy, the checker naming an over-held pool, the KPIs, and input
errors with their paths."""

from __future__ import annotations

from typing import Any

import pytest

from planner.check import check
from planner.model import InvalidInputError, Problem, SolverSettings
from planner.schedule import Schedule
from planner.scheduling import solve
from planner.scheduling.bounds import objective_lower_bound
from planner.scheduling.flexible import flexible_applies
from tests.conftest import job, machine, op, optimum_by_every_strategy, problem


def two_machines(pool: dict[str, Any], need: dict[str, Any] | None = None, **kw: Any) -> Problem:
    """J1 runs 10 on A, J2 10 on B; both need ``need`` (one unit of ``pool`` by default)."""
    need = need or {"pool": pool["id"]}
    return problem(
        machines=[machine("A", **kw.get("a", {})), machine("B", **kw.get("b", {}))],
        jobs=[
            job("J1", op("a", ("A", 10), needs=[need], **kw.get("op", {}))),
            job("J2", op("b", ("B", 10), needs=[need], **kw.get("op", {}))),
        ],
        resources=[pool],
        **kw.get("problem", {}),
    )


def test_one_operator_serialises_two_machines() -> None:
    assert optimum_by_every_strategy(two_machines({"id": "operators", "capacity": 2})) == 10
    assert optimum_by_every_strategy(two_machines({"id": "operators", "capacity": 1})) == 20


def test_a_capacity_window_holds_the_work_back() -> None:
    # nobody until minute 15 (the shift starts), then two operators: both run 15-25
    pool = {"id": "operators", "capacity": 2, "windows": [{"start": 0, "end": 15, "capacity": 0}]}
    assert optimum_by_every_strategy(two_machines(pool)) == 25
    # one operator on the early shift (to 15), two later: 0-10, then the other from 10
    pool["windows"] = [{"start": 0, "end": 15, "capacity": 1}]
    assert optimum_by_every_strategy(two_machines(pool)) == 20


def test_a_setter_needed_during_the_changeover_only() -> None:
    # both machines come set up for x and must change over to y (5 min) first; the one setter
    # does one changeover after the other: A 0-5 then 5-15, B 5-10 then 10-20
    p = two_machines(
        {"id": "setters", "capacity": 1},
        {"pool": "setters", "during": "setup"},
        a={"initial_family": "x"},
        b={"initial_family": "x"},
        op={"setup_family": "y"},
        problem={"setups": [{"from_family": "x", "to_family": "y", "minutes": 5}]},
    )
    assert optimum_by_every_strategy(p) == 20


def test_the_utilisation_of_a_pool() -> None:
    p = two_machines({"id": "operators", "capacity": 2})
    result = solve(p, SolverSettings(time_limit_s=5, workers=1, strategy="cpsat"))
    assert result.kpis is not None
    assert result.kpis.resource_utilisation == {"operators": 1.0}  # 2 x 10 of 2 x 10


def test_the_checker_names_an_over_held_pool() -> None:
    data = two_machines({"id": "operators", "capacity": 1}).build()
    both = Schedule.from_lists([0, 1], [0, 5], [10, 15])
    report = check(data, both)
    (broken,) = [v for v in report.violations if v.kind == "resource"]
    assert broken.operations == (0, 1)
    assert "operators is held 2 times from minute 5 to 10 but has 1" in broken.message
    assert check(data, Schedule.from_lists([0, 1], [0, 10], [10, 20])).feasible


def test_the_flexible_search_times_pools() -> None:
    # (its timing under pools: tests/scheduling/test_flexible_shared.py)
    assert flexible_applies(two_machines({"id": "operators", "capacity": 1}).build())


def issues_of(p: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as info:
        Problem.from_dict(p).build()
    return {i.path: i.message for i in info.value.issues}


def test_every_pool_problem_is_named_at_its_path() -> None:
    found = issues_of(
        {
            "machines": [machine("A")],
            "jobs": [
                job("J1", op("a", ("A", 1), needs=[{"pool": "welders"}])),
                job("J2", op("a", ("A", 1), needs=[{"pool": "fixtures", "units": 3}])),
            ],
            "resources": [
                {"id": "fixtures", "capacity": 2, "windows": [
                    {"start": 0, "end": 10, "capacity": 1},
                    {"start": 5, "end": 20, "capacity": 1},
                ]},
                {"id": "fixtures", "capacity": 1},
            ],
        }
    )  # fmt: skip
    assert set(found) == {
        "resources[1].id",
        "resources[0].windows",
        "jobs[0].operations[0].needs[0].pool",
        "jobs[1].operations[0].needs[0].units",
    }
    assert "unknown resource pool 'welders'" in found["jobs[0].operations[0].needs[0].pool"]
    assert "never has more than 2" in found["jobs[1].operations[0].needs[0].units"]


def test_the_bound_counts_what_a_pool_must_offer() -> None:
    # one operator holds 2 x 10 minutes: 20 at least; with nobody until 15 and two after,
    # 15 + 20 / 2
    one = two_machines({"id": "operators", "capacity": 1}).build()
    assert objective_lower_bound(one) == 20
    late = {"id": "operators", "capacity": 2, "windows": [{"start": 0, "end": 15, "capacity": 0}]}
    assert objective_lower_bound(two_machines(late).build()) == 25


def test_the_pool_bound_counts_releases_and_what_follows() -> None:
    # one operator; J2 and J3 are released at 50 and J3 packs for 5 on D after C. Alone each
    # job ends by 65, and the operator's 30 minutes fit by 30; but from 50 on the operator
    # still owes 20 minutes: 70, the optimum (c 50-60, pack 60-65, b 60-70)
    need = [{"pool": "operators"}]
    p = problem(
        machines=[machine(m) for m in "ABCD"],
        jobs=[
            job("J1", op("a", ("A", 10), needs=need)),
            job("J2", op("b", ("B", 10), needs=need), release=50),
            job("J3", op("c", ("C", 10), needs=need), op("pack", ("D", 5)), release=50),
        ],
        resources=[{"id": "operators", "capacity": 1}],
    )
    assert objective_lower_bound(p.build()) == 70
    assert optimum_by_every_strategy(p) == 70


def test_a_late_job_waiting_for_an_operator_is_explained() -> None:
    from planner.explain import explain_late_jobs

    p = two_machines(
        {"id": "operators", "capacity": 1}, op={}, problem={"objective": {"makespan": 1}}
    )
    late = p.model_copy(update={"jobs": tuple(j.model_copy(update={"due": 10}) for j in p.jobs)})
    result = solve(late, SolverSettings(time_limit_s=5, workers=1, strategy="cpsat"))
    (entry,) = explain_late_jobs(result, None)
    assert entry["binding"] == ["resource"]
    assert "waits for a free unit of operators" in entry["reasons"][0]
