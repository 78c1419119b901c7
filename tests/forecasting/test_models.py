"""The contract every forecasting model passes (neural and baseline alike)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from forecasting.models import (
    SBA,
    TSB,
    Combination,
    Croston,
    Forecaster,
    MovingAverage,
    Naive,
    NeuralForecaster,
    SeasonalNaive,
)
from tests.forecasting.conftest import intermittent_panel, seasonal_panel


def tiny_neural(**kw: object) -> NeuralForecaster:
    options: dict[str, object] = {
        "hidden": 32,
        "blocks": 2,
        "max_epochs": 4,
        "ensemble": 2,
        "windows_per_series": 8,
    }
    options.update(kw)
    return NeuralForecaster(horizon=6, season=12, seed=3, **options)  # type: ignore[arg-type]


MAKERS: dict[str, Callable[[], Forecaster]] = {
    "neural": tiny_neural,
    "neural_negbin": lambda: tiny_neural(distribution="negbin"),
    "combined": lambda: Combination([tiny_neural(), Naive(), SeasonalNaive(season=12)], season=12),
    "naive": lambda: Naive(),
    "seasonal_naive": lambda: SeasonalNaive(season=12),
    "moving_average": lambda: MovingAverage(window=4),
    "croston": lambda: Croston(),
    "sba": lambda: SBA(),
    "tsb": lambda: TSB(),
}
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize("panel", ["seasonal", "intermittent"])
def test_model_contract(name: str, panel: str) -> None:
    history = seasonal_panel() if panel == "seasonal" else intermittent_panel()
    horizon = 6
    model = MAKERS[name]()
    forecast = model.forecast(history, horizon, QUANTILES)
    # shape and columns
    assert list(forecast.columns) == ["unique_id", "ds", "q10", "q25", "q50", "q75", "q90"]
    assert len(forecast) == history["unique_id"].nunique() * horizon
    assert not forecast.isna().any().any()
    # dates continue each series
    last = history.groupby("unique_id")["ds"].max()
    first = forecast.groupby("unique_id")["ds"].min()
    assert (first > last.loc[first.index]).all()
    # quantiles monotone
    values = forecast[["q10", "q25", "q50", "q75", "q90"]].to_numpy()
    assert (np.diff(values, axis=1) >= -1e-9).all()
    # non-negative history -> non-negative forecasts
    assert (values >= 0).all()
    # same seed, same result; fit then predict equals forecast
    again = MAKERS[name]().fit(history).predict(horizon, QUANTILES)
    pd.testing.assert_frame_equal(forecast, again)


def test_neural_checkpoint_round_trip(tmp_path: pytest.TempPathFactory) -> None:
    history = seasonal_panel()
    model = tiny_neural().fit(history)
    path = model.save(tmp_path / "model.pt")  # type: ignore[operator]
    loaded = NeuralForecaster.load(path).with_history(history)
    assert loaded.config.horizon == 6 and loaded.config.hidden == 32
    pd.testing.assert_frame_equal(model.predict(6), loaded.predict(6))


def test_neural_learns_a_seasonal_pattern() -> None:
    history = seasonal_panel(series=12, length=60)
    train = history.groupby("unique_id").head(48)
    test = history.groupby("unique_id").tail(12)
    model = NeuralForecaster(horizon=12, season=12, seed=0, hidden=64, max_epochs=40, ensemble=1)
    forecast = model.forecast(train, 12)
    from forecasting.metrics import evaluate

    neural = evaluate(forecast, test, train, 12)
    naive = evaluate(Naive().forecast(train, 12), test, train, 12)
    assert neural["smape"] < naive["smape"]


def test_neural_horizon_beyond_training_is_an_error() -> None:
    from forecasting.errors import InvalidInputError

    model = tiny_neural().fit(seasonal_panel())
    with pytest.raises(InvalidInputError, match="refit with horizon=9"):
        model.predict(9)


def test_baseline_point_forecasts_by_hand() -> None:
    history = pd.DataFrame(
        {
            "unique_id": "A",
            "ds": pd.date_range("2020-01-01", periods=6, freq="MS"),
            "y": [0.0, 4, 0, 0, 2, 0],
        }
    )
    # Croston with alpha=0.5: sizes 4 -> 3 (4 + .5 (2 - 4)); intervals 2 -> 2.5 (2 + .5 (3 - 2))
    croston = Croston(alpha=0.5).fit(history)
    assert croston.point()[0] == pytest.approx(3 / 2.5)
    assert SBA(alpha=0.5).fit(history).point()[0] == pytest.approx(3 / 2.5 * 0.75)
    naive = Naive().forecast(history, 2)
    assert naive["q50"].tolist() == pytest.approx([0.0, 0.0], abs=1.0)
    seasonal = SeasonalNaive(season=3).forecast(history, 3)
    # last season is [0, 2, 0]
    assert seasonal["q50"].tolist() == pytest.approx([0.0, 2.0, 0.0], abs=2.0)


@pytest.mark.parametrize(
    ("series", "length", "seasons"), [(20, 37, 1), (20, 120, 2), (2509, 45, 2), (1, 300, 1)]
)
def test_a_small_panel_gives_the_neural_model_one_season_and_recent_windows(
    series: int, length: int, seasons: int
) -> None:
    config = NeuralForecaster(horizon=6, season=12, ensemble=2).config
    lengths = [length] * series
    assert config.small_panel(lengths) is (seasons == 1)
    assert config.resolved_input_sizes(lengths) == (12 * seasons,) * 2
    assert config.resolved_recent_windows(lengths) == (1.0 if seasons == 1 else 0.0)
    assert config.resolved_input_sizes() == (24, 24)
    assert config.resolved_recent_windows() == 0.0
    told = NeuralForecaster(horizon=6, season=12, recent_windows=0.5).config
    assert told.resolved_recent_windows(lengths) == 0.5


def test_a_small_panel_is_learned_with_one_season_and_recent_windows() -> None:
    model = tiny_neural().fit(seasonal_panel())  # 6 series of 48 months: a small panel
    assert model.history["recent_windows"] == 1.0
    assert [member["input_size"] for member in model.history["members"]] == [12, 12]
