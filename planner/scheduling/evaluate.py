"""Fast objective of a complete schedule, vectorised; agrees with the checker's KPIs.

The search evaluates thousands of candidate schedules; the checker's full verification runs
on the returned plan. Setups are taken from ``setup_before``, which the decoder sets to the
required changeover.
"""

from __future__ import annotations

import numpy as np

from planner.model.data import FloatArray, IntArray, ProblemData
from planner.schedule import Schedule


class Evaluator:
    """Objective of schedules for one problem (precomputes job ranges and energy prices)."""

    def __init__(self, data: ProblemData) -> None:
        self.data = data
        self.job_first = np.array([ops[0] for ops in data.job_operations], dtype=np.int64)
        contiguous = all(
            ops == tuple(range(ops[0], ops[0] + len(ops))) for ops in data.job_operations
        )
        if not contiguous:  # pragma: no cover - ProblemData numbers operations job by job
            raise ValueError("operations must be numbered job by job")
        self.due_mask = np.array([d is not None for d in data.job_due])
        self.due = np.array([d if d is not None else 0 for d in data.job_due], dtype=np.int64)
        self.weight = np.array(data.job_weight, dtype=np.float64)
        self.power = np.array(data.power_kw, dtype=np.float64)
        self.cumulative: FloatArray | None = None
        if data.energy_priced:
            self.cumulative = data.cumulative_price(1)
        self.previous: tuple[IntArray, IntArray, IntArray] | None = None
        if data.stability_priced:
            ops = np.array([o for o, p in enumerate(data.op_previous) if p is not None])
            where = np.array([p for p in data.op_previous if p is not None], dtype=np.int64)
            self.previous = (ops, where[:, 0], where[:, 1])

    def moved(self, s: Schedule) -> int:
        """Operations on another machine than in the previous plan, or whose start moved by
        more than the tolerance."""
        if self.previous is None:
            return 0
        ops, machine, start = self.previous
        tolerance = self.data.objective.stability_tolerance_min
        moved = (s.machine[ops] != machine) | (np.abs(s.start[ops] - start) > tolerance)
        return int(moved.sum())

    def energy_cost(self, s: Schedule) -> float:
        if self.cumulative is None:
            return 0.0
        per_kw = self.cumulative[s.end] - self.cumulative[s.start]
        return float((self.power[s.machine] * per_kw).sum())

    def completion(self, end: IntArray) -> IntArray:
        return np.maximum.reduceat(end, self.job_first)

    def objective(self, s: Schedule) -> float:
        w = self.data.objective
        value = w.makespan * float(s.end.max())
        if w.weighted_tardiness > 0:
            late = np.maximum(0, self.completion(s.end) - self.due) * self.due_mask
            value += w.weighted_tardiness * float((late * self.weight).sum())
        if self.cumulative is not None:
            value += w.energy_cost * self.energy_cost(s)
        if w.setup_time > 0:
            value += w.setup_time * float(s.setup_before.sum())
        if self.previous is not None:
            value += w.stability_weight * self.moved(s)
        return value
