"""The solver-neutral result: why the search stopped, kept apart from how good the plan is."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.check import CheckReport, Kpis
from planner.frames import missing_as_none
from planner.model.data import ProblemData
from planner.model.errors import InputIssue
from planner.schedule import Schedule
from planner.status import SolutionStatus, Termination

__all__ = ["ProgressEvent", "Result", "SolutionStatus", "Termination"]


@dataclass(frozen=True)
class ProgressEvent:
    """One point of the search's progress: the best objective and bound so far."""

    time_s: float
    objective: float
    bound: float | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_s": round(self.time_s, 3),
            "objective": self.objective,
            "bound": None if self.bound is None or math.isnan(self.bound) else self.bound,
            "source": self.source,
        }


@dataclass(frozen=True)
class Result:
    """Outcome of :func:`planner.scheduling.solve`.

    Attributes
    ----------
    termination
        Why the solver stopped.
    solution_status
        Quality of the returned schedule: optimal, feasible (passed the checker) or none.
    objective
        Objective of the returned schedule, recomputed exactly by the checker.
    best_bound
        Lower bound on the objective proved by the solver (``None`` if it has none).
    runtime_s
        Wall-clock seconds, model building included.
    schedule
        One row per operation (job, operation, machine, setup_start, setup_before, start, end).
    kpis
        KPIs computed by the independent checker.
    report
        The checker's full report (violations and KPIs).
    """

    termination: Termination
    solution_status: SolutionStatus
    objective: float | None
    best_bound: float | None
    runtime_s: float
    schedule: pd.DataFrame | None
    kpis: Kpis | None
    report: CheckReport | None = None
    assignment: Schedule | None = field(default=None, repr=False)
    strategy: str = ""
    progress: tuple[ProgressEvent, ...] = ()
    peak_memory_mb: float = 0.0
    issues: tuple[InputIssue, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)
    data: ProblemData | None = field(default=None, repr=False)
    """The problem that was solved (index form), for reports and explanations."""

    @property
    def feasible(self) -> bool:
        """Whether a schedule was returned and the checker found it feasible."""
        return self.report is not None and self.report.feasible

    @property
    def status(self) -> str:
        """One word: ``optimal``, ``feasible``, ``infeasible``, ``invalid`` or ``unknown``."""
        if self.solution_status is SolutionStatus.OPTIMAL:
            return "optimal"
        if self.solution_status is SolutionStatus.FEASIBLE:
            return "feasible"
        if self.termination is Termination.INFEASIBLE:
            return "infeasible"
        if self.termination is Termination.INVALID_INPUT:
            return "invalid"
        return "unknown"

    @property
    def gap(self) -> float | None:
        """Relative gap between the objective and the bound."""
        if self.objective is None or self.best_bound is None or self.objective == 0:
            return None
        return max(0.0, (self.objective - self.best_bound) / abs(self.objective))

    def to_dict(self, include_schedule: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "termination": self.termination.value,
            "solution_status": self.solution_status.value,
            "feasible": self.feasible,
            "objective": self.objective,
            "lower_bound": self.best_bound,
            "gap": self.gap,
            "runtime_s": round(self.runtime_s, 3),
            "strategy": self.strategy,
            "peak_memory_mb": round(self.peak_memory_mb, 1),
            "makespan": self.kpis.makespan if self.kpis else None,
            "kpis": self.kpis.model_dump() if self.kpis else None,
            "violations": [v.to_dict() for v in self.report.violations] if self.report else [],
            "issues": [i.to_dict() for i in self.issues],
            "stats": self.stats,
        }
        if include_schedule and self.schedule is not None:
            out["schedule"] = missing_as_none(self.schedule).to_dict(orient="records")
        return out
