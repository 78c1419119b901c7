"""Lots become jobs for the scheduler, and the schedule's achieved capacity feeds back."""

from __future__ import annotations

import pytest

from planner.check import check
from planner.lotsizing import (
    Demand,
    PlanningPeriod,
    group_capacity,
    lot_problem,
    lots_to_jobs,
    plan_with_feedback,
    solve_lots,
)
from planner.model import Machine, Problem, SolverSettings
from planner.model.products import Product, RoutingStep, StepMachine
from planner.scheduling import solve

MACHINES = [
    Machine(id="CUT", group="cutting", unavailable=()),
    Machine(id="WELD", group="welding"),
]
PERIODS = [PlanningPeriod(f"D{d}", d * 480, (d + 1) * 480) for d in range(4)]
PRODUCTS = [
    Product(
        id="frame",
        family="F",
        routing=(
            RoutingStep(
                id="cut",
                machines=(StepMachine(machine="CUT", minutes_per_unit=2.0, fixed_minutes=10),),
            ),
            RoutingStep(id="weld", machines=(StepMachine(machine="WELD", minutes_per_unit=2.0),)),
        ),
        setup_cost=50,
        holding_cost=1,
        backlog_cost=30,
    )
]


def test_group_capacity_from_calendars() -> None:
    machines = [
        Machine(id="A", group="g", unavailable=({"start": 100, "end": 160},)),
        Machine(id="B", group="g"),
    ]  # type: ignore[arg-type]
    assert group_capacity(machines, PERIODS[:1]) == [{"g": 480 - 60 + 480}]


def test_lots_become_jobs_with_scaled_durations() -> None:
    problem = lot_problem(
        PRODUCTS, MACHINES, PERIODS, [Demand(product="frame", period="D1", quantity=100)]
    )
    plan = solve_lots(problem)
    jobs = lots_to_jobs(plan, PRODUCTS, PERIODS)
    assert len(jobs) == 1
    job = jobs[0]
    assert job.quantity == 100
    assert (job.release, job.due) in {(0, 480), (480, 960)}
    cut, weld = job.operations
    assert cut.machines[0].duration == 10 + 200
    assert weld.machines[0].duration == 200
    assert weld.setup_family == "F"


def _schedule(jobs: list) -> object:  # type: ignore[type-arg]
    problem = Problem(
        machines=tuple(MACHINES),
        jobs=tuple(jobs),
        objective={"makespan": 0, "weighted_tardiness": 1},  # type: ignore[arg-type]
        solver=SolverSettings(time_limit_s=5, workers=1),
    )
    result = solve(problem)
    assert result.feasible
    assert check(problem.build(), result.schedule).feasible  # type: ignore[arg-type]
    return result


def test_feedback_replans_with_the_capacity_the_schedule_achieved() -> None:
    # Each day both groups have 480 min, so on paper 230 units/day fit (2 min/unit + 10 setup).
    # But welding waits for cutting within the day, so a full day's lot overruns the day.
    demand = [
        Demand(product="frame", period=f"D{d}", quantity=q)
        for d, q in ((1, 200), (2, 220), (3, 220))
    ]
    problem = lot_problem(PRODUCTS, MACHINES, PERIODS, demand)
    outcome = plan_with_feedback(problem, PRODUCTS, MACHINES, PERIODS, _schedule, rounds=4)  # type: ignore[arg-type]
    first, last = outcome.rounds[0], outcome.final
    assert first.overflow.sum() > 0, "the aggregate plan overloads the days"
    assert len(outcome.rounds) >= 2
    assert last.overflow.sum() < first.overflow.sum()
    # the re-plan assumed less capacity where the schedule spilled over
    spilled = first.overflow > 0
    assert (outcome.rounds[1].capacity[spilled] < first.capacity[spilled]).all()
    assert last.result is not None and last.result.kpis is not None
    assert first.result is not None and first.result.kpis is not None
    assert last.result.kpis.total_weighted_tardiness <= first.result.kpis.total_weighted_tardiness


def test_feedback_stops_at_once_when_the_schedule_fits() -> None:
    demand = [Demand(product="frame", period="D2", quantity=50)]
    problem = lot_problem(PRODUCTS, MACHINES, PERIODS, demand)
    outcome = plan_with_feedback(problem, PRODUCTS, MACHINES, PERIODS, _schedule, rounds=3)  # type: ignore[arg-type]
    assert len(outcome.rounds) == 1 and outcome.converged
    assert pytest.approx(outcome.final.overflow.sum()) == 0
