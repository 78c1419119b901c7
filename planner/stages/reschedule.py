"""Rescheduling from a previous plan: its schedule as a warm start, and the operations that
already started pinned where they are."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from planner.kpis import StabilityKpis
from planner.model import Job, Pinned, ProblemData
from planner.schedule import Schedule
from planner.scheduling.evaluate import Evaluator
from planner.scheduling.repair import dispatch_in_order


def warm_start_schedule(data: ProblemData, previous: pd.DataFrame) -> Schedule | None:
    """A previous schedule (``job, operation, machine, start`` rows) repaired into a schedule
    of this problem: operations with the same job and operation ids keep their machine, order
    and (where it still fits) start; new ones are placed where they fit. Of the two repairs
    (displaced work into gaps, or pushing what follows it; see
    :func:`~planner.scheduling.repair.dispatch_in_order`) the one with the better objective.

    The solver checks the result and starts from it only when it is feasible."""
    position = {
        (str(j), str(o)): k
        for k, (j, o) in enumerate(zip(previous["job"], previous["operation"], strict=True))
    }
    machine_ids = {m: i for i, m in enumerate(data.machine_ids)}
    starts = previous["start"].to_numpy()
    keys = [(data.job_ids[data.op_job[o]], data.op_ids[o]) for o in range(data.num_operations)]
    order = sorted(
        range(data.num_operations),
        key=lambda o: (starts[position[keys[o]]] if keys[o] in position else np.inf, o),
    )
    hints = [
        machine_ids.get(str(previous["machine"].iloc[position[k]])) if k in position else None
        for k in keys
    ]
    at = [int(starts[position[k]]) if k in position else None for k in keys]
    repairs = [dispatch_in_order(data, order, hints, at, keep) for keep in (True, False)]
    evaluator = Evaluator(data)  # the checker's objective, vectorised; the solver checks
    return min(repairs, key=lambda s: (int(s.end.max()) > data.horizon, evaluator.objective(s)))


def pin_started(jobs: Sequence[Job], previous: pd.DataFrame, frozen: int) -> list[Job]:
    """Operations of the previous schedule that started before minute ``frozen`` stay on
    their machine at their start."""
    return _placed(jobs, previous[previous["start"] < frozen], "pinned")


def not_before(jobs: Sequence[Job], frozen: int) -> list[Job]:
    """Work that is not pinned (it has not started) starts at ``frozen`` (now) or later."""
    return [
        job.model_copy(
            update={
                "operations": tuple(
                    op if op.pinned is not None else op.model_copy(update={"not_before": frozen})
                    for op in job.operations
                )
            }
        )
        for job in jobs
    ]


def with_previous(jobs: Sequence[Job], previous: pd.DataFrame) -> list[Job]:
    """Each operation that the previous schedule holds carries where it was (``previous``),
    so that the objective's stability term can price moving it."""
    return _placed(jobs, previous, "previous")


def _placed(jobs: Sequence[Job], rows: pd.DataFrame, field: str) -> list[Job]:
    where = {
        (str(job), str(op)): Pinned(machine=str(machine), start=int(start))
        for job, op, machine, start in zip(
            rows["job"],
            rows["operation"],
            rows["machine"],
            rows["start"].to_numpy(int),
            strict=True,
        )
    }
    out = []
    for job in jobs:
        ops = tuple(
            op
            if (job.id, op.id) not in where
            else op.model_copy(update={field: where[(job.id, op.id)]})
            for op in job.operations
        )
        out.append(job.model_copy(update={"operations": ops}))
    return out


def stability_kpis(
    previous: pd.DataFrame, schedule: pd.DataFrame, tolerance_min: int = 0
) -> StabilityKpis:
    """How much ``schedule`` differs from the ``previous`` one: operations compared (same job
    and operation ids), moved (other machine, or a start more than ``tolerance_min`` away), on
    another machine, the mean and largest shift of start times in minutes, and operations new
    or dropped."""
    old = previous.set_index(["job", "operation"])[["machine", "start"]]
    new = schedule.set_index(["job", "operation"])[["machine", "start"]]
    common = old.join(new, lsuffix="_old", rsuffix="_new", how="inner")
    shift = (common["start_new"].astype(int) - common["start_old"].astype(int)).abs()
    other_machine = common["machine_old"] != common["machine_new"]
    return StabilityKpis(
        compared_operations=len(common),
        moved_operations=int((other_machine | (shift > tolerance_min)).sum()),
        changed_machine=int(other_machine.sum()),
        mean_shift_min=round(float(shift.mean()), 2) if len(common) else 0.0,
        max_shift_min=int(shift.max()) if len(common) else 0,
        new_operations=len(new.index.difference(old.index)),
        dropped_operations=len(old.index.difference(new.index)),
        tolerance_min=tolerance_min,
    )
