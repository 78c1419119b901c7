"""The rerouting tabu search (flexible job shops, makespan): it finds the brute-force optimum
of tiny instances, every schedule it returns passes the checker (also where two steps of a job
run in a row on one machine), a seed and a step limit repeat a run, and the solver runs it in
the flexible search's place where it applies."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.check import check
from planner.io import read_instance
from planner.io.synthetic import synthetic_problem
from planner.model import Problem, SearchTuning, SolverSettings
from planner.scheduling import solve
from planner.scheduling.bounds import makespan_lower_bound
from planner.scheduling.construct import best_dispatch
from planner.scheduling.flexible import FlexibleTabuSearch
from planner.scheduling.reroute import ReroutingTabuSearch, reroute_applies
from planner.scheduling.result import Termination
from tests.conftest import assert_checked, job, machine, op, problem
from tests.scheduling.test_flexible import brute_force


def forever() -> float:
    return math.inf


FAMILIES = ("red", "blue", "green")


def flexible_shop(
    seed: int, jobs: int = 3, steps: int = 2, machines: int = 3, changeovers: bool = False
) -> Problem:
    """Jobs of a few steps, each on one to all of the machines (durations 1-9), with release
    dates: two steps of a job often share a machine. With ``changeovers``, each step has one
    of three setup families, a change of family costs 1-6 minutes (one pair more on the first
    machine) and the second machine starts set up for red."""
    rng = random.Random(seed)
    names = [f"M{m}" for m in range(machines)]
    most = min(3, machines)
    setups = []
    if changeovers:
        setups = [
            {"from_family": "*", "to_family": "*", "minutes": rng.randint(1, 4)},
            {"from_family": "red", "to_family": "blue", "minutes": rng.randint(2, 6)},
            {"from_family": "blue", "to_family": "green", "minutes": 6, "machines": [names[0]]},
        ]
    return problem(
        machines=[
            machine(name, initial_family="red" if changeovers and m == 1 else None)
            for m, name in enumerate(names)
        ],
        jobs=[
            job(
                f"J{j}",
                *[
                    op(
                        f"O{k}",
                        *[(m, rng.randint(1, 9)) for m in rng.sample(names, rng.randint(1, most))],
                        **({"setup_family": rng.choice(FAMILIES)} if changeovers else {}),
                    )
                    for k in range(steps)
                ],
                release=rng.randint(0, 4),
            )
            for j in range(jobs)
        ],
        setups=setups,
        objective={"makespan": 1.0, "weighted_tardiness": 0.0, "setup_time": 0.0},
        horizon_minutes=500,
    )


@pytest.mark.parametrize("seed", range(6))
def test_finds_the_brute_force_optimum(seed: int) -> None:
    data = flexible_shop(seed).build()
    assert reroute_applies(data)
    optimum = brute_force(data, FlexibleTabuSearch(data))
    start, _ = best_dispatch(data, budget=0)
    found = ReroutingTabuSearch(data, seed=seed).improve(start, forever, max_steps=3000)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.makespan == optimum
    assert makespan_lower_bound(data) <= optimum


@pytest.mark.parametrize("seed", range(6))
def test_finds_the_brute_force_optimum_with_changeovers(seed: int) -> None:
    """Sequence-dependent changeovers weigh on the machine arcs, a machine's first operation
    waits for its initial setup, and the returned schedule carries the changeovers."""
    data = flexible_shop(seed, changeovers=True).build()
    assert data.has_setups and reroute_applies(data)
    optimum = brute_force(data, FlexibleTabuSearch(data))
    start, _ = best_dispatch(data, budget=0)
    found = ReroutingTabuSearch(data, seed=seed).improve(start, forever, max_steps=3000)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.makespan == pytest.approx(optimum)
    assert makespan_lower_bound(data) <= optimum + 1e-9


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 10_000), st.integers(2, 6), st.integers(1, 5), st.integers(2, 4), st.booleans()
)
def test_every_schedule_it_returns_is_checked_and_never_worse(
    seed: int, jobs: int, steps: int, machines: int, changeovers: bool
) -> None:
    """Random flexible shops, many with two steps of a job in a row on one machine (swapping
    them would close a cycle: an early version did, after a perturbation), half of them with
    changeovers."""
    data = flexible_shop(seed, jobs, steps, machines, changeovers).build()
    if not reroute_applies(data):
        return
    start, _ = best_dispatch(data, budget=0)
    search = ReroutingTabuSearch(data, seed=seed, stall_steps=20, patience=10**6)
    found = search.improve(start, forever, max_steps=400)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.makespan <= check(data, start).kpis.makespan


def test_it_moves_work_to_another_machine() -> None:
    # both jobs start on A (the rule's choice: A is faster); B takes one of them sooner
    data = problem(
        machines=[machine("A"), machine("B")],
        jobs=[job(f"J{k}", op("O", ("A", 10), ("B", 12))) for k in range(2)],
    ).build()
    start = best_dispatch(data, budget=0)[0]
    found = ReroutingTabuSearch(data).improve(start, forever, max_steps=50)
    assert sorted(int(m) for m in found.machine) == [0, 1]
    assert check(data, found).kpis.makespan == 12


def test_same_seed_and_steps_give_the_same_schedule() -> None:
    data = flexible_shop(5, jobs=12, steps=4, machines=4).build()
    start, _ = best_dispatch(data, budget=0)
    searches = [ReroutingTabuSearch(data, seed=7, workers=2) for _ in range(2)]
    runs = [search.improve(start, forever, max_steps=2000) for search in searches]
    assert all(search.stats()["reroute_rounds"] == 1 for search in searches)  # bounded by steps
    for a, b in itertools.pairwise(runs):
        assert np.array_equal(a.machine, b.machine) and np.array_equal(a.start, b.start)


def test_applies_to_flexible_shops_judged_by_makespan_only() -> None:
    shop = flexible_shop(0, jobs=4, steps=3)
    assert reroute_applies(shop.build())
    fixed = problem(
        machines=[machine("A"), machine("B")],
        jobs=[job("J", op("O1", ("A", 3)), op("O2", ("B", 4)))],
    )
    assert not reroute_applies(fixed.build())  # a classical job shop
    with_changeovers = flexible_shop(0, jobs=4, steps=3, changeovers=True)
    assert reroute_applies(with_changeovers.build())
    priced = with_changeovers.objective.model_copy(update={"setup_time": 1.0})
    assert not reroute_applies(with_changeovers.model_copy(update={"objective": priced}).build())
    factory = synthetic_problem(5, 4, 3, seed=0, energy=False)
    assert not reroute_applies(factory.build())  # calendars
    late = shop.model_copy(
        update={
            "jobs": tuple(j.model_copy(update={"due": 5}) for j in shop.jobs),
            "objective": shop.objective.model_copy(update={"weighted_tardiness": 1.0}),
        }
    )
    assert not reroute_applies(late.build())  # due dates priced


def test_the_solver_runs_it_in_the_flexible_search_s_place() -> None:
    data = flexible_shop(2, jobs=15, steps=5, machines=5).build()
    result = solve(data, time_limit=3, workers=2, seed=1, strategy="lns")
    assert_checked(result, data)
    assert result.stats["reroute_steps"] > 0
    assert "flex_steps" not in result.stats
    assert result.objective is not None and result.objective <= result.progress[0].objective


def test_the_solver_runs_it_on_a_flexible_shop_with_changeovers() -> None:
    data = flexible_shop(2, jobs=15, steps=5, machines=5, changeovers=True).build()
    result = solve(data, time_limit=3, workers=2, seed=1, strategy="lns")
    report = assert_checked(result, data)
    assert result.stats["reroute_steps"] > 0
    assert report.kpis.total_setup_time > 0
    assert result.objective is not None and result.objective <= result.progress[0].objective


def test_hybrid_runs_one_round_before_the_full_model_and_more_after() -> None:
    data = flexible_shop(2, jobs=15, steps=5, machines=5, changeovers=True).build()
    settings = SolverSettings(
        time_limit_s=4,
        workers=2,
        seed=1,
        strategy="hybrid",
        tuning=SearchTuning(hybrid_full_model_share=0.01),  # too short for a proof
    )
    result = solve(data, settings=settings)
    assert_checked(result, data)
    assert result.termination is not Termination.OPTIMAL
    assert result.stats["reroute_rounds"] >= 2


def test_a_small_problem_is_proved_after_the_first_round(instances: Path) -> None:
    path = instances / "fjsp-sdst/fattahi-setup/Fattahi_setup_05.fjs"
    data = read_instance(path, "fjs-sdst").build()
    result = solve(data, time_limit=20, workers=2, seed=0)
    assert_checked(result, data)
    assert result.strategy == "hybrid" and result.termination is Termination.OPTIMAL
    assert result.objective == 126  # the optimum (PyJobShop proves it too)
    assert result.stats["reroute_rounds"] == 1


def test_another_round_starts_from_the_best_while_time_remains() -> None:
    data = flexible_shop(3, jobs=10, steps=4, machines=3, changeovers=True).build()
    start, _ = best_dispatch(data, budget=0)
    calls = itertools.count()

    def remaining() -> float:  # time for a few hundred chunks of steps, then none
        return 1.0 if next(calls) < 400 else 0.0

    search = ReroutingTabuSearch(data, workers=2, stall_steps=10, patience=2)
    found = search.improve(start, remaining)
    assert search.stats()["reroute_rounds"] >= 2
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.makespan <= check(data, start).kpis.makespan


def test_compiling_its_kernels_is_outside_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import time

    solve_module = sys.modules["planner.scheduling.solve"]
    calls: list[str] = []

    def slow(name: str) -> None:
        calls.append(name)
        time.sleep(3.0)

    monkeypatch.setattr(solve_module, "compile_flexible_kernels", lambda: slow("flexible"))
    monkeypatch.setattr(solve_module, "compile_reroute_kernels", lambda: slow("reroute"))
    data = flexible_shop(1, jobs=6, steps=3).build()
    result = solve(data, time_limit=1.0, workers=1, strategy="lns")
    assert calls == ["reroute"]
    assert_checked(result, data)
    assert result.runtime_s < 3.0  # the 3 s of compiling are not in it


@pytest.mark.parametrize("seed", range(10))
def test_a_perturbation_never_swaps_two_steps_of_one_job(seed: int) -> None:
    # J0's two steps run in a row on A, then J1: one critical block of three; swapping J0's
    # steps would close a cycle (an early version did, and the search then stopped early)
    from planner.schedule import Schedule
    from planner.scheduling import tabu_kernel
    from planner.scheduling.jit import seed_state
    from planner.scheduling.tabu import routing_graph

    data = problem(
        machines=[machine("A"), machine("B")],
        jobs=[
            job("J0", op("O1", ("A", 5)), op("O2", ("A", 5))),
            job("J1", op("O1", ("A", 3), ("B", 9))),
        ],
    ).build()
    search = ReroutingTabuSearch(data)
    _, duration, mprev, mnext, _ = search._solution(
        Schedule.from_lists([0, 0, 0], [0, 5, 10], [5, 10, 13])
    )
    graph = routing_graph(data, duration)
    head, tail = np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)
    work = np.zeros((tabu_kernel.WORK_ROWS, 4), dtype=np.int64)
    makespan = tabu_kernel._perturb(graph, mprev, mnext, head, tail, work, seed_state(seed))
    assert makespan == 13
    assert tabu_kernel.evaluate(graph, mprev, mnext, head, tail, work) == 13
    sequence = [int(np.flatnonzero(mprev == -1)[0])]
    while mnext[sequence[-1]] >= 0:
        sequence.append(int(mnext[sequence[-1]]))
    assert sequence.index(0) < sequence.index(1)  # J0's steps in their order; J1 anywhere
