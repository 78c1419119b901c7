"""Lots become jobs for the scheduler (with their identity), and the schedule's achieved
capacity feeds back into lot sizing."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.check import check
from planner.lotsizing import (
    Demand,
    LotPlan,
    LotSizingProblem,
    PlanningPeriod,
    group_capacity,
    lot_problem,
    solve_lots,
)
from planner.model import Job, LotSolverSettings, Machine, Problem, SolverSettings
from planner.model.products import Product, RoutingStep, StepMachine
from planner.scheduling import Result, solve
from planner.stages.budget import Budget
from planner.stages.feedback import FeedbackOutcome, Sequencer, plan_with_feedback
from planner.stages.inputs import OrderDue
from planner.stages.jobs import lots_to_jobs

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
    jobs = lots_to_jobs(plan.lots, PRODUCTS, PERIODS)
    assert len(jobs) == 1
    job = jobs[0]
    assert job.quantity == 100
    assert (job.release, job.due) in {(0, 480), (480, 960)}
    cut, weld = job.operations
    assert cut.machines[0].duration == 10 + 200
    assert weld.machines[0].duration == 200
    assert weld.setup_family == "F"
    assert (job.product, job.period, job.lot, job.orders) == ("frame", "D1", None, ())


def test_jobs_know_their_sub_lot_and_the_orders_they_carry() -> None:
    problem = lot_problem(
        PRODUCTS, MACHINES, PERIODS, [Demand(product="frame", period="D2", quantity=200)]
    )
    plan = solve_lots(problem)
    due = {("frame", "D2"): OrderDue(due=1000, priority=5.0, orders=("SO-1", "SO-2"))}
    jobs = lots_to_jobs(
        plan.lots, PRODUCTS, PERIODS, release_lead=480, max_operation_minutes=150, order_due=due
    )
    assert [j.id for j in jobs] == ["frame@D2#1", "frame@D2#2", "frame@D2#3"]
    assert [j.lot for j in jobs] == [1, 2, 3]
    assert {(j.period, j.due, j.weight, j.orders) for j in jobs} == {
        ("D2", 1000, 5.0, ("SO-1", "SO-2"))
    }
    assert sum(j.quantity for j in jobs) == pytest.approx(200)
    # the period survives into the compiled problem, for reports and explanations
    data = Problem(machines=tuple(MACHINES), jobs=tuple(jobs)).build()
    assert data.job_periods == ("D2", "D2", "D2")


OVERLOADING = [
    Demand(product="frame", period=f"D{d}", quantity=q) for d, q in ((1, 200), (2, 220), (3, 220))
]
"""Each day both groups have 480 min, so on paper 230 units/day fit (2 min/unit + 10 setup).
But welding waits for cutting within the day, so a full day's lot overruns the day."""


def _schedule(jobs: list[Job], limit: float, earlier: pd.DataFrame | None = None) -> Result:
    problem = Problem(
        machines=tuple(MACHINES),
        jobs=tuple(jobs),
        objective={"makespan": 0, "weighted_tardiness": 1},  # type: ignore[arg-type]
    )
    result = solve(problem, SolverSettings(time_limit_s=limit, workers=1))
    assert result.feasible
    assert check(problem.build(), result.schedule).feasible  # type: ignore[arg-type]
    return result


def _feedback(
    problem: LotSizingProblem, rounds: int, schedule: Sequencer = _schedule
) -> FeedbackOutcome:
    def to_jobs(plan: LotPlan) -> list[Job]:
        return lots_to_jobs(plan.lots, PRODUCTS, PERIODS)

    return plan_with_feedback(
        problem,
        to_jobs,
        schedule,
        MACHINES,
        PERIODS,
        rounds=rounds,
        settings=LotSolverSettings(time_limit_s=10),
        budget=Budget(),
        sequencing_s=5.0 * rounds,
    )


def test_feedback_replans_with_the_capacity_the_schedule_achieved() -> None:
    problem = lot_problem(PRODUCTS, MACHINES, PERIODS, OVERLOADING)
    outcome = _feedback(problem, rounds=4)
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


def test_each_round_starts_from_the_schedule_of_the_round_before() -> None:
    handed: list[pd.DataFrame | None] = []

    def schedule(jobs: list[Job], limit: float, earlier: pd.DataFrame | None) -> Result:
        handed.append(earlier)
        return _schedule(jobs, limit, earlier)

    outcome = _feedback(lot_problem(PRODUCTS, MACHINES, PERIODS, OVERLOADING), 3, schedule)
    assert len(outcome.rounds) >= 2 and handed[0] is None
    for before, given in zip(outcome.rounds, handed[1:], strict=False):
        assert before.result is not None and given is before.result.schedule


def test_feedback_stops_at_once_when_the_schedule_fits() -> None:
    demand = [Demand(product="frame", period="D2", quantity=50)]
    problem = lot_problem(PRODUCTS, MACHINES, PERIODS, demand)
    outcome = _feedback(problem, rounds=3)
    assert len(outcome.rounds) == 1 and outcome.converged
    assert pytest.approx(outcome.final.overflow.sum()) == 0


def test_routing_lags_and_transfer_batches_reach_the_jobs() -> None:
    """Lags carry over as they are; a transfer quantity becomes the share of each (sub-)lot
    in its first transfer batch, none when the batch holds the whole lot."""
    weld = RoutingStep(
        id="weld",
        machines=(StepMachine(machine="WELD", minutes_per_unit=2.0),),
        min_lag_minutes=30,
        max_lag_minutes=240,
        transfer_quantity=25,
    )
    product = PRODUCTS[0].model_copy(update={"routing": (PRODUCTS[0].routing[0], weld)})
    problem = lot_problem(
        [product], MACHINES, PERIODS, [Demand(product="frame", period="D2", quantity=200)]
    )
    plan = solve_lots(problem)
    jobs = lots_to_jobs(plan.lots, [product], PERIODS, max_operation_minutes=250)
    assert [j.quantity for j in jobs] == pytest.approx([100, 100])
    for job in jobs:
        cut, welding = job.operations
        assert (cut.min_lag_minutes, cut.max_lag_minutes, cut.transfer_share) == (0, None, None)
        assert (welding.min_lag_minutes, welding.max_lag_minutes) == (30, 240)
        assert welding.transfer_share == pytest.approx(0.25)
    small = lots_to_jobs(
        plan.lots,
        [
            product.model_copy(
                update={
                    "routing": (
                        product.routing[0],
                        weld.model_copy(update={"transfer_quantity": 500}),
                    )
                }
            )
        ],
        PERIODS,
    )
    assert small[0].operations[1].transfer_share is None


def test_a_lag_on_the_first_step_is_refused_with_the_step_named() -> None:
    with pytest.raises(ValueError, match="routing step 'cut' sets min_lag_minutes"):
        Product(
            id="p",
            routing=(
                RoutingStep(
                    id="cut",
                    machines=(StepMachine(machine="CUT", minutes_per_unit=1.0),),
                    min_lag_minutes=5,
                ),
            ),
        )
