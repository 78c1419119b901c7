"""What to optimise and how long to search."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.model.factory import Frozen


class ObjectiveWeights(Frozen):
    """Weights of the objective's terms; the objective is their weighted sum.

    Parameters
    ----------
    makespan
        Per minute of makespan (end of the last operation).
    weighted_tardiness
        Per minute of lateness of a job, times the job's weight.
    energy_cost
        Per currency unit of energy bought for processing.
    setup_time
        Per minute of changeover.
    """

    makespan: float = Field(default=1.0, ge=0)
    weighted_tardiness: float = Field(default=0.0, ge=0)
    energy_cost: float = Field(default=0.0, ge=0)
    setup_time: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _something_to_optimise(self) -> ObjectiveWeights:
        if not any((self.makespan, self.weighted_tardiness, self.energy_cost, self.setup_time)):
            raise ValueError("every weight is 0; give at least one positive weight")
        return self


class SolverSettings(Frozen):
    """Search settings.

    Parameters
    ----------
    time_limit_s
        Wall-clock budget for the whole solve, model building included.
    workers
        CP-SAT worker threads.
    seed
        Random seed; the same seed and ``workers=1`` give the same schedule.
    strategy
        ``"auto"`` picks the full CP-SAT model (``"cpsat"``) for small job shops, ``"hybrid"``
        (the full model for 30% of the budget, then large-neighbourhood search) for small
        problems with machine choice, and ``"lns"`` otherwise.
    energy_resolution_min
        Slot length, in minutes, at which the CP-SAT model prices energy (the checker always
        prices every minute). See :mod:`planner.scheduling.energy` for the error bound.
    full_model_max_operations
        ``"auto"`` uses the full CP-SAT model up to this many operations.
    lns_max_iterations
        Stop the large-neighbourhood search after this many steps. With ``workers=1`` and a
        fixed seed the search is then reproducible (each step runs on a deterministic budget).
    tabu_max_steps
        Stop the tabu search (the critical-path one on classical job shops, the flexible one
        on other problems it applies to) after this many steps per worker instead of after
        its share of the time limit; it also stops when several restarts in a row find
        nothing better. With ``lns_max_iterations`` a run is then reproducible.
    log_search
        Print CP-SAT's search log.
    """

    time_limit_s: float = Field(default=60.0, gt=0)
    workers: int = Field(default=2, ge=1, le=64)
    seed: int = Field(default=0, ge=0)
    strategy: Literal["auto", "cpsat", "lns", "hybrid"] = "auto"
    energy_resolution_min: int = Field(default=30, ge=1, le=1440)
    full_model_max_operations: int = Field(default=400, ge=0)
    lns_max_iterations: int | None = Field(default=None, ge=1)
    tabu_max_steps: int | None = Field(default=None, ge=0)
    log_search: bool = False
