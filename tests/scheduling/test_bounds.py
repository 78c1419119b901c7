"""The makespan bound on machine sets whose machines are not equally fast."""

from __future__ import annotations

import random

import pytest

from planner.io.synthetic import synthetic_problem
from planner.model import ProblemData, SolverSettings
from planner.scheduling import solve
from planner.scheduling.bounds import makespan_lower_bound, objective_lower_bound
from tests.conftest import assert_checked, job, machine, op, problem


def test_a_slower_machine_does_less_work_a_minute() -> None:
    # three operations of 10 minutes on A or 20 on B: A does two, B one, all end at 20;
    # counting B as fast as A would give 15
    data = problem(
        machines=[machine("A"), machine("B")],
        jobs=[job(f"J{k}", op("O", ("A", 10), ("B", 20))) for k in range(3)],
    ).build()
    assert makespan_lower_bound(data) == 20
    result = solve(data, time_limit=5, workers=1)
    assert_checked(result, data)
    assert result.objective == 20
    assert result.status == "optimal"


def test_a_changeover_costs_the_slowest_machine_s_share() -> None:
    # three families on A (10 min) or B (20 min), a changeover of 6: the two machines may
    # start with two of them, the third needs a changeover, worth at least 6 * 0.5 of A's
    # work (B's rate): (60 + 3) / 1.5 = 42
    data = problem(
        machines=[machine("A"), machine("B")],
        jobs=[
            job(f"J{k}", op("O", ("A", 10), ("B", 20), setup_family="abc"[k % 3])) for k in range(6)
        ],
        setups=[{"from_family": "*", "to_family": "*", "minutes": 6}],
    ).build()
    bound = makespan_lower_bound(data)
    assert bound == 42
    result = solve(data, time_limit=5, workers=1)
    assert_checked(result, data)
    assert result.status == "optimal"
    assert bound <= result.objective


@pytest.mark.parametrize("seed", range(6))
def test_never_above_the_proved_optimum_of_a_small_factory(seed: int) -> None:
    """Eight jobs on one group of three machines at different speeds, with changeovers and
    two shifts a day (``planner.io.synthetic``)."""
    raw = synthetic_problem(8, 3, 2, seed=seed, energy=False, due_dates=False)
    weights = raw.objective.model_copy(
        update={"makespan": 1.0, "weighted_tardiness": 0.0, "setup_time": 0.0}
    )
    data = raw.model_copy(update={"objective": weights}).build()
    assert data.has_setups and data.has_calendars
    result = solve(data, time_limit=20, workers=2, strategy="cpsat")
    assert_checked(result, data)
    assert result.objective is not None
    assert makespan_lower_bound(data) <= result.objective


def _priced(jobs: list[dict], powers: tuple[float, float]) -> ProblemData:
    """Two machines of the given power on an hourly tariff (the second hour is the cheapest),
    tardiness and energy priced, 200 minutes."""
    return problem(
        machines=[machine("A", power_kw=powers[0]), machine("B", power_kw=powers[1])],
        jobs=jobs,
        tariff={"hourly_prices": [200.0, 40.0, 120.0, 120.0], "currency": "EUR"},
        horizon_start="2024-03-04T00:00:00",
        objective={"makespan": 0.0, "weighted_tardiness": 1.0, "energy_cost": 10.0},
        horizon_minutes=200,
    ).build()


def test_energy_counts_each_operation_at_its_cheapest_minutes() -> None:
    """One operation, free to wait: the bound is its cost in the cheapest hour on the
    weaker machine, which the proved optimum pays."""
    data = _priced([job("J", op("O", ("A", 30), ("B", 40)))], (90.0, 60.0))
    cheapest = min(90.0 * 30, 60.0 * 40) / 60 / 1000 * 40.0  # kW-minutes at 40 EUR/MWh
    assert objective_lower_bound(data) == pytest.approx(10.0 * cheapest)
    settings = SolverSettings(time_limit_s=10, workers=1, energy_resolution_min=1)
    result = solve(data, settings, strategy="cpsat")
    assert_checked(result, data)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(10.0 * cheapest)


@pytest.mark.parametrize("seed", range(4))
def test_with_energy_never_above_the_proved_optimum(seed: int) -> None:
    """Two jobs of two operations with machine choice and due dates on the tariff above,
    energy priced at minute resolution so that CP-SAT's optimum is the checker's."""
    rng = random.Random(seed)
    jobs = [
        job(
            f"J{j}",
            *(
                op(
                    f"O{k}",
                    *((m, rng.randint(10, 40)) for m in rng.sample(["A", "B"], rng.randint(1, 2))),
                )
                for k in range(2)
            ),
            due=rng.randint(40, 120),
        )
        for j in range(2)
    ]
    data = _priced(jobs, (rng.choice([20.0, 80.0]), rng.choice([40.0, 120.0])))
    settings = SolverSettings(time_limit_s=20, workers=2, energy_resolution_min=1)
    result = solve(data, settings, strategy="cpsat")
    assert_checked(result, data)
    assert result.status == "optimal"
    bound = objective_lower_bound(data)
    assert bound is not None and 0 < bound <= result.objective + 1e-6
