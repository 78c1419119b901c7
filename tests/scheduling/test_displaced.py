"""Settling the displaced work first when re-planning against a previous plan
(:mod:`planner.scheduling.displaced`): which operations the step takes, and what it returns."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from planner.check import check
from planner.model import SearchTuning
from planner.model.data import ProblemData
from planner.schedule import Schedule
from planner.scheduling.displaced import (
    displaced_neighbourhood,
    has_new_work,
    settle_displaced,
)
from planner.scheduling.progress import Tracker
from tests.conftest import QUICK, job, machine, op, problem, replanning


def _shop(stability: float = 5) -> ProblemData:
    """Previous plan: a1 on M1 at 0, b1 on M1 at 10, c1 pinned on M2 at 0, d1 on M2 at 50,
    a2 on M3 at 30; f1 is new."""
    return problem(
        machines=[machine("M1"), machine("M2"), machine("M3")],
        jobs=[
            job(
                "A",
                op("a1", ("M1", 10), ("M2", 10), previous={"machine": "M1", "start": 0}),
                op("a2", ("M3", 10), previous={"machine": "M3", "start": 30}),
            ),
            job("B", op("b1", ("M1", 10), previous={"machine": "M1", "start": 10})),
            job("C", op("c1", ("M2", 10), pinned={"machine": "M2", "start": 0})),
            job("D", op("d1", ("M2", 10), previous={"machine": "M2", "start": 50})),
            job("F", op("f1", ("M3", 10))),
        ],
        objective={"makespan": 1, "stability": stability},
    ).build()


# operations: a1 a2 b1 c1 d1 f1
A1, A2, B1, C1, D1, F1 = range(6)


def _plan(a1: tuple[int, int]) -> Schedule:
    """a1 at (machine, start); everything else where the previous plan had it, f1 at 60."""
    machines = [a1[0], 2, 0, 1, 1, 2]
    starts = [a1[1], 30, 10, 0, 50, 60]
    return Schedule.from_lists(machines, starts, [s + 10 for s in starts])


def test_the_step_takes_the_moved_work_what_runs_beside_it_and_what_follows() -> None:
    data = _shop()
    # a1 moved from M1 at 0 to M2 at 20: its span is 0-30 on both machines it may use
    chosen = displaced_neighbourhood(data, _plan((1, 20)))
    # b1 runs on M1 within the span; a2 follows a1; f1 is new; c1 is pinned; d1 runs later
    assert chosen == [A1, A2, B1, F1]


def test_new_work_takes_what_runs_between_its_release_and_its_end() -> None:
    # nothing moved; f1 is new, released at 0 and ending at 70: a2 runs on M3 meanwhile
    assert displaced_neighbourhood(_shop(), _plan((0, 0))) == [A2, F1]


def test_new_work_looks_no_further_than_its_due_date() -> None:
    data = problem(
        machines=[machine("M")],
        jobs=[
            job("A", op("a", ("M", 10), previous={"machine": "M", "start": 0})),
            job("B", op("b", ("M", 10), previous={"machine": "M", "start": 40})),
            job("R", op("r", ("M", 10)), due=15),
        ],
        objective={"makespan": 1, "stability": 5},
    ).build()
    s = Schedule.from_lists([0, 0, 0], [0, 40, 60], [10, 50, 70])
    # r is due at 15: it should run within 0-15, where a runs; b (40-50) is not in the way
    assert displaced_neighbourhood(data, s) == [0, 2]


def test_without_a_stability_weight_there_is_nothing_to_settle() -> None:
    assert displaced_neighbourhood(_shop(stability=0), _plan((1, 20))) == []


def _settle(data: ProblemData, s: Schedule, **overrides: Any) -> tuple[Schedule, dict[str, int]]:
    settings = QUICK.with_overrides(**overrides)
    return settle_displaced(data, settings, s, Tracker(time.perf_counter(), None), lambda: 5.0)


@pytest.mark.parametrize("capped", [False, True])
def test_the_step_puts_the_displaced_work_back_where_it_pays(capped: bool) -> None:
    data = _shop()
    warm = _plan((1, 20))  # makespan 70, a1 moved: 75
    assert check(data, warm).kpis.objective == pytest.approx(75)
    overrides = {"lns_max_iterations": 5} if capped else {}
    settled, stats = _settle(data, warm, **overrides)
    report = check(data, settled)
    assert report.feasible, report.summary()
    # the optimum: a1 back on M1 at 0, a2 and d1 (re-timed behind the step) moved to 10,
    # f1 on M3 at 0 or 20: makespan 20 and two moved (keeping a2 and d1 in place costs 60)
    assert report.kpis.objective == pytest.approx(30)
    assert report.kpis.moved_operations == 2
    assert settled.machine[A1] == 0 and settled.start[A1] == 0
    assert stats == {"operations": 4, "improved": 1, "too_large": 0}


@pytest.mark.parametrize("capped", [False, True])
def test_the_step_gets_four_fifths_of_the_time(
    capped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's "it gets 80% of the time left for sequencing": on the clock, or
    as deterministic work of the time limit (10 s in ``QUICK``) when capped."""
    from planner.scheduling.lns import LargeNeighbourhoodSearch

    asked: list[tuple[float, float | None]] = []

    def focus(
        self: object, s: Schedule, seeds: list[int], time_limit: float, work: float | None = None
    ) -> Schedule:
        asked.append((time_limit, work))
        return s

    monkeypatch.setattr(LargeNeighbourhoodSearch, "focus", focus)
    _settle(_shop(), _plan((1, 20)), **({"lns_max_iterations": 5} if capped else {}))
    # ``_settle`` says 5 s are left
    expected = (5.0, pytest.approx(8.0)) if capped else (pytest.approx(4.0), None)
    assert asked == [expected]


def test_a_capped_step_repeats() -> None:
    data = _shop()
    first, _ = _settle(data, _plan((1, 20)), lns_max_iterations=5)
    second, _ = _settle(data, _plan((1, 20)), lns_max_iterations=5)
    assert first.start.tolist() == second.start.tolist()
    assert first.machine.tolist() == second.machine.tolist()


def test_a_neighbourhood_beyond_the_full_model_is_left_alone() -> None:
    data = _shop()
    warm = _plan((1, 20))
    settled, stats = _settle(data, warm, full_model_max_operations=2)
    assert settled is warm
    assert stats["too_large"] == 1


@pytest.mark.parametrize("strategy", ["cpsat", "lns"])
def test_the_warm_start_is_settled_before_the_rules_plans_are_compared(strategy: str) -> None:
    from planner.scheduling import solve
    from planner.scheduling.construct import dispatch_best

    data = _shop(stability=30)
    warm = _plan((1, 20))
    # the rules' plan moves a2 and d1 (makespan 20: 80), better than the warm start (a1
    # moved, makespan 70: 100), worse than the warm start settled (a1 back: 60)
    assert check(data, dispatch_best(data).schedule).kpis.objective == pytest.approx(80)
    assert check(data, warm).kpis.objective == pytest.approx(100)
    # the CP-SAT step alone (f1 is new: the flexible search would settle it first)
    tuning = SearchTuning(displaced_flexible_share=0)
    settings = QUICK.with_overrides(strategy=strategy, lns_max_iterations=1, tuning=tuning)
    result = solve(data, settings, initial=warm)
    assert result.stats["displaced_focus"] == {"operations": 4, "improved": 1, "too_large": 0}
    assert result.stats["start"] == "initial"
    assert result.objective == pytest.approx(60)
    assert result.assignment is not None
    assert check(data, result.assignment).feasible


def test_only_new_work_counts_as_new() -> None:
    assert has_new_work(_shop())  # f1
    assert not has_new_work(_shop(stability=0))  # no previous plan priced
    without_f = problem(
        machines=[machine("M1")],
        jobs=[job("A", op("a1", ("M1", 10), previous={"machine": "M1", "start": 0}))],
        objective={"makespan": 1, "stability": 5},
    ).build()
    assert not has_new_work(without_f)


@pytest.mark.parametrize("new_work", [True, False])
def test_new_work_gets_the_flexible_search_before_the_step(new_work: bool) -> None:
    """Re-planning with new work runs the flexible tabu search from the warm start before
    the CP-SAT step (its counters are named ``settle_flex_*``); without new work it does not."""
    from planner.scheduling import solve

    data = _shop(stability=30)
    warm = _plan((1, 20))
    if not new_work:  # f1 has a previous placement where the warm start has it
        previous = tuple(p if o != F1 else (2, 60) for o, p in enumerate(data.op_previous))
        data = dataclasses.replace(data, op_previous=previous)
    settings = QUICK.with_overrides(strategy="lns", lns_max_iterations=1, tabu_max_steps=50)
    result = solve(data, settings, initial=warm)
    assert ("settle_flex_steps" in result.stats) == new_work
    if new_work:  # the search alone finds the optimum (a1 back): the step has nothing left
        assert result.stats["settle_flex_improvements"] == 1
        assert result.objective == pytest.approx(60)
    assert result.assignment is not None
    report = check(data, result.assignment)
    assert report.feasible and report.kpis.objective == pytest.approx(result.objective)
    assert report.kpis.objective <= check(data, warm).kpis.objective


@pytest.mark.parametrize(("later_start", "status"), [(23, "OPTIMAL"), (22, "INFEASIBLE")])
def test_work_held_in_place_after_a_step_bounds_its_free_work(
    later_start: int, status: str
) -> None:
    """The model's side of :func:`held_in_place`: a (family X, 10 minutes, from 8) must end
    before b (family Y) starts at ``later_start``, the changeover X -> Y (5) included."""
    from planner.scheduling.cpsat import SchedulingModel
    from planner.scheduling.subproblem import MachineSuffix, SubProblem

    data = problem(
        machines=[machine("M")],
        jobs=[
            job("A", op("a", ("M", 10), setup_family="X")),
            job("B", op("b", ("M", 10), setup_family="Y")),
        ],
        setups=[{"from_family": "*", "to_family": "*", "minutes": 5}],
    ).build()
    suffix = MachineSuffix(operation=1, tail=10, start=later_start)
    sub = SubProblem(
        free=(0,),
        head={0: 8},
        job_tail={},
        prefix={},
        suffix={0: suffix},
        makespan_floor=0,
        completion_floor={},
        fixed_power=(),
        horizon=data.horizon,
    )
    outcome = SchedulingModel(data, sub, 30).solve(time_limit=5, workers=1)
    assert outcome.status == status
    if outcome.placement is not None:
        assert outcome.placement.assignments[0][1:3] == (8, 18)


@pytest.mark.parametrize(("latest_end", "machine_index"), [(None, 1), (15, 0)])
def test_a_latest_end_bounds_the_free_work(latest_end: int | None, machine_index: int) -> None:
    """The later work of a job held in place: a (10 minutes on M1, 20 on M2, previously on
    M2, where staying is worth 100) ends by ``latest_end``, so it moves to M1."""
    from planner.scheduling.cpsat import SchedulingModel
    from planner.scheduling.subproblem import SubProblem

    data = problem(
        machines=[machine("M1"), machine("M2")],
        jobs=[job("A", op("a", ("M1", 10), ("M2", 20), previous={"machine": "M2", "start": 0}))],
        objective={"makespan": 1, "stability": 100},
    ).build()
    bound = {} if latest_end is None else {0: latest_end}
    sub = dataclasses.replace(SubProblem.full(data), latest_end=bound)
    outcome = SchedulingModel(data, sub, 30).solve(time_limit=5, workers=1)
    assert outcome.status == "OPTIMAL" and outcome.placement is not None
    assert outcome.placement.assignments[0][0] == machine_index


def test_a_capped_step_that_does_not_finish_repeats() -> None:
    """On a factory where the step stops at its work limit, not at a proof (the tiny shop
    above is proved at once), two capped runs with one worker give the same plan."""
    from planner.io.synthetic import synthetic_problem
    from planner.scheduling.construct import dispatch_best

    data = synthetic_problem(12, 6, 4, seed=3, energy=False).build()
    plan = dispatch_best(data).schedule
    # the previous plan had every seventh operation an hour earlier: those count as moved
    previous = tuple(
        (int(m), int(s) - (60 if o % 7 == 0 else 0))
        for o, (m, s) in enumerate(zip(plan.machine, plan.start, strict=True))
    )
    runs = [
        _settle(replanning(data, previous), plan, lns_max_iterations=1, time_limit_s=0.5, seed=5)
        for _ in range(2)
    ]
    (first, stats), (second, _) = runs
    assert stats["operations"] > 20
    assert first.start.tolist() == second.start.tolist()
    assert first.machine.tolist() == second.machine.tolist()
