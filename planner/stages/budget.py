"""How a run's time is split across the stages, and what each stage used."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

FORECAST_SHARE = 0.25
"""With a total budget, forecasting gets at most this share of it (training stops early)."""
LOT_SIZING_SHARE = 0.25
"""With a total budget, lot sizing gets at most this share of each feedback round."""
MIN_STAGE_S = 0.5
"""No solver stage gets less than this, even when the budget is spent (so a run overshoots
a very small budget by up to this per stage rather than returning nothing)."""


@dataclass
class Budget:
    """The time of one planning run.

    Without a total (``total_s=None``), each stage gets the limit the scenario sets for it:
    forecasting ``demand.forecast.time_budget_s``, lot sizing ``lot_sizing.time_limit_s``
    per feedback round, sequencing ``solver.time_limit_s`` split evenly over the rounds.

    With a total, it bounds the whole run: forecasting gets at most
    :data:`FORECAST_SHARE` of it; what is left is split evenly over the feedback rounds still
    to run, and within a round lot sizing gets at most :data:`LOT_SIZING_SHARE` and
    sequencing the rest of the round. The scenario's forecasting and lot-sizing limits still
    cap those stages; sequencing uses whatever they leave.
    ``report()`` gives each stage's limit and the time it used (``timings_s`` of the plan).
    """

    total_s: float | None = None
    started: float = field(default_factory=time.perf_counter)
    limits: dict[str, list[float | None]] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def remaining(self) -> float:
        assert self.total_s is not None
        return self.total_s - (time.perf_counter() - self.started)

    def forecast_s(self, configured: float | None) -> float | None:
        """Training time for the forecaster (``None``: no limit)."""
        limit = configured
        if self.total_s is not None:
            cap = FORECAST_SHARE * self.total_s
            limit = cap if configured is None else min(configured, cap)
        self.limits.setdefault("forecast", []).append(limit)
        return limit

    def lot_sizing_s(self, configured: float, rounds_left: int) -> float:
        """The lot-sizing MILP's limit in this round."""
        limit = configured
        if self.total_s is not None:
            share = LOT_SIZING_SHARE * self.remaining() / max(1, rounds_left)
            limit = max(MIN_STAGE_S, min(configured, share))
        self.limits.setdefault("lot_sizing", []).append(limit)
        return limit

    def sequencing_s(self, configured_total: float, rounds: int, rounds_left: int) -> float:
        """The scheduler's limit in this round (after this round's lot sizing)."""
        limit = configured_total / max(1, rounds)
        if self.total_s is not None:
            limit = max(MIN_STAGE_S, self.remaining() / max(1, rounds_left))
        self.limits.setdefault("sequencing", []).append(limit)
        return limit

    def record(self, stage: str, since: float) -> float:
        """Add the time since ``since`` to ``stage``; returns now."""
        now = time.perf_counter()
        self.used[stage] = round(self.used.get(stage, 0.0) + now - since, 3)
        return now

    def report(self) -> dict[str, object]:
        """Time used per stage, the total, and the limits each stage was given."""
        return {
            **self.used,
            "total": round(time.perf_counter() - self.started, 3),
            "budget_total_s": self.total_s,
            "limits_s": {
                k: [None if v is None else round(v, 3) for v in vs] for k, vs in self.limits.items()
            },
        }
