"""Stage 5, the loop between lot sizing and sequencing: when the detailed schedule overruns
a period on a machine group, lot sizing plans again with the capacity the schedule achieved."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.lotsizing import LotPlan, LotSizingData, LotSizingProblem, solve_lots
from planner.model import Job, LotSolverSettings, Machine
from planner.model.periods import PlanningPeriod
from planner.scheduling import Result
from planner.stages.budget import Budget


@dataclass(frozen=True)
class FeedbackRound:
    """One pass of lot sizing then sequencing."""

    plan: LotPlan
    jobs: tuple[Job, ...]
    result: Result | None
    overflow: np.ndarray
    """Minutes of each period's lots processed after the period ended ``[period, group]``."""
    capacity: np.ndarray
    """The capacity lot sizing assumed ``[period, group]``."""

    def summary(self, number: int) -> dict[str, object]:
        return {
            "round": number,
            "lot_cost": self.plan.objective,
            "overflow_minutes": float(self.overflow.sum()),
            "schedule_objective": None if self.result is None else self.result.objective,
        }


@dataclass
class FeedbackOutcome:
    rounds: list[FeedbackRound] = field(default_factory=list)

    @property
    def final(self) -> FeedbackRound:
        return self.rounds[-1]

    @property
    def converged(self) -> bool:
        return bool(self.rounds) and float(self.final.overflow.sum()) == 0.0


def achieved_capacity(
    data: LotSizingData,
    schedule: pd.DataFrame,
    jobs: Sequence[Job],
    machines: Sequence[Machine],
    periods: Sequence[PlanningPeriod],
) -> tuple[np.ndarray, np.ndarray]:
    """Overflow ``[period, group]``: minutes of each period's lots processed after the period
    ended; and the capacity lot sizing should assume instead (planned minus overflow)."""
    group_of = {m.id: m.group for m in machines}
    period_of = {job.id: job.period for job in jobs}
    period_index = {p.id: t for t, p in enumerate(periods)}
    group_index = {g: k for k, g in enumerate(data.groups)}
    overflow = np.zeros_like(data.capacity)
    for job, machine, start, end in zip(
        schedule["job"].astype(str),
        schedule["machine"].astype(str),
        schedule["start"].to_numpy(int),
        schedule["end"].to_numpy(int),
        strict=True,
    ):
        t = period_index.get(period_of.get(job) or "")
        g = group_index.get(group_of.get(machine, ""))
        if t is None or g is None:
            continue
        overflow[t, g] += max(0, int(end) - max(int(start), periods[t].end))
    return overflow, np.maximum(0.0, data.capacity - overflow)


Sequencer = Callable[[list[Job], float, pd.DataFrame | None], Result]
"""Sequences jobs within a time limit (seconds), warm-started from an earlier schedule's rows
(``job, operation, machine, start``) where given."""


def plan_with_feedback(
    problem: LotSizingProblem,
    to_jobs: Callable[[LotPlan], list[Job]],
    schedule: Sequencer,
    machines: Sequence[Machine],
    periods: Sequence[PlanningPeriod],
    *,
    rounds: int,
    settings: LotSolverSettings,
    budget: Budget,
    sequencing_s: float,
    start_capacity: np.ndarray | None = None,
) -> FeedbackOutcome:
    """Lot sizing, sequencing, and lot sizing again with the achieved capacity, until no
    period overflows or ``rounds`` passes are done.

    ``to_jobs`` turns a lot plan into jobs; ``schedule(jobs, time_limit, earlier)`` sequences
    them, each round after the first warm-started from the previous round's schedule (the
    jobs of lots that stayed keep their places where they still fit; the scheduler starts
    from that or from its dispatching rules, whichever is better). ``sequencing_s`` is the
    scheduler's configured limit for all rounds together; ``budget`` splits the time (see
    :class:`~planner.stages.budget.Budget`).
    ``start_capacity`` continues from what an earlier run learned about achievable capacity.
    """
    data = problem.build()
    outcome = FeedbackOutcome()
    capacity = data.capacity.copy()
    if start_capacity is not None and start_capacity.shape == capacity.shape:
        capacity = np.minimum(capacity, start_capacity)
    for k in range(rounds):
        mark = time.perf_counter()
        limit = budget.lot_sizing_s(settings.time_limit_s, rounds - k)
        plan = solve_lots(data.with_capacity(capacity), settings, time_limit=limit)
        jobs = to_jobs(plan) if plan.feasible else []
        mark = budget.record("lot_sizing", mark)
        if not plan.feasible or not jobs:  # no lot plan, or nothing to make
            outcome.rounds.append(FeedbackRound(plan, (), None, np.zeros_like(capacity), capacity))
            break
        earlier = outcome.rounds[-1].result if outcome.rounds else None
        result = schedule(
            jobs,
            budget.sequencing_s(sequencing_s, rounds, rounds - k),
            None if earlier is None else earlier.schedule,
        )
        budget.record("sequencing", mark)
        if result.schedule is None:
            zero = np.zeros_like(capacity)
            outcome.rounds.append(FeedbackRound(plan, tuple(jobs), result, zero, capacity))
            break
        overflow, _ = achieved_capacity(data, result.schedule, jobs, machines, periods)
        outcome.rounds.append(FeedbackRound(plan, tuple(jobs), result, overflow, capacity))
        if overflow.sum() == 0:
            break
        capacity = np.maximum(0.0, capacity - overflow)
    return outcome
