"""A combination of forecasters: the average of their quantiles.

Each member learns from the same history; the combination's quantile ``q`` is the mean of the
members' quantiles ``q`` (quantile averaging, "Vincentization"). Averaging quantiles rather
than probabilities keeps the combined distribution as sharp as its members' on average, and
its pinball loss is never worse than the members' average loss (the loss is convex in the
forecast); see Lichtendahl, Grushka-Cockayne and Winkler, "Is it better to average
probabilities or quantiles?", Management Science 59(7), 2013. Equal weights are the robust
choice when there is too little history to estimate weights, as the M-competitions found.

On short panels (the default factory: 20 series of 26 to 37 months) the global neural model
has few windows to learn from and its tails are noisy, while the naive methods miss level
shifts or seasons; combined, they cut the backtest's realised cost by about a quarter against
any one of them (``benchmarks/README.md``, value of forecast).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forecasting.data import Panel
from forecasting.errors import InputIssue, InvalidInputError
from forecasting.models.base import Array, Forecaster


class Combination(Forecaster):
    """The equal-weight quantile average of ``members`` (see the module docstring).

    Parameters
    ----------
    members
        The forecasters to combine, at least one; each is fitted on the combination's history.
    season
        Season length, kept for the interface (the members carry their own).
    """

    name = "combined"

    def __init__(self, members: Sequence[Forecaster], season: int = 1) -> None:
        super().__init__(season)
        if not members:
            raise InvalidInputError([InputIssue("members", "give at least one forecaster")])
        self.members = tuple(members)
        self.min_length = max(m.min_length for m in self.members)

    def _expect_horizon(self, horizon: int) -> None:
        for member in self.members:
            member._expect_horizon(horizon)

    def _fit(self, panel: Panel) -> None:
        for member in self.members:
            member.fit_panel(panel)

    def _predict(self, horizon: int, quantiles: tuple[float, ...]) -> Array:
        paths = [m._tidy_predict(horizon, quantiles) for m in self.members]
        mean: Array = np.mean(np.stack(paths), axis=0)
        return mean
