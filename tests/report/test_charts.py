"""The charts show the whole plan: every operation on its machine at its times, every
changeover, every machine; the energy chart's load is the checker's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.check import check
from planner.io.synthetic import synthetic_problem
from planner.model import ProblemData, SolverSettings
from planner.report.energy import energy_figure, load_profile
from planner.report.gantt import gantt_figure
from planner.scheduling import Result, solve


@pytest.fixture(scope="module")
def solved() -> tuple[ProblemData, Result]:
    data = synthetic_problem(8, 5, 3, seed=3, peak_power_kw=200).build()
    result = solve(data, SolverSettings(time_limit_s=3, workers=1, strategy="lns"))
    assert result.feasible and result.schedule is not None
    return data, result


def _frame(result: Result) -> pd.DataFrame:
    assert result.schedule is not None
    return result.schedule


def test_gantt_has_every_operation_on_its_machine_at_its_times(
    solved: tuple[ProblemData, Result],
) -> None:
    data, result = solved
    schedule = _frame(result)
    figure = gantt_figure(schedule, data)
    bars = [t for t in figure.data if t.type == "bar" and t.name != "changeover"]
    origin = pd.Timestamp(data.horizon_start).tz_localize(None)
    drawn = []
    for trace in bars:
        for base, length, machine, text in zip(
            trace.base, trace.x, trace.y, trace.hovertext, strict=True
        ):
            start = (pd.Timestamp(base).tz_localize(None) - origin).total_seconds() / 60
            drawn.append((text.split("<br>")[0], machine, round(start), round(length / 60_000)))
    expected = [
        (f"{j} / {o}", m, int(s), int(e - s))
        for j, o, m, s, e in zip(
            schedule["job"],
            schedule["operation"],
            schedule["machine"],
            schedule["start"],
            schedule["end"],
            strict=True,
        )
    ]
    assert sorted(drawn) == sorted(expected)
    # every machine has a row, in the problem's order, even one without work
    assert list(figure.layout.yaxis.categoryarray)[::-1] == list(data.machine_ids)


def test_gantt_draws_every_changeover(solved: tuple[ProblemData, Result]) -> None:
    data, result = solved
    schedule = _frame(result)
    figure = gantt_figure(schedule, data)
    changeovers = [t for t in figure.data if t.name == "changeover"]
    with_setup = schedule[schedule["setup_before"] > 0]
    assert len(with_setup) > 0, "the instance has changeovers"
    assert len(changeovers) == 1 and len(changeovers[0].y) == len(with_setup)
    assert sorted(changeovers[0].y) == sorted(with_setup["machine"])


def test_energy_load_is_the_checkers(solved: tuple[ProblemData, Result]) -> None:
    data, result = solved
    schedule = _frame(result)
    report = check(data, result.assignment)  # type: ignore[arg-type]
    profile = load_profile(schedule, data, step=1)
    # at one-minute steps the highest draw is the checker's peak (idle draw included)
    assert profile["load_kw"].max() == pytest.approx(report.kpis.peak_power_kw)
    assert profile["minute"].iloc[-1] == report.kpis.makespan
    # every running operation's extra draw is in the load of each of its minutes
    idle = sum(data.idle_power_kw)
    load = profile.set_index("minute")["load_kw"]
    index = {m: i for i, m in enumerate(data.machine_ids)}
    for machine, start, end in zip(
        schedule["machine"], schedule["start"], schedule["end"], strict=True
    ):
        m = index[machine]
        extra = data.power_kw[m] - data.idle_power_kw[m]
        assert (load.loc[int(start) : int(end) - 1] >= idle + extra - 1e-9).all()
    figure = energy_figure(schedule, data)
    price = next(t for t in figure.data if "price" in t.name)
    expected = data.price_per_minute(0, int(report.kpis.makespan) + 1)[::15]
    assert np.allclose(np.asarray(price.y, dtype=float), expected)


def test_the_pool_chart_shows_what_the_checker_counts() -> None:
    """The resource chart's load of each pool is what the schedule holds (its peak within
    the pool's capacity), and a plan with pools writes it into gantt.html."""
    from planner.report.resources import pool_load, resource_figure
    from tests.conftest import job, machine, op, problem

    p = problem(
        machines=[machine("A"), machine("B"), machine("C")],
        jobs=[
            job(f"J{k}", op("a", (m, 10 + k), needs=[{"pool": "operators"}]))
            for k, m in enumerate("ABCAB")
        ],
        resources=[
            {"id": "operators", "capacity": 2, "windows": [{"start": 0, "end": 5, "capacity": 1}]}
        ],
    )
    data = p.build()
    result = solve(data, SolverSettings(time_limit_s=3, workers=1, strategy="cpsat"))
    assert result.schedule is not None
    load = pool_load(result.schedule, data, 0)
    assert (load["held"] <= load["capacity"]).all()
    assert load["held"].max() == 2 and load.loc[load["minute"] < 5, "held"].max() <= 1
    # 5 operations of 10-14 min held one unit each: the steps integrate to their minutes
    minutes = np.diff([*load["minute"], int(result.schedule["end"].max())])
    assert float((load["held"] * minutes).sum()) == sum(10 + k for k in range(5))
    figure = resource_figure(result.schedule, data)
    assert {t.name for t in figure.data} == {"operators: held", "operators: capacity"}
