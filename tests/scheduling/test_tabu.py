"""Tabu search on the critical path: known optima, never worse, reproducible, applies only
to classical job shops."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from planner.check import check
from planner.io import read_instance
from planner.io.synthetic import synthetic_problem
from planner.model import ProblemData
from planner.schedule import Schedule
from planner.scheduling import solve
from planner.scheduling.construct import best_dispatch
from planner.scheduling.tabu import CriticalPathTabuSearch, tabu_applies
from tests.conftest import assert_checked, job, machine, op, problem


def forever() -> float:
    return math.inf


def start_and_search(data: ProblemData, seed: int = 0) -> tuple[Schedule, CriticalPathTabuSearch]:
    start, _ = best_dispatch(data, budget=0)
    assert check(data, start).feasible
    return start, CriticalPathTabuSearch(data, seed=seed)


@pytest.mark.parametrize(
    ("path", "optimum"),
    [("jobshop/fisher-thompson/ft06.txt", 55), ("jobshop/lawrence/la01.txt", 666)],
)
def test_reaches_the_known_optimum(instances: Path, path: str, optimum: int) -> None:
    data = read_instance(instances / path, "jsp").build()
    start, search = start_and_search(data)
    found = search.improve(start, forever, max_steps=20_000)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert found.makespan == optimum
    assert start.makespan > optimum  # the search did the work, not the dispatching rule


def test_never_worse_than_its_start_and_reports_each_improvement(instances: Path) -> None:
    data = read_instance(instances / "jobshop/lawrence/la21.txt", "jsp").build()  # optimum 1046
    start, search = start_and_search(data)
    seen: list[int] = []
    found = search.improve(start, forever, on_improvement=seen.append, max_steps=3000)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert 1046 <= found.makespan <= start.makespan
    assert seen == sorted(seen, reverse=True)
    assert seen and seen[-1] == found.makespan
    assert search.stats()["tabu_steps"] == 3000 or found.makespan == 1046


def test_same_seed_and_steps_give_the_same_schedule(instances: Path) -> None:
    data = read_instance(instances / "jobshop/lawrence/la21.txt", "jsp").build()
    runs = []
    for _ in range(2):
        start, search = start_and_search(data, seed=3)
        runs.append(search.improve(start, forever, max_steps=1500))
    assert np.array_equal(runs[0].start, runs[1].start)
    assert np.array_equal(runs[0].machine, runs[1].machine)


def test_returns_the_start_when_no_time_is_left(instances: Path) -> None:
    data = read_instance(instances / "jobshop/lawrence/la21.txt", "jsp").build()
    start, search = start_and_search(data)
    found = search.improve(start, lambda: 0.0)
    assert found.makespan <= start.makespan
    assert search.stats()["tabu_steps"] == 0


def test_stops_at_the_routing_bound_without_a_step() -> None:
    # one job across three machines: its routing is the whole schedule
    single = problem(
        machines=[machine("A"), machine("B"), machine("C")],
        jobs=[job("J", op("1", ("A", 3)), op("2", ("B", 4)), op("3", ("C", 5)))],
    ).build()
    start, search = start_and_search(single)
    found = search.improve(start, forever)
    assert found.makespan == 12
    assert search.stats()["tabu_steps"] == 0


def test_applies_only_to_classical_job_shops(instances: Path) -> None:
    assert tabu_applies(read_instance(instances / "jobshop/lawrence/la01.txt", "jsp").build())
    flexible = read_instance(instances / "fjsp/brandimarte/mk01.txt", "fjs").build()
    factory = synthetic_problem(12, 4, 3, seed=0).build()  # setups, calendars, energy
    instant = problem(
        machines=[machine("A"), machine("B")],
        jobs=[job("J", op("1", ("A", 0)), op("2", ("B", 4))), job("K", op("1", ("B", 2)))],
    ).build()  # a zero-duration operation
    for data in (flexible, factory, instant):
        assert not tabu_applies(data)
        with pytest.raises(ValueError, match="classical job shop"):
            CriticalPathTabuSearch(data)


def test_solver_runs_it_before_the_neighbourhood_search(instances: Path) -> None:
    problem_ = read_instance(instances / "jobshop/lawrence/la21.txt", "jsp")
    result = solve(problem_, time_limit=4, workers=2, strategy="lns")
    assert_checked(result, problem_.build())
    assert result.objective is not None and result.objective >= 1046
    assert int(result.stats["tabu_steps"]) > 0  # type: ignore[call-overload]
    assert any(event.source == "tabu" for event in result.progress)
    # a factory problem goes straight to the neighbourhood search
    factory = synthetic_problem(12, 4, 3, seed=0)
    other = solve(factory, time_limit=3, workers=2, strategy="lns")
    assert_checked(other, factory.build())
    assert "tabu_steps" not in other.stats


def test_full_model_starts_from_the_tabu_schedule(instances: Path) -> None:
    problem_ = read_instance(instances / "jobshop/fisher-thompson/ft06.txt", "jsp")
    result = solve(problem_, time_limit=20, workers=2, strategy="cpsat")
    assert_checked(result, problem_.build())
    assert "tabu_steps" in result.stats
    assert result.objective == 55 and result.status == "optimal"


@pytest.mark.parametrize("seed", range(4))
def test_a_job_that_visits_a_machine_twice_in_a_row(seed: int) -> None:
    # two steps of one job in a row on one machine: swapping them (an N5 move, or a
    # perturbation) would close a cycle; the search must leave them in their order
    import random

    rng = random.Random(seed)
    jobs = [
        job(
            f"J{j}",
            *[
                op(f"O{k}", (machine_id, rng.randint(1, 9)))
                for k, machine_id in enumerate(rng.choices(["A", "B", "C"], k=5))
            ],
        )
        for j in range(6)
    ]
    data = problem(machines=[machine(m) for m in "ABC"], jobs=jobs).build()
    assert tabu_applies(data)
    start, _ = best_dispatch(data, budget=0)
    search = CriticalPathTabuSearch(data, seed=seed, stall_steps=20, patience=10**6)
    found = search.improve(start, lambda: math.inf, max_steps=3000)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.makespan <= check(data, start).kpis.makespan
