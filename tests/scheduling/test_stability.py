"""The stability term: each operation away from where the previous plan had it (another
machine, or a start beyond the tolerance) costs ``objective.stability``. Tiny models with known
optima for CP-SAT and the neighbourhood search, the checker's count, and whole re-plans."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import planner
from planner.check import check
from planner.scheduling import solve
from planner.scheduling.evaluate import Evaluator
from tests.conftest import QUICK, assert_checked, job, machine, op, problem

SMALL = Path(__file__).parents[1] / "data" / "small" / "scenario.yaml"


def _gap_problem(stability: float, tolerance: int = 0) -> Any:
    """Two 10-minute jobs on one machine; the previous plan ran B at 30, leaving a gap."""
    return problem(
        machines=[machine("M")],
        jobs=[
            job("A", op("a", ("M", 10), previous={"machine": "M", "start": 0})),
            job("B", op("b", ("M", 10), previous={"machine": "M", "start": 30})),
        ],
        objective={
            "makespan": 1,
            "stability": stability,
            "stability_tolerance_min": tolerance,
        },
    ).build()


@pytest.mark.parametrize(
    ("stability", "tolerance", "optimum", "moved"),
    [
        (100, 0, 40, 0),  # staying (makespan 40) beats moving B (20 + 100)
        (5, 0, 25, 1),  # moving B (20 + 5) beats staying (40)
        (5, 25, 20, 0),  # B may move 20 minutes without counting as moved
        (0, 0, 20, 1),  # no weight: the plain optimum
    ],
)
@pytest.mark.parametrize("strategy", ["cpsat", "lns"])
def test_the_weight_decides_whether_an_operation_moves(
    stability: float, tolerance: int, optimum: float, moved: int, strategy: str
) -> None:
    data = _gap_problem(stability, tolerance)
    settings = QUICK.with_overrides(strategy=strategy, lns_max_iterations=20)
    result = solve(data, settings)
    report = assert_checked(result, data)
    assert result.objective == pytest.approx(optimum)
    assert report.kpis.moved_operations == moved or stability == 0


def test_changing_machine_counts_as_moved() -> None:
    data = problem(
        machines=[machine("M1"), machine("M2")],
        jobs=[
            job("A", op("a", ("M1", 10), ("M2", 10), previous={"machine": "M1", "start": 0})),
            job("B", op("b", ("M1", 10), ("M2", 10), previous={"machine": "M1", "start": 10})),
        ],
        objective={"makespan": 1, "stability": 7},
    ).build()
    result = solve(data, QUICK.with_overrides(strategy="cpsat"))
    report = assert_checked(result, data)
    # moving B to M2 at 0 (makespan 10, one move: 17) beats staying (makespan 20)
    assert result.objective == pytest.approx(17)
    assert report.kpis.moved_operations == 1


def test_the_checker_and_the_search_count_alike() -> None:
    data = _gap_problem(3, tolerance=2)
    result = solve(data, QUICK.with_overrides(strategy="cpsat"))
    assert result.assignment is not None
    moved = Evaluator(data).moved(result.assignment)
    assert moved == check(data, result.assignment).kpis.moved_operations


def _small(stability: float | None, change: list[dict[str, Any]] | None = None) -> Any:
    raw = planner.load_scenario(SMALL).raw()
    raw["solver"].update(
        workers=1, seed=2, strategy="lns", lns_max_iterations=15, tabu_max_steps=1000
    )
    raw["solver"]["time_limit_s"] = 120
    if stability is not None:
        raw.setdefault("objective", {})["stability"] = stability
    if change:
        from planner.whatif import apply_change

        raw = apply_change(copy.deepcopy(raw), change)
    return planner.load_scenario(raw, base_dir=SMALL.parent)


@pytest.fixture(scope="module")
def base() -> planner.Plan:
    return planner.plan(_small(None))


def test_replanning_an_unchanged_scenario_moves_nothing(base: planner.Plan) -> None:
    again = planner.plan(_small(1e6), previous_plan=base)
    assert again.kpis.stability is not None
    assert again.kpis.stability.compared_operations == len(base.schedule)
    assert again.kpis.stability.moved_operations == 0


def test_a_breakdown_moves_fewer_operations_with_the_weight(base: planner.Plan) -> None:
    busy = base.schedule.sort_values("start").iloc[0]
    down = [
        {
            "edit": "machine_down",
            "machine": busy["machine"],
            "start": busy["start_time"].isoformat(),
            "end": (busy["end_time"] + (busy["end_time"] - busy["start_time"])).isoformat(),
        }
    ]
    free = planner.plan(_small(0, down), previous_plan=base)
    stable = planner.plan(_small(None, down), previous_plan=base)  # the default weight
    assert free.kpis.stability is not None and stable.kpis.stability is not None
    assert stable.kpis.stability.moved_operations < free.kpis.stability.moved_operations
    assert stable.feasible and free.feasible


def test_without_a_previous_plan_nothing_is_compared(base: planner.Plan) -> None:
    assert base.kpis.stability is None and base.kpis.schedule.moved_operations == 0


def test_the_classical_tabu_search_stands_aside_when_stability_is_priced() -> None:
    # the flexible search prices it instead (tests/scheduling/test_flexible_shared.py)
    from planner.scheduling.flexible import flexible_applies
    from planner.scheduling.tabu import tabu_applies

    data = _gap_problem(5)
    assert not tabu_applies(data) and flexible_applies(data)
    assert tabu_applies(_gap_problem(0))  # without the weight it is a classical job shop


def test_the_warm_start_keeps_what_still_fits(base: planner.Plan) -> None:
    from planner.stages.reschedule import warm_start_schedule

    assert base.data is not None
    repaired = warm_start_schedule(base.data, base.schedule)
    assert repaired is not None
    by_key = base.schedule.set_index(["job", "operation"])
    for o in range(base.data.num_operations):
        key = (base.data.job_ids[base.data.op_job[o]], base.data.op_ids[o])
        assert repaired.start[o] == by_key.loc[key, "start"], key
        assert base.data.machine_ids[repaired.machine[o]] == by_key.loc[key, "machine"], key


def test_the_warm_start_is_the_better_of_two_repairs(base: planner.Plan) -> None:
    from planner.scheduling.evaluate import Evaluator
    from planner.scheduling.repair import dispatch_in_order
    from planner.stages.reschedule import warm_start_schedule

    data = base.data
    assert data is not None
    moved = base.schedule.copy()
    early = moved["start"] < moved["start"].median()
    moved.loc[early, "start"] += 90  # the first half of the plan slipped by an hour and a half
    repaired = warm_start_schedule(data, moved)
    assert repaired is not None
    by_key = moved.set_index(["job", "operation"])
    keys = [(data.job_ids[data.op_job[o]], data.op_ids[o]) for o in range(data.num_operations)]
    order = sorted(range(data.num_operations), key=lambda o: (by_key.loc[keys[o], "start"], o))
    hints = [data.machine_ids.index(by_key.loc[k, "machine"]) for k in keys]
    at = [int(by_key.loc[k, "start"]) for k in keys]
    evaluator = Evaluator(data)
    both = [
        evaluator.objective(dispatch_in_order(data, order, hints, at, k)) for k in (True, False)
    ]
    assert evaluator.objective(repaired) == pytest.approx(min(both))
    assert check(data, repaired).feasible


def test_the_default_weight_is_in_the_objective(base: planner.Plan) -> None:
    from planner.model.settings import DEFAULT_STABILITY

    frozen = int(base.schedule["start"].median())
    again = planner.plan(_small(None), previous_plan=base, frozen_until=frozen)
    k = again.kpis.schedule
    w = planner.load_scenario(SMALL).scenario.objective
    without = (
        w.makespan * k.makespan
        + w.weighted_tardiness * k.total_weighted_tardiness
        + w.energy_cost * k.energy_cost
        + w.setup_time * k.total_setup_time
    )
    assert k.objective == pytest.approx(without + DEFAULT_STABILITY * k.moved_operations, abs=1e-3)


def test_the_readme_states_the_default_weight() -> None:
    from planner.model.settings import DEFAULT_STABILITY

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert " ".join(readme.split()).count(f"(default {DEFAULT_STABILITY:g} when the scenario") == 1
