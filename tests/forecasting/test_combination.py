"""The combined forecaster: the quantile average of its members."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InvalidInputError
from forecasting.metrics import pinball
from forecasting.models import (
    COMBINED_MEMBERS,
    Combination,
    Forecaster,
    Naive,
    NeuralForecaster,
    SeasonalNaive,
    make_forecaster,
)
from tests.forecasting.conftest import seasonal_panel
from tests.forecasting.test_models import tiny_neural

LEVELS = (0.1, 0.5, 0.9, 0.96)
COLUMNS = ["q10", "q50", "q90", "q96"]


def _members() -> list[Forecaster]:
    return [tiny_neural(), Naive(), SeasonalNaive(season=12)]


def test_the_combination_is_the_mean_of_its_members_quantiles() -> None:
    history = seasonal_panel()
    combined = Combination(_members(), season=12).forecast(history, 6, LEVELS)
    alone = [m.forecast(history, 6, LEVELS)[COLUMNS].to_numpy() for m in _members()]
    np.testing.assert_allclose(combined[COLUMNS].to_numpy(), np.mean(alone, axis=0), rtol=1e-9)


def test_the_combination_loses_no_more_than_its_members_on_average() -> None:
    # pinball loss is convex in the forecast, so the mean forecast's loss is at most the mean
    # of the members' losses, at every level and every point
    history = seasonal_panel(series=8, length=60, seed=4)
    train, test = history.groupby("unique_id").head(54), history.groupby("unique_id").tail(6)
    forecasts = [m.forecast(train, 6, LEVELS) for m in _members()]
    combined = Combination(_members(), season=12).forecast(train, 6, LEVELS)
    actual = test["y"].to_numpy()
    for q, column in zip(LEVELS, COLUMNS, strict=True):
        members = np.mean([pinball(actual, f[column].to_numpy(), q) for f in forecasts])
        assert pinball(actual, combined[column].to_numpy(), q) <= members + 1e-9


def test_one_member_is_that_member() -> None:
    history = seasonal_panel()
    pd.testing.assert_frame_equal(
        Combination([SeasonalNaive(season=12)], season=12).forecast(history, 6, LEVELS),
        SeasonalNaive(season=12).forecast(history, 6, LEVELS),
    )


def test_the_forecast_horizon_reaches_a_member_that_learns_one() -> None:
    neural = NeuralForecaster(season=12, seed=0, hidden=16, max_epochs=2, ensemble=1)
    Combination([neural, Naive()], season=12).forecast(seasonal_panel(), 5)
    assert neural.config.horizon == 5


def test_make_forecaster_combines_the_named_members() -> None:
    model = make_forecaster("combined", horizon=3, season=12, seed=7, ensemble=1)
    assert isinstance(model, Combination)
    assert [m.name for m in model.members] == list(COMBINED_MEMBERS)
    neural = model.members[0]
    assert isinstance(neural, NeuralForecaster)
    assert (neural.config.seed, neural.config.ensemble, neural.config.horizon) == (7, 1, 3)


def test_without_a_season_seasonal_naive_is_left_out() -> None:
    # seasonal naive with a season of 1 is naive: it would count naive twice
    model = make_forecaster("combined", horizon=3, season=1)
    assert isinstance(model, Combination)
    assert [m.name for m in model.members] == ["neural", "naive"]


def test_no_members_is_an_error() -> None:
    with pytest.raises(InvalidInputError, match="at least one"):
        Combination([])
