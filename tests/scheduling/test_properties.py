"""Property tests: the checker accepts what the solver returns on random small problems, and
rejects randomly corrupted schedules, naming the broken constraint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from planner.check import check
from planner.model import Problem, ProblemData, SolverSettings
from planner.schedule import Schedule
from planner.scheduling import solve


@st.composite
def lags(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly none; else a minimum lag (in calendar or working time), a maximum lag or a
    transfer share (or several). A
    maximum lag leaves room for a changeover (a lag of 0 with a changeover in between has
    no plan at all: see ``test_lags``), so every problem has a plan."""
    if draw(st.integers(0, 2)):
        return {}
    least = draw(st.sampled_from([0, 0, 4]))
    longest = draw(st.sampled_from([None, least + 10, least + 20]))
    return {
        "min_lag_minutes": least,
        "max_lag_minutes": longest,
        "transfer_share": draw(st.sampled_from([None, 0.5])),
        # in working time a night can outlast a maximum lag: only without one
        "lag_time": draw(st.sampled_from(["calendar", "working"]))
        if longest is None
        else "calendar",
    }


@st.composite
def pools(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Mostly none; else an operator pool of 1-2 with, maybe, a stretch with fewer."""
    if draw(st.integers(0, 2)):
        return []
    windows = []
    if draw(st.booleans()):
        start = draw(st.integers(0, 30))
        windows.append(
            {
                "start": start,
                "end": start + draw(st.integers(1, 20)),
                "capacity": draw(st.integers(0, 1)),
            }
        )
    return [{"id": "operators", "capacity": draw(st.integers(1, 2)), "windows": windows}]


@st.composite
def needs(draw: st.DrawFn, has_pool: bool) -> dict[str, Any]:
    if not has_pool or draw(st.booleans()):
        return {}
    return {
        "needs": [{"pool": "operators", "during": draw(st.sampled_from(["operation", "setup"]))}]
    }


@st.composite
def small_problems(draw: st.DrawFn) -> Problem:
    n_machines = draw(st.integers(1, 3))
    families = ["A", "B", "C"][: draw(st.integers(1, 3))]
    machines = []
    for m in range(n_machines):
        windows = []
        if draw(st.booleans()):
            start = draw(st.integers(5, 40))
            windows.append({"start": start, "end": start + draw(st.integers(1, 15))})
        machines.append(
            {
                "id": f"M{m}",
                "power_kw": draw(st.sampled_from([0, 20, 50])),
                "unavailable": windows,
                "initial_family": draw(st.sampled_from([None, *families])),
            }
        )
    resources = draw(pools())
    jobs = []
    for j in range(draw(st.integers(1, 4))):
        ops = []
        for k in range(draw(st.integers(1, 3))):
            eligible = draw(
                st.lists(
                    st.integers(0, n_machines - 1), min_size=1, max_size=n_machines, unique=True
                )
            )
            ops.append(
                {
                    "id": f"o{k}",
                    "machines": [
                        {"machine": f"M{m}", "duration": draw(st.integers(1, 9))} for m in eligible
                    ],
                    "setup_family": draw(st.sampled_from(families)),
                    **(draw(lags()) if k else {}),
                    **draw(needs(bool(resources))),
                }
            )
        if j and draw(st.integers(0, 3)) == 0:  # consumes what an earlier job makes
            supplier = draw(st.integers(0, j - 1))
            link = {"job": f"J{supplier}", "transfer_minutes": draw(st.sampled_from([0, 5]))}
            ops[draw(st.integers(0, len(ops) - 1))]["components"] = [link]
        jobs.append(
            {
                "id": f"J{j}",
                "operations": ops,
                "release": draw(st.integers(0, 10)),
                "due": draw(st.one_of(st.none(), st.integers(5, 40))),
                "weight": draw(st.sampled_from([1, 2, 5])),
            }
        )
    setups = [
        {"from_family": a, "to_family": b, "minutes": draw(st.integers(0, 6))}
        for a in families
        for b in families
        if a != b and draw(st.booleans())
    ]
    peak = draw(st.sampled_from([None, 60, 120]))
    return Problem.from_dict(
        {
            "horizon_start": datetime(2024, 3, 1),
            "machines": machines,
            "jobs": jobs,
            "setups": setups,
            "peak_power_kw": peak,
            "resources": resources,
            "tariff": {"hourly_prices": [draw(st.integers(-20, 150)) * 1.0 for _ in range(8)]},
            "objective": {
                "makespan": 1,
                "weighted_tardiness": draw(st.sampled_from([0, 1])),
                "energy_cost": draw(st.sampled_from([0, 1])),
                "setup_time": draw(st.sampled_from([0, 1])),
            },
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(), st.sampled_from(["cpsat", "lns"]), st.sampled_from([1, 15]))
def test_checker_accepts_what_the_solver_returns(
    problem: Problem, strategy: str, resolution: int
) -> None:
    data = problem.build()
    settings = SolverSettings(
        time_limit_s=3, workers=1, strategy=strategy, energy_resolution_min=resolution
    )
    result = solve(data, settings)
    assert result.status != "invalid"
    if result.status == "infeasible":
        return
    assert result.feasible, result.report.summary() if result.report else result.status
    assert check(data, result.schedule).feasible  # type: ignore[arg-type]


def _corrupt(
    data: ProblemData, s: Schedule, kind: str, rng: np.random.Generator
) -> Schedule | None:
    bad = s.copy()
    n = len(s)
    o = int(rng.integers(n))
    if kind == "duration":
        bad.end[o] += 1
    elif kind == "eligibility":
        others = [m for m in range(data.num_machines) if m not in data.durations[o]]
        if not others:
            return None
        bad.machine[o] = others[0]
    elif kind == "precedence":
        with_pred = [
            q
            for q in range(n)
            if data.op_predecessors[q] and not (data.op_transfer and data.op_transfer[q])
        ]
        if not with_pred:
            return None
        q = with_pred[0]
        p = data.op_predecessors[q][0]
        shift = int(bad.start[q] - bad.end[p]) + 1
        bad.start[q] -= shift
        bad.end[q] -= shift
        if bad.start[q] - bad.setup_before[q] < 0:
            return None
    elif kind == "overlap":
        pairs = [
            (a, b)
            for a in range(n)
            for b in range(n)
            if a != b and s.machine[a] == s.machine[b] and s.start[a] <= s.start[b]
        ]
        if not pairs:
            return None
        a, b = pairs[0]
        delta = int(bad.start[b] - bad.start[a])
        bad.start[b] -= delta
        bad.end[b] -= delta
    elif kind == "release":
        j = data.op_job[o]
        if data.job_release[j] == 0:
            return None
        delta = int(bad.start[o]) - data.job_release[j] + 1
        bad.start[o] -= delta
        bad.end[o] -= delta
    elif kind == "calendar":
        m = int(bad.machine[o])
        if not data.unavailable[m]:
            return None
        w0, _ = data.unavailable[m][0]
        duration = int(bad.end[o] - bad.start[o])
        bad.start[o] = w0
        bad.end[o] = w0 + duration
    return bad


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    small_problems(),
    st.sampled_from(["duration", "eligibility", "precedence", "overlap", "release", "calendar"]),
    st.integers(0, 10_000),
)
def test_checker_rejects_corrupted_schedules(problem: Problem, kind: str, seed: int) -> None:
    data = problem.build()
    result = solve(data, SolverSettings(time_limit_s=3, workers=1, strategy="cpsat"))
    assume(result.feasible and result.assignment is not None)
    assert result.assignment is not None
    bad = _corrupt(data, result.assignment, kind, np.random.default_rng(seed))
    assume(bad is not None)
    assert bad is not None
    report = check(data, bad)
    assert not report.feasible, kind
    kinds = {v.kind for v in report.violations}
    expected: dict[str, Any] = {
        "overlap": {"overlap", "setup"},
        "precedence": {"precedence", "min_lag", "component"},
    }
    assert kinds & expected.get(kind, {kind}), (kind, report.summary())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(), st.integers(0, 10_000))
def test_the_searches_objective_is_the_checkers_on_random_schedules(
    problem: Problem, seed: int
) -> None:
    """The vectorised objective the searches rank candidates by equals the checker's, on
    schedules built in a random order on random eligible machines."""
    from planner.scheduling.evaluate import Evaluator
    from planner.scheduling.repair import dispatch_in_order

    data = problem.build()
    rng = np.random.default_rng(seed)
    order = [int(o) for o in rng.permutation(data.num_operations)]
    hints = [int(rng.choice([m for m, _ in options])) for options in data.op_options]
    schedule = dispatch_in_order(data, order, hints)
    assume(schedule is not None)
    assert schedule is not None
    report = check(data, schedule)
    assume(report.feasible)
    # the checker reports KPIs to six decimals
    assert Evaluator(data).objective(schedule) == pytest.approx(report.kpis.objective, abs=2e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(), st.integers(0, 10_000))
def test_a_repaired_plan_is_feasible_and_keeps_what_fits(problem: Problem, seed: int) -> None:
    """A repair from arbitrary previous starts and machines (the warm start of a re-plan)
    passes the checker (setups, calendars, power, pins), and an operation whose previous
    placement is the repair's own first result stays there when repaired again."""
    from planner.scheduling.repair import dispatch_in_order

    data = problem.build()
    rng = np.random.default_rng(seed)
    order = [int(o) for o in rng.permutation(data.num_operations)]
    hints = [int(rng.choice([m for m, _ in options])) for options in data.op_options]
    starts: list[int | None] = [int(rng.integers(0, data.horizon)) for _ in order]
    first = dispatch_in_order(data, order, hints, starts)
    report = check(data, first)
    # what random previous starts can make impossible to keep; and a maximum lag the repair
    # could not hold within its rounds of holding back (best effort by design, see
    # planner.scheduling.max_lags; the solver then starts elsewhere: a test below)
    unavoidable = ("horizon", "peak_power", "pinned", "max_lag")
    assume(not any(v.kind in unavoidable for v in report.violations))
    assert report.feasible, report.summary()
    again = dispatch_in_order(
        data,
        sorted(range(data.num_operations), key=lambda o: (int(first.start[o]), o)),
        [int(m) for m in first.machine],
        [int(t) for t in first.start],
    )
    assert np.array_equal(again.start, first.start) and np.array_equal(again.machine, first.machine)


REPAIR_BREAKS_A_MAX_LAG = {
    "horizon_start": "2024-03-01T00:00:00",
    "machines": [{"id": "M0"}, {"id": "M1"}],
    "jobs": [
        {"id": "J0", "operations": [
            {"id": "o0", "machines": [{"machine": "M1", "duration": 1},
                                      {"machine": "M0", "duration": 1}],
             "setup_family": "B", "needs": [{"pool": "operators"}]},
            {"id": "o1", "machines": [{"machine": "M0", "duration": 1}], "setup_family": "A",
             "max_lag_minutes": 10}]},
        {"id": "J1", "operations": [
            {"id": "o0", "machines": [{"machine": "M0", "duration": 9}], "setup_family": "A"},
            {"id": "o1", "machines": [{"machine": "M0", "duration": 1},
                                      {"machine": "M1", "duration": 1}],
             "setup_family": "A", "max_lag_minutes": 10},
            {"id": "o2", "machines": [{"machine": "M0", "duration": 1},
                                      {"machine": "M1", "duration": 1}],
             "setup_family": "A", "needs": [{"pool": "operators"}]}]},
        {"id": "J2", "operations": [
            {"id": "o0", "machines": [{"machine": "M0", "duration": 1},
                                      {"machine": "M1", "duration": 1}],
             "setup_family": "A", "needs": [{"pool": "operators"}]},
            {"id": "o1", "machines": [{"machine": "M0", "duration": 1}], "setup_family": "A"}]},
        {"id": "J3", "operations": [
            {"id": "o0", "machines": [{"machine": "M0", "duration": 1},
                                      {"machine": "M1", "duration": 1}],
             "setup_family": "A"}]},
    ],
    "setups": [{"from_family": "B", "to_family": "A", "minutes": 1}],
    "tariff": {"hourly_prices": [0.0] * 8},
    "resources": [{"id": "operators", "capacity": 1}],
    "objective": {"energy_cost": 1.0},
}  # fmt: skip
"""Found by the property test above (seed 104): holding J0/o0 back moves the work queued
behind it on M0, and J0/o1 waits for that work, so each round gains one minute until the
rounds run out at the end of the horizon."""


def test_a_repair_that_breaks_a_max_lag_is_not_the_plan() -> None:
    from planner.scheduling import solve
    from planner.scheduling.repair import dispatch_in_order

    data = Problem.model_validate(REPAIR_BREAKS_A_MAX_LAG).build()
    order, hints = [7, 6, 0, 2, 3, 1, 4, 5], [0, 0, 0, 0, 0, 1, 0, 0]
    starts: list[int | None] = [352, 179, 198, 467, 309, 100, 395, 178]
    repaired = dispatch_in_order(data, order, hints, starts)
    assert {v.kind for v in check(data, repaired).violations} == {"max_lag"}
    result = solve(data, time_limit=10, workers=1, initial=repaired)
    assert result.feasible and result.report is not None and result.report.feasible
