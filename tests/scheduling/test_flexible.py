"""Flexible tabu search: optima of tiny factories found by brute force, the bound never above
them, every schedule checked, never worse, reproducible, used by the solver."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import numpy as np
import pytest

from planner.check import Kpis, check
from planner.io.synthetic import synthetic_problem
from planner.model import Problem, ProblemData
from planner.schedule import Schedule
from planner.scheduling import solve
from planner.scheduling.bounds import makespan_lower_bound, objective_lower_bound
from planner.scheduling.construct import best_dispatch
from planner.scheduling.flexible import FlexibleTabuSearch, flexible_applies
from tests.conftest import assert_checked, job, machine, op, problem


def forever() -> float:
    return math.inf


def tiny_factory(
    seed: int,
    objective: dict[str, float],
    lags: bool = False,
    energy: bool = False,
    shared: bool = False,
) -> Problem:
    """Three jobs of two operations on three machines: machine choice, two setup families,
    a calendar window on one machine, release dates and due dates; with ``lags``, minimum
    lags and transfer shares between the two operations of a job; with ``energy``, machines
    of different power on an hourly tariff (the plans fit in its first hour, so an operation
    costs less on a weaker machine; the synthetic factories price across hours); with
    ``shared``, one operator for the plant (held while an operation runs, by about half of
    them), one setter (held during the changeover before about half of them) and a site power
    limit that lets two of the three 50-kW machines run at once."""
    rng = random.Random(seed)
    jobs = []
    for j in range(3):
        ops = []
        for k in range(2):
            options = [
                (m, rng.randint(2, 9)) for m in rng.sample(["A", "B", "C"], rng.randint(1, 2))
            ]
            lag: dict[str, Any] = {}
            if lags and k == 1:
                lag = {
                    "min_lag_minutes": rng.choice([0, 0, 2, 5]),
                    "transfer_share": rng.choice([None, 0.3, 0.5]),
                }
            if shared:
                lag["needs"] = [
                    need
                    for need in ({"pool": "operator"}, {"pool": "setter", "during": "setup"})
                    if rng.random() < 0.5
                ]
            ops.append(op(f"O{k}", *options, setup_family=rng.choice(["red", "blue"]), **lag))
        jobs.append(job(f"J{j}", *ops, release=rng.randint(0, 4), due=rng.randint(8, 20)))
    power = [rng.choice([10.0, 40.0, 90.0]) for _ in range(3)] if energy else [0.0] * 3
    extra: dict[str, Any] = {}
    if energy:
        extra["tariff"] = {"hourly_prices": [200.0, 40.0, 120.0, 120.0], "currency": "EUR"}
        extra["horizon_start"] = "2024-03-04T00:00:00"
    if shared:
        power = [50.0] * 3
        extra["resources"] = [{"id": "operator", "capacity": 1}, {"id": "setter", "capacity": 1}]
        extra["peak_power_kw"] = 100.0
    return problem(
        machines=[
            machine("A", unavailable=[{"start": 6, "end": 9}], power_kw=power[0]),
            machine("B", power_kw=power[1]),
            machine("C", initial_family="red", power_kw=power[2]),
        ],
        jobs=jobs,
        setups=[{"from_family": "*", "to_family": "*", "minutes": 3}],
        objective=objective,
        horizon_minutes=200,
        **extra,
    )


def brute_force(data: ProblemData, search: FlexibleTabuSearch) -> float:
    """Best objective over every machine assignment and every order of the operations (each
    order induces the machine sequences; semi-active timing is optimal for these
    objectives), each schedule verified by the checker."""
    n = data.num_operations
    best = math.inf
    for machines in itertools.product(*[[m for m, _ in options] for options in data.op_options]):
        for order in itertools.permutations(range(n)):
            position = {o: k for k, o in enumerate(order)}
            if any(position[p] > position[o] for o in range(n) for p in data.op_predecessors[o]):
                continue
            # starts that sort the operations in this order on every machine
            schedule = Schedule.from_lists(
                list(machines), [position[o] for o in range(n)], [position[o] for o in range(n)]
            )
            value = search.objective(schedule)
            if value < best:
                timed = search.schedule(search._solution(schedule))
                report = check(data, timed)
                assert report.feasible, report.summary()
                assert report.kpis.objective == pytest.approx(value)
                best = value
    return best


def search_against_brute_force(data: ProblemData, seed: int) -> tuple[float, float, Kpis]:
    """The brute-force optimum, the rule's plan's objective and the checked KPIs of 3,000
    steps of the search from that plan."""
    assert flexible_applies(data)
    start, _ = best_dispatch(data, budget=0)
    search = FlexibleTabuSearch(data, seed=seed)
    optimum = brute_force(data, search)
    report = check(data, search.improve(start, forever, max_steps=3000))
    assert report.feasible, report.summary()
    return optimum, check(data, start).kpis.objective, report.kpis


OBJECTIVES = [
    {"makespan": 1.0},
    {"makespan": 0.0, "weighted_tardiness": 1.0},
    {"makespan": 1.0, "weighted_tardiness": 2.0, "setup_time": 0.5},
]


@pytest.mark.parametrize("lags", [False, True])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_finds_the_brute_force_optimum_and_the_bound_stays_below(
    seed: int, objective: dict[str, float], lags: bool
) -> None:
    """Also with minimum lags and transfer shares, under which semi-active timing (every
    operation as early as its arcs allow) is still optimal for these objectives."""
    data = tiny_factory(seed, objective, lags).build()
    assert data.has_lags == lags
    optimum, _, found = search_against_brute_force(data, seed)
    assert found.objective == pytest.approx(optimum)
    bound = objective_lower_bound(data)
    assert bound is not None and bound <= optimum + 1e-9
    if objective.get("makespan"):
        assert makespan_lower_bound(data) * objective["makespan"] <= optimum + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_with_energy_priced_it_prices_each_plan_as_the_checker_does(seed: int) -> None:
    """Energy is priced exactly (the brute force compares every improving schedule with the
    checker's objective), and the search returns a plan between the start and the cheapest
    plan it can time. It steers by the makespan and the late jobs, not by energy (steps
    chasing energy made the 1,000-operation factory's plans worse, ``benchmarks/README.md``),
    so a saving off those chains is left to the CP-SAT steps after it."""
    objective = {"makespan": 1.0, "weighted_tardiness": 1.0, "energy_cost": 40.0}
    data = tiny_factory(seed, objective, energy=True).build()
    assert data.energy_priced
    optimum, start, found = search_against_brute_force(data, seed)
    assert optimum - 1e-6 <= found.objective <= start + 1e-6
    assert found.energy_cost > 0
    bound = objective_lower_bound(data)  # below any plan's, waiting for cheap hours or not
    assert bound is not None and 0 < bound <= optimum + 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_with_energy_priced_no_operation_waits_for_a_cheaper_hour(seed: int) -> None:
    """The search times semi-actively even where waiting would be cheaper: no operation of
    the plan it returns could start a minute earlier, everything else where it is."""
    raw = synthetic_problem(12, 6, 5, seed=seed, energy=True, due_dates=True)
    data = raw.build()
    assert data.energy_priced and flexible_applies(data)
    start, _ = best_dispatch(data, budget=0)
    found = FlexibleTabuSearch(data, seed=seed).improve(start, forever, max_steps=400)
    assert check(data, found).feasible
    for o in range(data.num_operations):
        if found.start[o] - found.setup_before[o] == 0:
            continue
        earlier = found.copy()
        earlier.start[o] -= 1
        earlier.end[o] -= 1
        assert not check(data, earlier).feasible, f"operation {o} waits"


def test_bound_counts_the_changeovers_a_machine_cannot_avoid() -> None:
    # one machine, two families of two operations: at least one changeover of 10 minutes
    data = problem(
        machines=[machine("M")],
        jobs=[job(f"J{k}", op("O", ("M", 5), setup_family="ab"[k % 2])) for k in range(4)],
        setups=[{"from_family": "*", "to_family": "*", "minutes": 10}],
    ).build()
    assert makespan_lower_bound(data) == 30
    result = solve(data, time_limit=5, workers=1)
    assert_checked(result, data)
    assert result.objective == 30
    assert result.status == "optimal"


def test_bound_adds_the_lateness_of_a_job_alone_in_the_plant() -> None:
    data = problem(
        machines=[machine("M")],
        jobs=[job("J", op("O1", ("M", 10)), op("O2", ("M", 10)), due=15, weight=3)],
        objective={"makespan": 0.0, "weighted_tardiness": 1.0},
    ).build()
    assert objective_lower_bound(data) == 3 * 5


@pytest.mark.parametrize("energy", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_every_schedule_it_returns_is_checked_and_never_worse(seed: int, energy: bool) -> None:
    raw = synthetic_problem(12, 6, 5, seed=seed, energy=energy, due_dates=True)
    data = raw.build()
    start, _ = best_dispatch(data, budget=0)
    before = check(data, start)
    assert before.feasible
    search = FlexibleTabuSearch(data, seed=seed, workers=2)
    seen: list[float] = []
    found = search.improve(start, forever, on_improvement=seen.append, max_steps=400)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.objective <= before.kpis.objective + 1e-9
    assert seen == sorted(seen, reverse=True)
    if seen:
        assert seen[-1] == pytest.approx(report.kpis.objective)
    assert search.stats()["flex_steps"] > 0


@pytest.mark.parametrize("seed", range(3))
def test_the_guide_steers_the_walk_but_the_objective_alone_picks_the_plan(seed: int) -> None:
    from planner.scheduling import flexible_kernel as kernel
    from planner.scheduling.flexible import _timing, problem_arrays

    raw = synthetic_problem(12, 6, 5, seed=seed, energy=False, due_dates=False)
    weights = {"makespan": 1.0, "weighted_tardiness": 0.0, "setup_time": 0.0}
    data = raw.model_copy(update={"objective": raw.objective.model_copy(update=weights)}).build()
    search = FlexibleTabuSearch(data, seed=seed)
    assert search.problem[18][3] > 0 and search.problem[18][4] > 0  # changeovers: guided
    plain = problem_arrays(data)
    start, _ = best_dispatch(data, budget=0)
    seen: list[float] = []
    found = search.improve(start, forever, on_improvement=seen.append, max_steps=300)
    for schedule in (start, found):
        timing = _timing(data.num_operations, data.num_jobs, search.problem)
        guided = kernel.evaluate(search.problem, search._solution(schedule), timing)
        exact = kernel.true_objective(search.problem, timing, guided)
        assert guided > exact  # the guide prices changeovers and ends on top
        unguided = _timing(data.num_operations, data.num_jobs, plain)
        assert exact == pytest.approx(kernel.evaluate(plain, search._solution(schedule), unguided))
        assert exact == pytest.approx(check(data, schedule).kpis.makespan)
    assert check(data, found).kpis.makespan <= check(data, start).kpis.makespan
    if seen:
        assert seen[-1] == pytest.approx(check(data, found).kpis.makespan)


def test_no_guide_without_changeovers_or_calendars() -> None:
    fjs = synthetic_problem(6, 4, 3, seed=0, energy=False, setups=False, calendars=False)
    search = FlexibleTabuSearch(fjs.build())
    assert tuple(search.problem[18][3:5]) == (0.0, 0.0)  # the guide's weights


def test_same_seed_and_steps_give_the_same_schedule() -> None:
    data = synthetic_problem(15, 6, 5, seed=3, energy=False, due_dates=True).build()
    start, _ = best_dispatch(data, budget=0)
    runs = [
        FlexibleTabuSearch(data, seed=7, workers=2).improve(start, forever, max_steps=300)
        for _ in range(2)
    ]
    for a, b in itertools.pairwise(runs):
        assert (a.machine == b.machine).all() and (a.start == b.start).all()


def test_applies_to_factories_with_energy_or_a_power_limit_not_to_classical_job_shops() -> None:
    factory = synthetic_problem(5, 4, 3, seed=0, energy=False)
    assert flexible_applies(factory.build())
    priced = synthetic_problem(5, 4, 3, seed=0, energy=True).build()
    assert priced.energy_priced and flexible_applies(priced)
    limited = synthetic_problem(5, 4, 3, seed=0, energy=True, peak_power_kw=200.0).build()
    assert flexible_applies(limited)  # a site power limit it times (test_flexible_shared.py)
    shop = problem(
        machines=[machine("A"), machine("B")],
        jobs=[job("J", op("O1", ("A", 3)), op("O2", ("B", 4)))],
    )
    assert not flexible_applies(shop.build())  # the critical-path tabu search takes it


def test_the_solver_runs_it_before_the_neighbourhood_search() -> None:
    data = synthetic_problem(20, 6, 5, seed=1, energy=False, due_dates=True).build()
    result = solve(data, time_limit=4, workers=2, seed=1, strategy="lns")
    assert_checked(result, data)
    assert result.stats["flex_steps"] > 0
    start = result.progress[0].objective
    assert result.objective is not None and result.objective <= start


@pytest.mark.parametrize("kind", ["plain", "energy", "shared"])
@pytest.mark.parametrize("seed", range(3))
def test_incremental_timing_of_a_move_equals_a_full_pass(seed: int, kind: str) -> None:
    """With shared capacity (operators, a power limit) a move is timed by a full pass; the
    current plan's times are restored all the same."""
    from planner.scheduling import flexible_kernel as kernel
    from planner.scheduling.flexible import _timing
    from planner.scheduling.flexible_timing import retime

    shared: dict[str, Any] = {"operators": True, "peak_power_kw": 250.0}
    data = synthetic_problem(
        15,
        6,
        5,
        seed=seed,
        energy=kind != "plain",
        due_dates=True,
        **(shared if kind == "shared" else {}),
    ).build()
    start, _ = best_dispatch(data, budget=0)
    search = FlexibleTabuSearch(data, seed=seed)
    solution = search._solution(start)
    machine, duration, mprev, mnext, mfirst = solution[:5]
    timing = _timing(data.num_operations, data.num_jobs, search.problem)
    work = np.zeros((7, data.num_operations), dtype=np.int64)
    rng = random.Random(seed)
    checked = cycles = 0
    for _ in range(300):
        kernel.evaluate(search.problem, solution, timing)
        before = [a.copy() for a in timing[:3]]
        o = rng.randrange(data.num_operations)
        m, d = rng.choice(data.op_options[o])
        home, home_duration, home_after, home_next = machine[o], duration[o], mprev[o], mnext[o]
        kernel._unlink(o, solution)
        sequence = [-1]
        q = mfirst[m]
        while q >= 0:
            sequence.append(int(q))
            q = mnext[q]
        kernel._link(o, m, d, rng.choice(sequence), solution)
        fast = retime(search.problem, solution, timing, work, o, home_next)
        for a, b in zip(timing[:3], before, strict=True):
            assert (a == b).all()  # restored
        full = kernel.evaluate(
            search.problem, solution, _timing(data.num_operations, data.num_jobs, search.problem)
        )
        assert fast == pytest.approx(full)
        checked += full < kernel.INFEASIBLE
        cycles += full >= kernel.INFEASIBLE
        if full < kernel.INFEASIBLE and rng.random() < 0.5:  # keep some feasible moves
            continue
        kernel._unlink(o, solution)
        kernel._link(o, home, home_duration, home_after, solution)
    assert checked > 100 and cycles > 0


@pytest.mark.parametrize("kind", ["flexible", "classical"])
def test_compiling_the_kernels_is_outside_the_time_limit_and_the_runtime(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the README: Numba compiles the searches outside the solve's time limit, and the time is
    # not counted in its runtime; a stand-in compiler that takes 3 s shows it
    import sys
    import time

    solve_module = sys.modules["planner.scheduling.solve"]
    calls: list[str] = []

    def slow(name: str) -> None:
        calls.append(name)
        time.sleep(3.0)

    monkeypatch.setattr(solve_module, "compile_flexible_kernels", lambda: slow("flexible"))
    monkeypatch.setattr(solve_module, "compile_kernels", lambda: slow("classical"))
    if kind == "flexible":
        data = synthetic_problem(10, 4, 3, seed=0, energy=False).build()
    else:
        data = problem(
            machines=[machine("A"), machine("B")],
            jobs=[job(f"J{k}", op("O1", ("A", 3 + k)), op("O2", ("B", 4))) for k in range(3)],
        ).build()
    result = solve(data, time_limit=1.0, workers=1, strategy="lns")
    assert calls == [kind]
    assert_checked(result, data)
    assert result.runtime_s < 3.0  # the 3 s of compiling are not in it
