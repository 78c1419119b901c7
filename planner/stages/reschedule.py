"""Rescheduling from a previous plan: its schedule as a warm start, and the operations that
already started pinned where they are."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from planner.model import Job, Pinned, ProblemData
from planner.schedule import Schedule
from planner.scheduling.construct import dispatch_in_order


def warm_start_schedule(data: ProblemData, previous: pd.DataFrame) -> Schedule | None:
    """A previous schedule (``job, operation, machine, start`` rows) repaired into a schedule
    of this problem: operations with the same job and operation ids keep their machine and
    order, new ones are placed where they fit.

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
    return dispatch_in_order(data, order, hints)


def pin_started(jobs: Sequence[Job], previous: pd.DataFrame, frozen: int) -> list[Job]:
    """Operations of the previous schedule that started before minute ``frozen`` stay on
    their machine at their start."""
    started = previous[previous["start"] < frozen]
    where = {
        (str(job), str(op)): (str(machine), int(start))
        for job, op, machine, start in zip(
            started["job"],
            started["operation"],
            started["machine"],
            started["start"].to_numpy(int),
            strict=True,
        )
    }
    out = []
    for job in jobs:
        ops = []
        for op in job.operations:
            hit = where.get((job.id, op.id))
            ops.append(
                op
                if hit is None
                else op.model_copy(update={"pinned": Pinned(machine=hit[0], start=hit[1])})
            )
        out.append(job.model_copy(update={"operations": tuple(ops)}))
    return out


def stability_kpis(previous: pd.DataFrame, schedule: pd.DataFrame) -> dict[str, object]:
    """How much ``schedule`` differs from the ``previous`` one: operations compared (same job
    and operation ids), moved (other machine or start), on another machine, the mean shift
    of start times in minutes, and operations new or dropped."""
    old = previous.set_index(["job", "operation"])[["machine", "start"]]
    new = schedule.set_index(["job", "operation"])[["machine", "start"]]
    common = old.join(new, lsuffix="_old", rsuffix="_new", how="inner")
    moved = common[
        (common["machine_old"] != common["machine_new"])
        | (common["start_old"] != common["start_new"])
    ]
    return {
        "compared_operations": len(common),
        "moved_operations": len(moved),
        "changed_machine": int((common["machine_old"] != common["machine_new"]).sum()),
        "mean_shift_min": round(float((common["start_new"] - common["start_old"]).abs().mean()), 2)
        if len(common)
        else 0.0,
        "new_operations": len(new.index.difference(old.index)),
        "dropped_operations": len(old.index.difference(new.index)),
    }
