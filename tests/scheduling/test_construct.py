"""Dispatching rules give feasible schedules on every shared instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.check import check
from planner.io import read_instance
from planner.io.synthetic import synthetic_problem
from planner.scheduling.construct import RULES, dispatch

ROOT = Path(__file__).resolve().parents[2] / "benchmarks" / "instances"
SMALL = sorted(p for p in ROOT.rglob("*.txt") if "large" not in p.parts)
LARGE = sorted((ROOT / "jobshop" / "large").glob("*.txt"))


def _fmt(path: Path) -> str:
    return "fjs" if "fjsp" in path.parts else "jsp"


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.stem)
def test_dispatch_is_feasible_on_every_instance(path: Path) -> None:
    data = read_instance(path, _fmt(path)).build()
    schedule = dispatch(data)
    report = check(data, schedule)
    assert report.feasible, report.summary()


@pytest.mark.slow
@pytest.mark.parametrize("path", LARGE, ids=lambda p: p.stem)
def test_dispatch_is_feasible_on_the_large_instances(path: Path) -> None:
    data = read_instance(path, "jsp").build()
    schedule = dispatch(data)
    report = check(data, schedule)
    assert report.feasible, report.summary()


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_handles_setups_calendars_power(rule: str) -> None:
    data = synthetic_problem(30, 6, 4, seed=3, peak_power_kw=200).build()
    for window in (0.0, 0.5):
        for active in (False, True):
            report = check(data, dispatch(data, rule, window=window, active=active))
            assert report.feasible, report.summary()


def test_calendar_aware_load_bound() -> None:
    from planner.model import Problem
    from planner.scheduling.bounds import makespan_lower_bound

    # two machines share 300 minutes of work; one is off 0-100: by T they offer 2T - 100
    problem = Problem.from_dict(
        {
            "machines": [{"id": "A", "unavailable": [{"start": 0, "end": 100}]}, {"id": "B"}],
            "jobs": [
                {
                    "id": f"J{k}",
                    "operations": [
                        {
                            "id": "o",
                            "machines": [
                                {"machine": "A", "duration": 100},
                                {"machine": "B", "duration": 100},
                            ],
                        }
                    ],
                }
                for k in range(3)
            ],
        }
    )
    assert makespan_lower_bound(problem.build()) == 200


def test_an_operation_that_fits_before_a_break_goes_first() -> None:
    """The machine stops at 10 for 10 minutes: job A's first step (15 min, the most work
    left) cannot run before the break, job B's (8 min) can; the rule fills the gap with B."""
    from planner.model import Problem

    def job(name: str, durations: list[int]) -> dict[str, object]:
        return {
            "id": name,
            "operations": [
                {"id": f"o{k}", "machines": [{"machine": "M", "duration": d}]}
                for k, d in enumerate(durations)
            ],
        }

    problem = Problem.from_dict(
        {
            "machines": [{"id": "M", "unavailable": [{"start": 10, "end": 20}]}],
            "jobs": [job("A", [15, 5]), job("B", [8])],
        }
    )
    data = problem.build()
    schedule = dispatch(data, "mwkr")
    assert check(data, schedule).feasible
    b = next(o for o in range(data.num_operations) if data.job_ids[data.op_job[o]] == "B")
    assert schedule.start[b] == 0
    assert int(schedule.end.max()) == 40  # B 0-8, break, A 20-35, A 35-40


def test_perturbed_priorities_repeat_by_seed_and_stay_feasible() -> None:
    data = synthetic_problem(30, 6, 4, seed=3, peak_power_kw=200).build()
    first = dispatch(data, "mwkr", noise=0.3, seed=7)
    again = dispatch(data, "mwkr", noise=0.3, seed=7)
    assert check(data, first).feasible
    assert (first.start == again.start).all() and (first.machine == again.machine).all()
    others = [dispatch(data, "mwkr", noise=0.3, seed=s) for s in range(8)]
    assert any((o.start != first.start).any() for o in others)


def test_restarts_never_give_a_worse_first_plan() -> None:
    from planner.check import compute_kpis
    from planner.scheduling.construct import best_dispatch

    data = synthetic_problem(40, 8, 5, seed=1).build()
    plain, name = best_dispatch(data)
    restarted, restarted_name = best_dispatch(data, restarts=10, seed=3)
    assert check(data, restarted).feasible
    plain_value = compute_kpis(data, plain).objective
    assert compute_kpis(data, restarted).objective <= plain_value
    assert restarted_name.startswith(name)
    assert best_dispatch(data, restarts=10, seed=3)[1] == restarted_name


def test_the_first_plan_budget_counts_operations_not_seconds() -> None:
    from planner.scheduling.construct import best_dispatch, default_rule

    data = synthetic_problem(40, 8, 5, seed=1).build()
    n = data.num_operations
    first = f"{default_rule(data)}/w0.0"
    assert best_dispatch(data, budget=0)[1] == first  # the first rule always runs
    assert best_dispatch(data, budget=n, restarts=10)[1] == first
    # every variant fits, no restart does: the best rule without perturbation
    variants = 2 * len({default_rule(data), "mwkr", "edd"})
    assert "restart" not in best_dispatch(data, budget=variants * n, restarts=10)[1]
    again = [best_dispatch(data, budget=9 * n, restarts=10, seed=2) for _ in range(2)]
    assert again[0][1] == again[1][1]
    assert (again[0][0].start == again[1][0].start).all()


def test_restarts_run_only_with_changeovers_or_calendars() -> None:
    from planner.io.synthetic import synthetic_problem as factory
    from planner.scheduling.strategy import restarts_pay

    job_shop = read_instance(ROOT / "jobshop" / "fisher-thompson" / "ft06.txt", "jsp").build()
    assert not restarts_pay(job_shop)
    assert restarts_pay(factory(10, 4, 3, seed=0).build())
