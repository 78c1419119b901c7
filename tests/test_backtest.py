"""The value-of-forecast backtest: the play of a month by hand, perfect foresight as a bound
on every forecast (property test), no look at the future, the scenario and CLI paths."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting.models import Forecaster, MovingAverage, Naive, SeasonalNaive
from planner.backtest import PERFECT, BacktestSetup, TwoStage, backtest, backtest_scenario
from planner.backtest.play import play_month
from planner.backtest.run import Forecast
from planner.cli import main
from planner.lotsizing import LotSizingProblem
from planner.model import InvalidInputError

DEFAULT = Path(__file__).resolve().parents[1] / "scenarios" / "default" / "scenario.yaml"


def template(shortage: str = "backlog", bill: bool = False, **kw: float) -> LotSizingProblem:
    products = [
        {
            "id": pid,
            "loads": [{"group": "G", "minutes_per_unit": 1.0, "setup_minutes": 30.0}],
            "setup_cost": cost,
            "holding_cost": 1.0,
            "backlog_cost": 8.0,
            "initial_inventory": 20.0,
        }
        for pid, cost in (("A", 100.0), ("B", 40.0))
    ]
    if bill:  # each A takes one B
        products[0]["components"] = [{"product": "B", "quantity": 1.0}]
    period = {"id": "p", "start": 0, "end": 1, "capacity": {"G": 1.0}}
    return LotSizingProblem.from_dict(
        {"products": products, "periods": [period], "shortage": shortage, **kw}
    )


def setup(
    capacity_per_day: float = 10.0, shortage: str = "backlog", bill: bool = False
) -> BacktestSetup:
    return BacktestSetup(
        lots=template(shortage, bill),
        capacity_per_day={"G": capacity_per_day},
        service_level={"A": 0.9, "B": 0.8},
        horizon=2,
        mip_gap=0.0,
    )


def history(values: np.ndarray) -> pd.DataFrame:
    months = pd.date_range("2022-01-01", periods=values.shape[1], freq="MS")
    return pd.DataFrame(
        [
            {"unique_id": pid, "ds": month, "y": float(values[i, t])}
            for i, pid in enumerate(("A", "B"))
            for t, month in enumerate(months)
        ]
    )


def by_model(model: type[Forecaster]) -> Forecast:
    def forecast(known: pd.DataFrame, steps: int, levels: Sequence[float]) -> pd.DataFrame:
        return model(season=1).forecast(known, steps, levels)

    return forecast


def test_a_months_capacity_is_the_daily_capacity_times_its_days() -> None:
    from planner.backtest.run import _periods

    months = [pd.Timestamp("2023-02-01"), pd.Timestamp("2023-03-01")]
    february, march = _periods(setup(capacity_per_day=10.0), months)
    assert (february.capacity["G"], march.capacity["G"]) == (280.0, 310.0)
    assert (february.end - february.start, march.start) == (28 * 1440, february.end)


def test_a_month_by_hand() -> None:
    lots = template()
    # A: 5 in stock, 10 made, 12 wanted -> 12 served on time, 3 held (cost 3).
    # B: 4 backlogged, 6 made, 5 wanted -> 2 of the 5 served on time, 3 short (8 each).
    month, stock, backlog = play_month(
        lots, np.array([5.0, 0.0]), np.array([0.0, 4.0]), np.array([10.0, 6.0]),
        np.array([1.0, 1.0]), 0.0, np.array([12.0, 5.0]), last=False,
    )  # fmt: skip
    assert stock.tolist() == [3.0, 0.0] and backlog.tolist() == [0.0, 3.0]
    assert (month.setup, month.holding, month.shortage) == (140.0, 3.0, 24.0)
    assert (month.on_time, month.demand, month.lines, month.lines_on_time) == (14.0, 17.0, 2, 1)
    last, _, _ = play_month(
        lots, np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), 0.0, np.array([1.0, 0.0]),
        last=True,
    )  # fmt: skip
    assert last.shortage == 8.0 * 2  # the window's last month prices what stays short twice
    lost, _, backlog = play_month(
        template("lost_sales"), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), 0.0,
        np.array([1.0, 0.0]), last=False,
    )  # fmt: skip
    assert lost.shortage == 8.0 and backlog.tolist() == [0.0, 0.0]


def test_a_month_consumes_its_components() -> None:
    # each A made takes one B: 10 A made take 10 of B's 20 in stock and 6 made; 5 B wanted
    month, stock, backlog = play_month(
        template(bill=True), np.array([5.0, 20.0]), np.zeros(2), np.array([10.0, 6.0]),
        np.array([1.0, 1.0]), 0.0, np.array([12.0, 5.0]), last=False,
    )  # fmt: skip
    assert stock.tolist() == [3.0, 11.0] and backlog.tolist() == [0.0, 0.0]
    assert month.holding == 14.0 and month.on_time == 17.0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, 30), min_size=20, max_size=20),
    st.sampled_from(["backlog", "lost_sales"]),
    st.sampled_from([6.0, 40.0]),
    st.booleans(),
)
def test_perfect_foresight_is_never_worse_than_any_forecast(
    values: list[int], shortage: str, capacity: float, bill: bool
) -> None:
    data = history(np.array(values, dtype=float).reshape(2, 10))
    methods: dict[str, Forecast | TwoStage | None] = {
        "naive": by_model(Naive),
        "moving_average": by_model(MovingAverage),
        "seasonal_naive": by_model(SeasonalNaive),
        "two_stage": TwoStage(by_model(MovingAverage), scenarios=5),
        PERFECT: None,
    }
    months = backtest(setup(capacity, shortage, bill), data, 4, methods)
    cost = months.groupby("method")["cost"].sum()
    for method in ("naive", "moving_average", "seasonal_naive", "two_stage"):
        assert cost[PERFECT] <= cost[method] + 1e-6


def test_no_forecast_sees_the_future() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(5, 25, size=(2, 12)).astype(float)

    def forecasts(frame: np.ndarray) -> list[pd.DataFrame]:
        seen: list[pd.DataFrame] = []

        def forecast(known: pd.DataFrame, steps: int, levels: Sequence[float]) -> pd.DataFrame:
            seen.append(MovingAverage(season=1).forecast(known, steps, levels))
            return seen[-1]

        backtest(setup(), history(frame), 4, {"ma": forecast})
        return seen

    honest = forecasts(values)
    for k in range(4):  # the origins are months 8 to 11
        corrupted = values.copy()
        corrupted[:, 8 + k :] *= 10  # from origin k on, demand is ten times as high
        bent = forecasts(corrupted)
        pd.testing.assert_frame_equal(honest[k], bent[k])  # origin k forecasts as before
        if k < 3:
            assert not honest[k + 1].equals(bent[k + 1])  # the next origin sees month k


def test_the_default_factory_backtest_with_baselines() -> None:
    methods = ["seasonal_naive", "moving_average", PERFECT]
    result = backtest_scenario(DEFAULT, origins=3, methods=methods, time_limit_s=5)
    assert list(result.summary["method"]) == methods
    assert len(result.months) == 3 * len(methods)
    cost = result.summary.set_index("method")["cost"]
    assert cost[PERFECT] <= cost.min() + 1e-6
    assert ((result.summary["fill_rate"] >= 0) & (result.summary["fill_rate"] <= 1)).all()
    assert result.summary.set_index("method").loc[PERFECT, "vs_perfect_pct"] == 0


def test_the_two_stage_plans_run_beside_the_deterministic_ones() -> None:
    methods = ["moving_average", "two_stage_moving_average"]
    result = backtest_scenario(DEFAULT, origins=2, methods=methods, scenarios=4, time_limit_s=5)
    assert list(result.summary["method"]) == methods
    assert (result.months["demand"] > 0).all()
    same = result.months.groupby("origin")["demand"].nunique()
    assert (same == 1).all()  # both played against the same demand
    again = backtest_scenario(DEFAULT, origins=2, methods=methods, scenarios=4, time_limit_s=5)
    pd.testing.assert_frame_equal(result.months, again.months)  # the draws repeat


def test_bad_methods_and_origins_are_named() -> None:
    with pytest.raises(InvalidInputError, match="unknown method 'oracle'"):
        backtest_scenario(DEFAULT, origins=2, methods=["oracle"])
    with pytest.raises(InvalidInputError, match="goes before a forecaster"):
        backtest_scenario(DEFAULT, origins=2, methods=["two_stage_perfect"])
    with pytest.raises(InvalidInputError) as every:
        backtest_scenario(DEFAULT, origins=2, methods=["oracle", "naive", "crystal_ball"])
    assert len(every.value.issues) == 2  # each bad name, at once
    with pytest.raises(InvalidInputError, match="origins"):
        backtest_scenario(DEFAULT, origins=500, methods=[PERFECT])


def test_the_cli_writes_its_table_and_chart_and_keeps_what_it_did_not_make(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "bt"
    args = ["backtest", str(DEFAULT), "--origins", "2", "--methods", "moving_average,perfect"]
    code = main([*args, "--out", str(out), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [row["method"] for row in result["summary"]] == ["moving_average", PERFECT]
    assert {"backtest.csv", "backtest_summary.csv", "backtest.html"} <= {
        p.name for p in out.iterdir()
    }
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    code = main([*args, "--out", str(theirs), "--json"])
    assert code == 2 and json.loads(capsys.readouterr().out)[0]["path"] == "--out"
    assert (theirs / "notes.txt").read_text() == "mine"
