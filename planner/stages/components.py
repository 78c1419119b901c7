"""Links from the jobs that make components to the jobs that consume them.

Per component product, the supply is its initial stock, then its jobs in the order they are
released (then by id); the consuming jobs take it in the same order, across all products
whose bill of materials names the component, each the earliest supply still free. A consuming
job's step (the bill line's ``step``) then starts after each job it takes from has ended, plus
the line's transfer time. What the initial stock covers needs no link; what no supply covers
(the lot plan left it short) has none either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from planner.model import Job
from planner.model.bom import BillLine
from planner.model.jobs import ComponentJob
from planner.model.products import Product
from planner.stages.supply import EPS as _EPS
from planner.stages.supply import take_in_order


@dataclass
class _Supply:
    job: str | None  # None: the initial stock
    left: float


def link_components(jobs: Sequence[Job], products: Sequence[Product]) -> list[Job]:
    """``jobs`` with each consuming step naming the component jobs it takes from (see the
    module docstring); unchanged when no product has a bill of materials."""
    if not any(p.components for p in products):
        return list(jobs)
    by_id = {p.id: p for p in products}
    ordered = sorted(jobs, key=lambda j: (_release(j), j.id))
    supply: dict[str, list[_Supply]] = defaultdict(list)
    for stocked in products:
        if stocked.initial_inventory > _EPS:
            supply[stocked.id].append(_Supply(None, stocked.initial_inventory))
    for job in ordered:
        if job.product is not None:
            supply[job.product].append(_Supply(job.id, float(job.quantity)))
    links: dict[tuple[str, str], list[ComponentJob]] = defaultdict(list)
    for job in ordered:
        product = by_id.get(job.product or "")
        if product is None:
            continue
        for line in product.components:
            taken = _take(supply[line.product], line.quantity * float(job.quantity))
            step = product.consuming_step(line)
            links[job.id, step] += [_link(line, source, units) for source, units in taken]
    return [_with_links(job, links) for job in jobs]


def _take(supply: list[_Supply], need: float) -> list[tuple[str, float]]:
    """Take ``need`` units off the front of ``supply``: the jobs taken from, with units."""
    taken, _ = take_in_order(supply, need)
    return [(entry.job, units) for entry, units in taken if entry.job is not None]


def _link(line: BillLine, job: str, units: float) -> ComponentJob:
    return ComponentJob(job=job, quantity=round(units, 6), transfer_minutes=line.transfer_minutes)


def _with_links(job: Job, links: dict[tuple[str, str], list[ComponentJob]]) -> Job:
    if not any((job.id, op.id) in links for op in job.operations):
        return job
    operations = tuple(
        op.model_copy(update={"components": (*op.components, *links[job.id, op.id])})
        if (job.id, op.id) in links
        else op
        for op in job.operations
    )
    return job.model_copy(update={"operations": operations})


def _release(job: Job) -> int:
    return int(job.release) if isinstance(job.release, int | float) else 0


def settled_links(jobs: Sequence[Job]) -> list[Job]:
    """``jobs`` without the links a re-plan no longer needs: into operations already pinned
    (they started, so their components were there) and from jobs no longer in the plan
    (cancelled: their consumers take what the floor has)."""
    present = {job.id for job in jobs}
    out = []
    for job in jobs:
        operations = tuple(
            op.model_copy(
                update={
                    "components": ()
                    if op.pinned is not None
                    else tuple(c for c in op.components if c.job in present)
                }
            )
            if op.components
            else op
            for op in job.operations
        )
        out.append(job.model_copy(update={"operations": operations}))
    return out
