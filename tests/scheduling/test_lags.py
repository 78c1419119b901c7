"""Time lags and overlapping batches: one tiny hand-solvable model each (every strategy finds
its exact optimum, checked), the checker naming hand-broken arcs, and input errors."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from planner.check import check
from planner.explain import explain_late_jobs
from planner.model import InvalidInputError, Problem, SolverSettings
from planner.schedule import Schedule
from planner.scheduling import solve
from planner.scheduling.bounds import objective_lower_bound
from planner.scheduling.construct import dispatch
from planner.scheduling.flexible import FlexibleTabuSearch, flexible_applies
from tests.conftest import job, machine, op, optimum_by_every_strategy, problem


def curing(due: int | None = None, **lag: Any) -> Problem:
    """J1 coats on A (10) and packs on B (10); J2 runs 30 on A, then 30 on B."""
    return problem(
        machines=[machine("A"), machine("B")],
        jobs=[
            job("J1", op("coat", ("A", 10)), op("pack", ("B", 10), **lag), due=due),
            job("J2", op("a", ("A", 30)), op("b", ("B", 30))),
        ],
    )


def test_minimum_lag_curing() -> None:
    # J2 first would end at 40 + 60 + 10 = 110; coating first lets J1 cure while J2 runs:
    # coat 0-10, a 10-40, b 40-70, pack from 10 + 60 = 70 to 80
    assert optimum_by_every_strategy(curing()) == 70
    assert optimum_by_every_strategy(curing(min_lag_minutes=60)) == 80


def test_the_bound_counts_the_lag() -> None:
    # J1 alone needs 10 + 60 + 10: the solver proves 80 optimal with the routing bound
    assert objective_lower_bound(curing(min_lag_minutes=60).build()) == 80


def no_wait(**lag: Any) -> Problem:
    """J1 welds on A (10), then coats on B (10); A is down from 10 to 100; J2 runs 20 on B."""
    return problem(
        machines=[machine("A", unavailable=[{"start": 10, "end": 100}]), machine("B")],
        jobs=[
            job("J1", op("weld", ("A", 10)), op("coat", ("B", 10), **lag)),
            job("J2", op("b", ("B", 20))),
        ],
    )


def test_maximum_lag_no_wait() -> None:
    # without a lag: weld 0-10, b 0-20, coat 20-30. Coating right after welding: weld 0-10,
    # coat 10-20, b 20-40 (b first would push welding past the window: 120)
    assert optimum_by_every_strategy(no_wait()) == 30
    assert optimum_by_every_strategy(no_wait(max_lag_minutes=0)) == 40


def changeover_into_no_wait() -> Problem:
    """Both steps on one machine, the second of another family and with no wait."""
    return problem(
        machines=[machine("A")],
        jobs=[
            job(
                "J",
                op("weld", ("A", 5), setup_family="x"),
                op("coat", ("A", 5), setup_family="y", max_lag_minutes=0),
            )
        ],
        setups=[{"from_family": "x", "to_family": "y", "minutes": 3}],
    )


def test_no_plan_when_a_changeover_must_fit_into_no_wait() -> None:
    # both steps on one machine, the second of another family: its changeover cannot fit
    # between them when it must start the minute the first ends
    p = changeover_into_no_wait()
    result = solve(p, SolverSettings(time_limit_s=5, workers=1, strategy="cpsat"))
    assert result.status == "infeasible"


def test_the_rule_is_run_again_with_an_early_predecessor_held_back() -> None:
    # "join" waits for two steps and must start within 0 min of both; C is busy until 30.
    # Placing "b" (the last predecessor) holds it back to end at 30, but "a" ended at 10:
    # only running the rule again with "a" held back (to 20-30) keeps both lags
    from planner.scheduling import max_lags

    p = problem(
        machines=[machine("A"), machine("B"), machine("C")],
        jobs=[
            job(
                "J",
                op("a", ("A", 10)),
                op("b", ("B", 5)),
                op("join", ("C", 5), predecessors=["a", "b"], max_lag_minutes=0),
            ),
            job("X", op("x", ("C", 30))),
        ],
    )
    data = p.build()
    rounds = []
    original = max_lags._max_lag_delays

    def counted(*args: Any) -> Any:
        rounds.append(1)
        return original(*args)

    max_lags._max_lag_delays = counted  # type: ignore[assignment]
    try:
        schedule = dispatch(data, "spt")
    finally:
        max_lags._max_lag_delays = original  # type: ignore[assignment]
    report = check(data, schedule)
    assert report.feasible, report.summary()
    a, b, join = (data.op_ids.index(name) for name in ("a", "b", "join"))
    assert schedule.start[join] == schedule.end[a] == schedule.end[b] == 30
    assert len(rounds) >= 2  # the first run broke the lag of "a"; a later one keeps it


def test_the_dispatching_rule_holds_a_maximum_lag() -> None:
    data = no_wait(max_lag_minutes=5).build()
    report = check(data, dispatch(data))
    assert report.feasible, report.summary()


def transfer(**lag: Any) -> Problem:
    """J1 bends on A (20), then welds on B (20); J2 runs 10 on B."""
    return problem(
        machines=[machine("A"), machine("B")],
        jobs=[
            job("J1", op("bend", ("A", 20)), op("weld", ("B", 20), **lag)),
            job("J2", op("w", ("B", 10))),
        ],
    )


def test_transfer_batches_overlap_the_steps() -> None:
    # whole lot: w 0-10, weld 20-40. A quarter of the lot: welding may start after 5 min of
    # bending and end 5 min after it: w 0-10, weld 10-30
    assert optimum_by_every_strategy(transfer()) == 40
    assert optimum_by_every_strategy(transfer(transfer_share=0.25)) == 30
    # a minimum lag (transport) comes on top: weld 13-33
    assert optimum_by_every_strategy(transfer(transfer_share=0.25, min_lag_minutes=8)) == 33


def test_transfer_share_with_machine_choice() -> None:
    # the slow machine C (40) could start at 5 but must end at 20 + 10 = 30 at least: the
    # fast machine B ends at 25 after starting at 5
    p = problem(
        machines=[machine("A"), machine("B"), machine("C")],
        jobs=[
            job("J1", op("bend", ("A", 20)), op("weld", ("B", 20), ("C", 40), transfer_share=0.25))
        ],
    )
    assert optimum_by_every_strategy(p) == 25


def schedule_of(starts: dict[str, tuple[int, int, int]], data: Any) -> Schedule:
    """A hand-made schedule: operation id -> (machine index, start, duration)."""
    rows = [starts[data.op_ids[o]] for o in range(data.num_operations)]
    return Schedule.from_lists(
        [m for m, _, _ in rows], [s for _, s, _ in rows], [s + d for _, s, d in rows]
    )


@pytest.mark.parametrize(
    ("p", "times", "kind", "arc"),
    [
        (curing(min_lag_minutes=60), {"pack": (1, 69, 10)}, "min_lag", ("coat", "pack")),
        (no_wait(max_lag_minutes=0), {"coat": (1, 11, 10)}, "max_lag", ("weld", "coat")),
        (transfer(transfer_share=0.25), {"weld": (1, 4, 20)}, "transfer", ("bend", "weld")),
        (transfer(transfer_share=0.25), {"weld": (1, 5, 19)}, "transfer", ("bend", "weld")),
    ],
)
def test_the_checker_names_a_broken_arc(
    p: Problem, times: dict[str, Any], kind: str, arc: tuple[str, str]
) -> None:
    data = p.build()
    good = {"coat": (0, 0, 10), "pack": (1, 70, 10), "a": (0, 10, 30), "b": (1, 40, 30)}
    good |= {"weld": (0, 0, 10), "bend": (0, 0, 20), "w": (1, 40, 10)}
    if "bend" in data.op_ids:
        good["weld"] = (1, 20, 20)
    if "coat" in data.op_ids and "weld" in data.op_ids:
        good |= {"coat": (1, 10, 10), "b": (1, 20, 20)}
    assert check(data, schedule_of(good, data)).feasible
    report = check(data, schedule_of(good | times, data))
    broken = [v for v in report.violations if v.kind == kind]
    assert len(broken) == 1, report.summary()
    assert tuple(data.op_ids[o] for o in broken[0].operations) == arc
    assert all(name in broken[0].message for name in arc)


def test_the_explanation_names_the_lag() -> None:
    p = curing(due=50, min_lag_minutes=60)
    result = solve(p, SolverSettings(time_limit_s=5, workers=1, strategy="cpsat"))
    (late,) = explain_late_jobs(result, None)
    assert late["job"] == "J1"
    assert late["binding"][0] == "routing"
    assert "coat (ends 10) and a minimum lag of 60 min" in late["reasons"][0]


def issues_of(p: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as info:
        Problem.from_dict(p).build()
    return {i.path: i.message for i in info.value.issues}


def test_a_lag_needs_a_predecessor_and_every_such_step_is_named() -> None:
    found = issues_of(
        {
            "machines": [machine("A")],
            "jobs": [
                job("J1", op("a", ("A", 1), min_lag_minutes=5), op("b", ("A", 1))),
                job("J2", op("a", ("A", 1), transfer_share=0.5)),
            ],
        }
    )
    assert set(found) == {
        "jobs[0].operations[0].min_lag_minutes",
        "jobs[1].operations[0].transfer_share",
    }
    assert all("no predecessor" in message for message in found.values())


def test_a_maximum_lag_below_the_minimum_is_refused_at_its_path() -> None:
    late = op("b", ("A", 1), min_lag_minutes=10, max_lag_minutes=5)
    raw = {"machines": [machine("A")], "jobs": [job("J", op("a", ("A", 1)), late)]}
    with pytest.raises(InvalidInputError) as info:
        Problem.from_dict(raw)
    (issue,) = info.value.issues
    assert issue.path == "jobs[0].operations[1]"
    assert "max_lag_minutes (5) is below min_lag_minutes (10)" in issue.message


def test_with_neighbourhood_search_alone_the_full_model_proves_there_is_no_plan() -> None:
    # no rule finds a plan here; the neighbourhood search has nothing to start from, so the
    # full model looks for one and proves there is none
    p = changeover_into_no_wait()
    result = solve(p, SolverSettings(time_limit_s=5, workers=1, strategy="lns"))
    assert result.status == "infeasible"


def test_the_flexible_search_takes_lags_and_transfer_batches() -> None:
    assert flexible_applies(transfer(transfer_share=0.5, min_lag_minutes=3).build())
    assert flexible_applies(no_wait(max_lag_minutes=10).build())


def test_the_flexible_search_holds_a_step_back_for_a_maximum_lag() -> None:
    # from the rule's plan (b first, welding held back past the window: 120) to the optimum
    data = no_wait(max_lag_minutes=0).build()
    start = dispatch(data)
    found = FlexibleTabuSearch(data, seed=0).improve(start, lambda: math.inf, max_steps=300)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.makespan == 40


@pytest.mark.parametrize("seed", range(6))
def test_the_flexible_search_keeps_maximum_lags_on_random_factories(seed: int) -> None:
    """Every plan it returns passes the checker and is no worse than where it started."""
    rng = random.Random(seed)
    jobs = [
        job(
            f"J{j}",
            *(
                op(
                    f"o{k}",
                    *[(m, rng.randint(2, 9)) for m in rng.sample("ABC", rng.randint(1, 2))],
                    setup_family=rng.choice("xy"),
                    **(
                        {"max_lag_minutes": rng.choice([3, 5, 15])}
                        if k and rng.random() < 0.6
                        else {}
                    ),
                )
                for k in range(3)
            ),
            release=rng.randint(0, 5),
        )
        for j in range(4)
    ]
    p = problem(
        machines=[machine("A", unavailable=[{"start": 12, "end": 20}]), machine("B"), machine("C")],
        jobs=jobs,
        setups=[{"from_family": "*", "to_family": "*", "minutes": 2}],
    )
    data = p.build()
    start = dispatch(data)
    before = check(data, start)
    assert before.feasible, before.summary()  # every lag leaves room for the changeover
    found = FlexibleTabuSearch(data, seed=seed).improve(start, lambda: math.inf, max_steps=400)
    report = check(data, found)
    assert report.feasible, report.summary()
    assert report.kpis.objective <= before.kpis.objective + 1e-9


def night(lag_time: str, closed: tuple[str, ...] = ("A", "B")) -> Problem:
    """J1 coats on A (90), then packs on B (10) at least 30 min later; the machines in
    ``closed`` are down from 100 to 200."""
    window = [{"start": 100, "end": 200}]
    return problem(
        machines=[machine(m, unavailable=window if m in closed else []) for m in ("A", "B")],
        jobs=[
            job(
                "J1",
                op("coat", ("A", 90)),
                op("pack", ("B", 10), min_lag_minutes=30, lag_time=lag_time),
            )
        ],
    )


def test_a_minimum_lag_in_working_time_skips_the_night() -> None:
    # calendar time: ready at 120, but B is down until 200, so 200-210. Working time: 10 min
    # before the plant closes at 100, 20 after it opens: 220-230
    assert optimum_by_every_strategy(night("calendar")) == 210
    assert optimum_by_every_strategy(night("working")) == 230
    # the plant works while any machine does: with B open at night, 30 min is 30 min
    assert optimum_by_every_strategy(night("working", closed=("A",))) == 130
    assert optimum_by_every_strategy(night("calendar", closed=("A",))) == 130
    # the flexible tabu search times by calendar minutes: it leaves working-time lags alone
    assert flexible_applies(night("calendar").build())
    assert not flexible_applies(night("working").build())


def test_the_checker_counts_working_time() -> None:
    data = night("working").build()
    early = Schedule.from_lists(machine=[0, 1], start=[0, 200], end=[90, 210])
    (violation,) = check(data, early).violations
    assert violation.kind == "min_lag"
    assert "ends (+30 working min lag) at 220" in violation.message


def test_working_time_functions_agree_with_counting_minutes() -> None:
    from planner.model.working_time import WorkingTime

    rng = random.Random(3)
    for _ in range(50):
        closed, t = [], 0
        while (t := t + rng.randint(1, 50)) < 300:
            closed.append((t, t + rng.randint(1, 40)))
            t = closed[-1][1]
        time = WorkingTime(tuple(closed))
        shut = {m for a, b in closed for m in range(a, b)}
        lag = rng.randint(1, 80)
        for x in range(0, 320, 5):
            moment = time.after(x, lag)
            assert sum(m not in shut for m in range(x, moment)) == lag
            assert moment == x or moment - 1 not in shut  # no later than needed
            assert time.between(x, moment) == lag
        lo, hi = rng.randint(0, 50), rng.randint(100, 320)
        pieces = time.pieces(lag, lo, hi)
        assert [x for a, b, _, _ in pieces for x in range(a, b + 1)] == list(range(lo, hi + 1))
        for a, b, value, slope in pieces:
            assert all(
                time.after(x, lag) == (x + value if slope else value) for x in range(a, b + 1)
            )
