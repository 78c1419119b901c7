"""Rolling-origin backtests: refit at several origins, forecast, score against what happened."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from forecasting.data import validate_history
from forecasting.metrics import evaluate
from forecasting.models.base import Forecaster


def rolling_origin(
    make_model: Callable[[], Forecaster],
    history: pd.DataFrame,
    horizon: int,
    origins: int = 3,
    step: int | None = None,
    season: int = 1,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
) -> pd.DataFrame:
    """Backtest with ``origins`` forecast origins, ``step`` periods apart (default: the horizon).

    The last origin leaves exactly ``horizon`` points to score; each origin fits a fresh model
    on the data before it. Returns one row per origin with sMAPE, MASE, scaled pinball loss
    and coverage of the outer quantiles.
    """
    frame = validate_history(history)
    step = step or horizon
    rows = []
    for k in range(origins):
        cut = horizon + step * (origins - 1 - k)
        train_parts, test_parts = [], []
        for _, group in frame.groupby("unique_id", sort=False):
            if len(group) <= cut + 1:
                continue
            train_parts.append(group.iloc[: len(group) - cut])
            test_parts.append(group.iloc[len(group) - cut : len(group) - cut + horizon])
        if not train_parts:
            continue
        train, test = pd.concat(train_parts), pd.concat(test_parts)
        forecast = make_model().forecast(train, horizon, quantiles)
        scores = evaluate(
            forecast, test, train, season, quantiles, (min(quantiles), max(quantiles))
        )
        rows.append(
            {
                "origin": k,
                "cutoff": train["ds"].max(),
                "series": train["unique_id"].nunique(),
                **scores,
            }
        )
    return pd.DataFrame(rows)
