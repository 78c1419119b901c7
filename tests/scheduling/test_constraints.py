"""One tiny hand-solvable model per constraint; each asserts the exact optimum and the checker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from planner.model import Problem, SolverSettings
from planner.scheduling import Result, solve
from tests.conftest import QUICK, assert_checked, job, machine, op, problem


def solved(p: Problem, settings: SolverSettings = QUICK, **kw: Any) -> Result:
    result = solve(p, settings, **kw)
    assert_checked(result, p.build())
    return result


def starts(result: Result) -> dict[str, int]:
    assert result.schedule is not None
    return {f"{r.job}/{r.operation}": int(r.start) for r in result.schedule.itertuples()}


def test_sequence_dependent_setups_group_families() -> None:
    # A(X) B(Y) C(X) on one machine, X<->Y costs 5: A, C, then B gives 2+2+5+2 = 11
    p = problem(
        machines=[machine("M1")],
        jobs=[
            job("A", op("o", ("M1", 2), setup_family="X")),
            job("B", op("o", ("M1", 2), setup_family="Y")),
            job("C", op("o", ("M1", 2), setup_family="X")),
        ],
        setups=[{"from_family": "*", "to_family": "*", "minutes": 5}],
    )
    result = solved(p)
    assert result.status == "optimal"
    assert result.objective == 11
    assert result.kpis is not None and result.kpis.total_setup_time == 5


def test_initial_family_setup_before_first_operation() -> None:
    p = problem(
        machines=[machine("M1", initial_family="Y")],
        jobs=[
            job("A", op("o", ("M1", 2), setup_family="X")),
            job("B", op("o", ("M1", 2), setup_family="Y")),
        ],
        setups=[{"from_family": "*", "to_family": "*", "minutes": 5}],
    )
    result = solved(p)
    # B first (already set up for Y), then 5 to change to X: 2 + 5 + 2
    assert result.objective == 9
    assert starts(result) == {"B/o": 0, "A/o": 7}


def test_calendar_operation_never_spans_maintenance() -> None:
    p = problem(
        machines=[machine("M1", unavailable=[{"start": 3, "end": 10, "reason": "maintenance"}])],
        jobs=[job("J1", op("o", ("M1", 4))), job("J2", op("o", ("M1", 3)))],
    )
    result = solved(p)
    assert result.objective == 14  # J2 fits before the window, J1 must wait until 10
    assert starts(result) == {"J2/o": 0, "J1/o": 10}


def test_setup_cannot_run_through_maintenance() -> None:
    p = problem(
        machines=[machine("M1", unavailable=[{"start": 2, "end": 10}])],
        jobs=[
            job("A", op("o", ("M1", 2), setup_family="X")),
            job("B", op("o", ("M1", 3), setup_family="Y"), release=2),
        ],
        setups=[{"from_family": "*", "to_family": "*", "minutes": 4}],
    )
    result = solved(p)
    # A [0,2), its changeover cannot use [2,10): setup [10,14), B [14,17). B first: 19.
    assert result.objective == 17
    assert result.schedule is not None
    assert result.schedule.set_index("job").loc["B", "setup_start"] == 10


def test_release_times_trade_against_weighted_tardiness() -> None:
    p = problem(
        machines=[machine("M1")],
        jobs=[
            job("J1", op("o", ("M1", 4)), due=4, weight=1),
            job("J2", op("o", ("M1", 2)), release=1, due=3, weight=10),
        ],
        objective={"makespan": 0, "weighted_tardiness": 1},
    )
    result = solved(p)
    # J2 at its release [1,3) on time, J1 [3,7) three minutes late: 3
    assert result.objective == 3
    assert starts(result) == {"J2/o": 1, "J1/o": 3}


def test_peak_power_forbids_parallel_runs() -> None:
    p = problem(
        machines=[machine("M1", power_kw=60), machine("M2", power_kw=60)],
        jobs=[job("J1", op("o", ("M1", 4))), job("J2", op("o", ("M2", 4)))],
        peak_power_kw=100,
    )
    result = solved(p)
    assert result.objective == 8
    free = solved(p.model_copy(update={"peak_power_kw": None}))
    assert free.objective == 4


def test_energy_moves_the_job_into_cheap_hours() -> None:
    p = problem(
        horizon_start=datetime(2024, 6, 1),
        machines=[machine("M1", power_kw=1000)],
        jobs=[job("J1", op("o", ("M1", 60)))],
        tariff={"hourly_prices": [100.0, 100.0, 10.0, 10.0, 50.0]},
        objective={"makespan": 0.001, "energy_cost": 1},
    )
    result = solved(p, QUICK.with_overrides(energy_resolution_min=1))
    assert starts(result) == {"J1/o": 120}
    assert result.kpis is not None
    assert result.kpis.energy_cost == 10.0  # 1 MW for one hour at 10 per MWh
    assert result.status == "optimal"
    assert abs(result.objective - (10 + 0.001 * 180)) < 1e-9  # type: ignore[operator]


def test_coarse_energy_resolution_is_within_its_stated_error() -> None:
    from planner.scheduling.cpsat.objective import energy_bound_per_operation

    p = problem(
        horizon_start=datetime(2024, 6, 1),
        machines=[machine("M1", power_kw=1000)],
        jobs=[job("J1", op("o", ("M1", 50)), release=7)],
        tariff={"hourly_prices": [100.0, 100.0, 10.0, 10.0, 50.0]},
        objective={"makespan": 0, "energy_cost": 1},
    )
    data = p.build()
    result = solved(p, QUICK.with_overrides(energy_resolution_min=15))
    assert result.kpis is not None
    exact_best = 1000 / 1000 * 50 / 60 * 10.0
    assert result.kpis.energy_cost <= exact_best + 2 * energy_bound_per_operation(data, 0, 15)
    assert result.status == "feasible"  # optimal for the model, not proved for the exact cost


def test_routing_dag_and_machine_choice() -> None:
    p = problem(
        machines=[machine("M1"), machine("M2"), machine("M3")],
        jobs=[
            job(
                "J",
                op("a", ("M1", 2)),
                op("b", ("M2", 3), predecessors=["a"]),
                op("c", ("M3", 4), ("M2", 9), predecessors=["a"]),
                op("d", ("M1", 1), predecessors=["b", "c"]),
            )
        ],
    )
    result = solved(p)
    assert result.objective == 7  # a, then c on M3 (4) in parallel with b, then d


def test_pinned_operation_stays_and_others_plan_around_it() -> None:
    p = problem(
        machines=[machine("M1")],
        jobs=[
            job("J1", op("o", ("M1", 3), pinned={"machine": "M1", "start": 2})),
            job("J2", op("o", ("M1", 2))),
        ],
    )
    result = solved(p)
    assert starts(result) == {"J1/o": 2, "J2/o": 5} or starts(result) == {"J1/o": 2, "J2/o": 0}
    assert result.objective == 5


def test_infeasible_horizon_is_reported_without_a_schedule() -> None:
    p = problem(
        machines=[machine("M1")],
        jobs=[job("J1", op("o", ("M1", 5))), job("J2", op("o", ("M1", 5)))],
        horizon_minutes=8,
    )
    result = solve(p, QUICK)
    assert result.status == "infeasible"
    assert result.schedule is None
    assert not result.feasible


def test_invalid_problem_gives_a_result_with_every_issue() -> None:
    p = problem(machines=[machine("M1")], jobs=[job("J1", op("o", ("M9", 5)), op("p", ("M8", 1)))])
    result = solve(p, QUICK)
    assert result.status == "invalid"
    assert len(result.issues) == 2
