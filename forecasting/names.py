"""Forecaster names that the planner's light modules (scenario files, the CLI) need, without
loading PyTorch."""

from __future__ import annotations

DEFAULT_MODEL = "combined"
"""The forecaster a scenario uses unless it names another: on the default factory's backtest
it cost about a quarter less than the neural model or either naive method alone
(``benchmarks/README.md``, value of forecast)."""

COMBINED_MEMBERS = ("neural", "naive", "seasonal_naive")
"""What ``combined`` averages: the neural model and the two naive methods."""
