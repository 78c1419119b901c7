"""Component links between jobs: an operation that consumes components starts only after the
jobs that make them have ended, plus a transfer time (a multi-level bill of materials)."""

from __future__ import annotations

from collections.abc import Sequence

from planner.model.errors import InputIssue
from planner.model.jobs import Job


def compile_links(
    jobs: Sequence[Job],
    job_index: dict[str, int],
    first_op: Sequence[int],
    preds: Sequence[tuple[int, ...]],
) -> tuple[dict[tuple[int, int], int], tuple[tuple[int, int, float], ...], list[InputIssue]]:
    """The arcs ``(supplier op, consumer op) -> transfer minutes`` from the last operations
    of each component job to the operation consuming it, the ``(component job, consuming job,
    units)`` links, and the problems found (unknown or own jobs, cycles), at their paths.
    ``first_op[j]`` is the number of job ``j``'s first operation, ``preds`` the routing
    predecessors of every operation."""
    issues: list[InputIssue] = []
    arcs: dict[tuple[int, int], int] = {}
    supplies: list[tuple[int, int, float]] = []
    for j, job in enumerate(jobs):
        for k, op in enumerate(job.operations):
            for n, link in enumerate(op.components):
                path = f"jobs[{j}].operations[{k}].components[{n}].job"
                supplier = job_index.get(link.job)
                if supplier is None:
                    issues.append(InputIssue(path, f"unknown job {link.job!r}"))
                    continue
                if supplier == j:
                    issues.append(InputIssue(path, "a job cannot consume its own output"))
                    continue
                for last in _last_operations(jobs[supplier], first_op[supplier], preds):
                    key = (last, first_op[j] + k)
                    arcs[key] = max(arcs.get(key, 0), link.transfer_minutes)
                supplies.append((supplier, j, float(link.quantity)))
    if arcs and not issues and _has_cycle(preds, arcs):
        issues.append(
            InputIssue(
                "jobs",
                "the component links close a cycle: some job waits, through the jobs that "
                "make its components, for itself",
            )
        )
    return arcs, tuple(supplies), issues


def _last_operations(job: Job, first: int, preds: Sequence[tuple[int, ...]]) -> list[int]:
    """The operations of ``job`` no other of its operations waits for."""
    ops = range(first, first + len(job.operations))
    waited = {p for o in ops for p in preds[o]}
    return [o for o in ops if o not in waited]


def _has_cycle(preds: Sequence[tuple[int, ...]], arcs: dict[tuple[int, int], int]) -> bool:
    n = len(preds)
    succ: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for o, before in enumerate(preds):
        for p in before:
            succ[p].append(o)
            indegree[o] += 1
    for p, o in arcs:
        succ[p].append(o)
        indegree[o] += 1
    ready = [o for o in range(n) if indegree[o] == 0]
    seen = 0
    while ready:
        o = ready.pop()
        seen += 1
        for q in succ[o]:
            indegree[q] -= 1
            if indegree[q] == 0:
                ready.append(q)
    return seen < n
