"""The independent checker: finds each broken constraint and computes KPIs by hand-known values."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from planner.check import check
from planner.model import ProblemData
from tests.conftest import job, machine, op, problem


@pytest.fixture
def data() -> ProblemData:
    return problem(
        horizon_start=datetime(2024, 1, 1),
        machines=[
            machine(
                "M1", power_kw=60, unavailable=[{"start": 100, "end": 120, "reason": "maintenance"}]
            ),
            machine("M2", power_kw=60, initial_family="X"),
        ],
        jobs=[
            job(
                "J1",
                op("a", ("M1", 10), setup_family="X"),
                op("b", ("M2", 20), setup_family="Y"),
                due=25,
                weight=2,
            ),
            job("J2", op("c", ("M1", 5), ("M2", 8), setup_family="Y"), release=3),
        ],
        setups=[{"from_family": "X", "to_family": "Y", "minutes": 4}],
        peak_power_kw=100,
        tariff={"hourly_prices": [60.0, 120.0, 30.0]},
        objective={"makespan": 1, "weighted_tardiness": 1, "energy_cost": 1, "setup_time": 1},
    ).build()


def frame(*rows: tuple[str, str, str, int, int, int]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["job", "operation", "machine", "start", "end", "setup_before"]
    )


def test_feasible_schedule_and_hand_computed_kpis(data: ProblemData) -> None:
    # M1: a [0,10) then c needs X->Y setup 4: c at [14,19). M2: b [20,40) after a; needs X->Y
    # setup 4 from its initial family X: busy from 16.
    report = check(
        data,
        frame(
            ("J1", "a", "M1", 0, 10, 0), ("J2", "c", "M1", 14, 19, 4), ("J1", "b", "M2", 20, 40, 4)
        ),
    )
    assert report.feasible, report.summary()
    k = report.kpis
    assert k.makespan == 40
    assert k.total_weighted_tardiness == 2 * (40 - 25)
    assert k.total_setup_time == 8
    # 60 kW: a 10 min at 60/MWh, c 5 min at 60, b 20 min at 60 -> 35 min * 1 kW-min price
    expected_energy = 0.06 * (35 / 60) * 60
    assert k.energy_cost == pytest.approx(expected_energy)
    assert k.energy_kwh == pytest.approx(60 * 35 / 60)
    assert k.peak_power_kw == 60
    assert k.utilisation == {"M1": pytest.approx(15 / 40), "M2": pytest.approx(20 / 40)}
    assert k.objective == pytest.approx(40 + 30 + expected_energy + 8)


@pytest.mark.parametrize(
    ("rows", "kind"),
    [
        (
            (
                ("J1", "a", "M1", 0, 10, 0),
                ("J2", "c", "M1", 8, 13, 4),
                ("J1", "b", "M2", 20, 40, 4),
            ),
            "overlap",
        ),
        (
            (
                ("J1", "a", "M1", 0, 10, 0),
                ("J2", "c", "M1", 12, 17, 4),
                ("J1", "b", "M2", 20, 40, 4),
            ),
            "overlap",
        ),
        (
            (
                ("J1", "a", "M1", 0, 10, 0),
                ("J2", "c", "M1", 10, 15, 0),
                ("J1", "b", "M2", 20, 40, 4),
            ),
            "setup",
        ),
        (
            (
                ("J1", "a", "M1", 0, 10, 0),
                ("J2", "c", "M1", 14, 19, 4),
                ("J1", "b", "M2", 5, 25, 4),
            ),
            "precedence",
        ),
        (
            (
                ("J1", "a", "M2", 0, 10, 0),
                ("J2", "c", "M1", 14, 19, 4),
                ("J1", "b", "M2", 20, 40, 4),
            ),
            "eligibility",
        ),
        (
            (
                ("J1", "a", "M1", 0, 12, 0),
                ("J2", "c", "M1", 14, 19, 4),
                ("J1", "b", "M2", 20, 40, 4),
            ),
            "duration",
        ),
        (
            (
                ("J1", "a", "M1", 0, 10, 0),
                ("J2", "c", "M1", 98, 103, 4),
                ("J1", "b", "M2", 20, 40, 4),
            ),
            "calendar",
        ),
        ((("J1", "a", "M1", 0, 10, 0), ("J1", "b", "M2", 20, 40, 4)), "missing"),
        (
            (("J1", "a", "M1", 0, 10, 0), ("J2", "c", "M2", 1, 9, 0), ("J1", "b", "M2", 20, 40, 4)),
            "release",
        ),
        (
            (
                ("J1", "a", "M1", 0, 10, 0),
                ("J2", "c", "M2", 5, 13, 0),
                ("J1", "b", "M2", 20, 40, 4),
            ),
            "setup",
        ),
        (
            (
                ("J1", "a", "M1", 0, 10, 0),
                ("J2", "c", "M2", 9, 17, 4),
                ("J1", "b", "M2", 20, 40, 4),
            ),
            "peak_power",
        ),
        (
            (
                ("J1", "a", "M1", 0, 10, 0),
                ("J2", "c", "M1", 14, 19, 4),
                ("J1", "b", "M2", 170, 190, 4),
            ),
            "horizon",
        ),
        (
            (
                ("J1", "a", "M1", 0, 10, 0),
                ("J2", "c", "M1", 14, 19, 4),
                ("J1", "b", "M2", 20, 40, 4),
                ("J9", "z", "M1", 0, 1, 0),
            ),
            "unknown",
        ),
        (
            (
                ("J1", "a", "M1", 0, 10, 0),
                ("J1", "a", "M1", 0, 10, 0),
                ("J2", "c", "M1", 14, 19, 4),
                ("J1", "b", "M2", 20, 40, 4),
            ),
            "duplicate",
        ),
    ],
)
def test_each_violation_is_named(data: ProblemData, rows: tuple, kind: str) -> None:  # type: ignore[type-arg]
    report = check(data, frame(*rows))
    assert not report.feasible
    assert kind in {v.kind for v in report.violations}, report.summary()


def test_pinned_operation_must_stay() -> None:
    data = problem(
        machines=[machine("M1")],
        jobs=[job("J1", op("a", ("M1", 5), pinned={"machine": "M1", "start": 7}))],
    ).build()
    assert check(data, frame(("J1", "a", "M1", 7, 12, 0))).feasible
    report = check(data, frame(("J1", "a", "M1", 0, 5, 0)))
    assert [v.kind for v in report.violations] == ["pinned"]
