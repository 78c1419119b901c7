"""Forecasting models behind one interface (:class:`~forecasting.models.base.Forecaster`)."""

from forecasting.errors import InputIssue, InvalidInputError
from forecasting.models.base import Forecaster
from forecasting.models.baselines import SBA, TSB, Croston, MovingAverage, Naive, SeasonalNaive
from forecasting.models.combination import Combination
from forecasting.models.neural import NeuralForecaster
from forecasting.names import COMBINED_MEMBERS, DEFAULT_MODEL

MODELS: dict[str, type[Forecaster]] = {
    "neural": NeuralForecaster,
    "naive": Naive,
    "seasonal_naive": SeasonalNaive,
    "moving_average": MovingAverage,
    "croston": Croston,
    "sba": SBA,
    "tsb": TSB,
    "combined": Combination,
}


def make_forecaster(
    model: str,
    *,
    horizon: int,
    season: int,
    seed: int = 0,
    ensemble: int | None = None,
    time_budget_s: float | None = None,
    distribution: str | None = None,
    field: str = "model",
) -> Forecaster:
    """A forecaster by name (a key of :data:`MODELS`).

    ``horizon``, ``seed``, ``ensemble``, ``time_budget_s`` and ``distribution`` configure the
    neural model (``None`` keeps its default), alone or within ``combined`` (the quantile
    average of :data:`COMBINED_MEMBERS`, without seasonal naive when ``season`` is 1); the
    statistical baselines take only ``season``.
    ``field`` names the setting in errors (``demand.forecast.model``).

    Raises
    ------
    InvalidInputError
        For an unknown model name.
    """
    if model not in MODELS:
        raise InvalidInputError(
            [InputIssue(field, f"unknown model {model!r}; choose from {sorted(MODELS)}")]
        )
    if model == Combination.name:
        return Combination(
            [
                make_forecaster(
                    name,
                    horizon=horizon,
                    season=season,
                    seed=seed,
                    ensemble=ensemble,
                    time_budget_s=time_budget_s,
                    distribution=distribution,
                )
                for name in COMBINED_MEMBERS
                if season > 1 or name != "seasonal_naive"  # with no season, it is naive
            ],
            season=season,
        )
    if model != "neural":
        return MODELS[model](season=season)
    options: dict[str, object] = {"horizon": horizon, "season": season, "seed": seed}
    if ensemble is not None:
        options["ensemble"] = ensemble
    if time_budget_s is not None:
        options["time_budget_s"] = time_budget_s
    if distribution is not None:
        options["distribution"] = distribution
    return NeuralForecaster(**options)  # type: ignore[arg-type]


__all__ = [
    "COMBINED_MEMBERS",
    "DEFAULT_MODEL",
    "MODELS",
    "SBA",
    "TSB",
    "Combination",
    "Croston",
    "Forecaster",
    "MovingAverage",
    "Naive",
    "NeuralForecaster",
    "SeasonalNaive",
    "make_forecaster",
]
