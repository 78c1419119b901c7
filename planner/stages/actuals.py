"""What the shop floor did: operations done, running or cancelled, applied to the jobs being
rescheduled.

An MES reports one row per operation (``actuals.csv``): ``job`` or ``order``, ``operation``,
``machine``, ``status`` (``done``, ``running``, ``cancelled``), ``actual_start`` and
``actual_end``. Done and running work is fixed on its machine at its actual times (a done
operation takes exactly as long as it took; a running one until ``actual_end`` if given, as
the expected end, otherwise its planned duration, and at least until now); cancelled work is
removed (a blank operation cancels the whole job). Rows that contradict the scenario or each
other are reported all together (:class:`~planner.model.errors.InvalidInputError`).

Times are ISO 8601 with a UTC offset, or whole minutes from the horizon start. "Now" is the
rescheduling moment (``frozen_until``): nothing can have started after it, and nothing done
can end after it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from planner.model import InputIssue, InvalidInputError, Job, Machine, MachineOption, Pinned
from planner.model.time import parse_moment, to_minutes

STATUSES = ("done", "running", "cancelled")
COLUMNS = ("operation", "status", "machine", "actual_start", "actual_end")


@dataclass(frozen=True)
class Actual:
    """One resolved row: which operation, what happened, where and when (minutes)."""

    row: int
    job: str
    operation: str | None
    status: str
    machine: str | None = None
    start: int | None = None
    end: int | None = None


class _Rows:
    """Collects every problem of the table, each under ``actuals[row].column``."""

    def __init__(self) -> None:
        self.issues: list[InputIssue] = []

    def bad(self, row: int, column: str, message: str) -> None:
        self.issues.append(InputIssue(f"actuals[{row}].{column}", f"(line {row + 2}) {message}"))


def resolve_actuals(
    table: pd.DataFrame,
    jobs: Sequence[Job],
    previous: pd.DataFrame,
    horizon_start: datetime,
    now: int,
    machines: Sequence[Machine],
) -> list[Actual]:
    """The rows of ``table`` matched to ``jobs`` (an ``order`` through the jobs the
    ``previous`` schedule pegs to it), checked against the scenario and each other
    (``machines`` with their unavailable time in minutes, as the planning inputs hold them).

    Raises
    ------
    InvalidInputError
        Every row that names an unknown job, order, operation or machine, has an unknown
        status, an unreadable time or an end before its start, starts after ``now`` while
        done or running, ends after ``now`` while done, overlaps another actual on its
        machine or the machine's unavailable time, or starts before a predecessor ended.
    """
    rows = _Rows()
    if "job" not in table.columns and "order" not in table.columns:
        rows.issues.append(InputIssue("actuals", "needs a 'job' or an 'order' column"))
    missing = [c for c in ("operation", "status") if c not in table.columns]
    if missing:
        rows.issues.append(InputIssue("actuals", f"missing column(s) {missing}"))
    if rows.issues:
        raise InvalidInputError(rows.issues, "actuals")
    by_id = {job.id: job for job in jobs}
    served = _jobs_per_order(previous)
    resolved = []
    for k, raw in enumerate(table.to_dict(orient="records")):
        record = {str(key): value for key, value in raw.items()}
        actual = _resolve(k, record, by_id, served, horizon_start, now, rows)
        if actual is not None:
            resolved.append(actual)
    unavailable = {
        m.id: [
            (to_minutes(w.start, horizon_start), to_minutes(w.end, horizon_start), w.reason)
            for w in m.unavailable
        ]
        for m in machines
    }
    _check_together(resolved, by_id, now, unavailable, rows)
    if rows.issues:
        raise InvalidInputError(rows.issues, "actuals")
    return resolved


def _jobs_per_order(previous: pd.DataFrame) -> dict[str, list[str]]:
    served: dict[str, list[str]] = defaultdict(list)
    if "orders" not in previous.columns:
        return served
    for job, orders in previous.drop_duplicates("job")[["job", "orders"]].itertuples(index=False):
        for order in str(orders or "").split(";"):
            if order:
                served[order].append(str(job))
    return served


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _resolve(
    k: int,
    record: dict[str, Any],
    by_id: dict[str, Job],
    served: dict[str, list[str]],
    horizon_start: datetime,
    now: int,
    rows: _Rows,
) -> Actual | None:
    status = _text(record.get("status"))
    if status not in STATUSES:
        rows.bad(k, "status", f"{status!r} is not one of {list(STATUSES)}")
        return None
    job = _job(k, record, by_id, served, rows)
    if job is None:
        return None
    operation = _text(record.get("operation"))
    if operation is None and status == "cancelled":
        return Actual(k, job.id, None, status)
    ops = {op.id: op for op in job.operations}
    if operation not in ops:
        rows.bad(k, "operation", f"job {job.id!r} has no operation {operation!r} ({list(ops)})")
        return None
    if status == "cancelled":
        return Actual(k, job.id, operation, status)
    machine = _text(record.get("machine"))
    eligible = [option.machine for option in ops[operation].machines]
    if machine not in eligible:
        rows.bad(
            k, "machine", f"{machine!r} cannot run {job.id}/{operation} (eligible: {eligible})"
        )
        return None
    start = _time(k, "actual_start", record.get("actual_start"), horizon_start, rows, True)
    end = _time(k, "actual_end", record.get("actual_end"), horizon_start, rows, status == "done")
    if start is None or (end is None and status == "done"):
        return None
    if start > now:
        rows.bad(k, "actual_start", f"is after now (frozen_until, minute {now}): not yet started")
        return None
    if end is not None and end <= start:
        rows.bad(k, "actual_end", f"minute {end} is not after actual_start (minute {start})")
        return None
    if status == "done" and end is not None and end > now:
        rows.bad(k, "actual_end", f"a done operation cannot end after now (minute {now})")
        return None
    if end is None:
        planned = next(o.duration for o in ops[operation].machines if o.machine == machine)
        end = max(start + planned, now)
    return Actual(k, job.id, operation, status, machine, start, end)


def _job(
    k: int,
    record: dict[str, Any],
    by_id: dict[str, Job],
    served: dict[str, list[str]],
    rows: _Rows,
) -> Job | None:
    job_id, order = _text(record.get("job")), _text(record.get("order"))
    if job_id is not None:
        if job_id not in by_id:
            rows.bad(k, "job", f"{job_id!r} is not a job of the previous plan")
            return None
        return by_id[job_id]
    if order is None:
        rows.bad(k, "job", "give the job, or the order it serves")
        return None
    candidates = [j for j in served.get(order, []) if j in by_id]
    if len(candidates) != 1:
        why = (
            "no job of the previous plan serves it"
            if not candidates
            else (f"it is served by several jobs ({candidates}); name the job instead")
        )
        rows.bad(k, "order", f"order {order!r}: {why}")
        return None
    return by_id[candidates[0]]


def _time(
    k: int,
    column: str,
    value: Any,
    horizon_start: datetime,
    rows: _Rows,
    required: bool,
) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a column of minutes with blanks is read as floats
    text = _text(value)
    if text is None:
        if required:
            rows.bad(k, column, "is required for done and running work")
        return None
    try:
        moment = parse_moment(text)
    except ValueError as error:
        rows.bad(k, column, str(error))
        return None
    try:
        return to_minutes(moment, horizon_start)
    except ValueError as error:
        rows.bad(k, column, f"{text!r} {error}")
        return None


def _check_together(
    actuals: list[Actual],
    by_id: dict[str, Job],
    now: int,
    unavailable: dict[str, list[tuple[int, int, str]]],
    rows: _Rows,
) -> None:
    """Duplicates, overlaps on a machine or with its unavailable time, and order within a
    job."""
    seen: dict[tuple[str, str | None], int] = {}
    for a in actuals:
        key = (a.job, a.operation)
        if key in seen:
            rows.bad(a.row, "operation", f"{a.job}/{a.operation} is also in row {seen[key]}")
        seen[key] = a.row
    timed = sorted((a for a in actuals if a.start is not None), key=lambda a: (a.machine, a.start))
    for before, after in itertools.pairwise(timed):
        if before.machine == after.machine and after.start < before.end:  # type: ignore[operator]
            rows.bad(
                after.row,
                "actual_start",
                f"{after.job}/{after.operation} overlaps {before.job}/{before.operation} "
                f"(row {before.row}) on {after.machine}",
            )
    for a in timed:
        for lo, hi, reason in unavailable.get(str(a.machine), []):
            if a.start < hi and lo < a.end:  # type: ignore[operator]
                rows.bad(
                    a.row,
                    "actual_start",
                    f"{a.machine} is unavailable from minute {lo} to {hi} ({reason}), which "
                    f"{a.job}/{a.operation} overlaps; correct the row, or the calendar (an "
                    "extra shift, a shorter maintenance)",
                )
                break
    _check_routing_order(timed, by_id, rows)


def _check_routing_order(timed: list[Actual], by_id: dict[str, Job], rows: _Rows) -> None:
    ends = {(a.job, a.operation): a.end for a in timed}
    for a in timed:
        for pred in _predecessors(by_id[a.job], str(a.operation)):
            end = ends.get((a.job, pred))
            if end is not None and a.start < end:  # type: ignore[operator]
                rows.bad(
                    a.row,
                    "actual_start",
                    f"{a.job}/{a.operation} starts before its predecessor {pred} ended "
                    f"(minute {end})",
                )


def _predecessors(job: Job, operation: str) -> tuple[str, ...]:
    ids = [op.id for op in job.operations]
    if all(op.predecessors is None for op in job.operations):
        k = ids.index(operation)
        return (ids[k - 1],) if k else ()
    op = job.operations[ids.index(operation)]
    return op.predecessors or ()


def apply_actuals(jobs: Sequence[Job], actuals: Sequence[Actual]) -> list[Job]:
    """``jobs`` with done and running operations pinned at their actual machine and times,
    and cancelled operations (or whole jobs) removed. What happened wins over what was
    planned: an operation pinned where the previous plan had it is set free (with what follows
    it in its job) when the actuals show its machine busy then, or a predecessor still free or
    ending later.

    Raises
    ------
    InvalidInputError
        When work that must have run before reported work (its routing predecessors) was not
        started in the plan, or clashes with reported work where the plan had it.
    """
    by_op = {(a.job, a.operation): a for a in actuals}
    issues: list[InputIssue] = []
    busy: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for fact in actuals:
        if fact.machine is not None and fact.start is not None and fact.end is not None:
            busy[fact.machine].append((fact.start, fact.end))
    out = []
    for job in jobs:
        if (job.id, None) in by_op:
            continue  # the whole job is cancelled
        ops = []
        dropped: dict[str, tuple[str, ...]] = {}
        for op in job.operations:
            a = by_op.get((job.id, op.id))
            if a is not None and a.status == "cancelled":
                dropped[op.id] = _predecessors(job, op.id)
                continue
            if a is not None:
                assert a.machine is not None and a.start is not None and a.end is not None
                op = op.model_copy(
                    update={
                        "machines": (MachineOption(machine=a.machine, duration=a.end - a.start),),
                        "pinned": Pinned(machine=a.machine, start=a.start),
                    }
                )
            ops.append(op)
        if ops:
            kept = job.model_copy(update={"operations": _rewired(tuple(ops), dropped)})
            facts = {op.id for op in kept.operations if (job.id, op.id) in by_op}
            out.append(_free_the_contradicted(kept, facts, busy, issues))
    if issues:
        raise InvalidInputError(issues, "actuals")
    return out


def _free_the_contradicted(
    job: Job,
    facts: set[str],
    busy: dict[str, list[tuple[int, int]]],
    issues: list[InputIssue],
) -> Job:
    """Unpin the planned (not actual) pins that the actuals contradict, until none is left.
    Work that must have run before reported work (its routing predecessors) is kept where
    the plan had it; where the actuals contradict that too, it is an issue: report it."""
    ops = {op.id: op for op in job.operations}
    implied = _before(job, facts) - facts
    for op_id in sorted(implied):
        op = ops[op_id]
        if op.pinned is None or _clashes(op, busy):
            issues.append(
                InputIssue(
                    "actuals",
                    f"{job.id}/{op_id} must have run before the work reported for its job, but "
                    + (
                        "the plan had not started it"
                        if op.pinned is None
                        else f"where the plan had it, {op.pinned.machine} was busy with "
                        "reported work"
                    )
                    + "; report it as done or running, with its actual times",
                )
            )
    changed = True
    while changed:
        changed = False
        for op_id, op in ops.items():
            if op.pinned is None or op_id in facts or op_id in implied:
                continue
            start = int(op.pinned.start)  # type: ignore[arg-type]
            blocked = _clashes(op, busy) or any(
                ops[p].pinned is None or _end(ops[p]) > start
                for p in _predecessors(job, op_id)
                if p in ops
            )
            if blocked:
                ops[op_id] = op.model_copy(update={"pinned": None})
                changed = True
    return job.model_copy(update={"operations": tuple(ops.values())})


def _before(job: Job, facts: set[str]) -> set[str]:
    """The operations that precede ``facts`` in the job's routing, transitively."""
    seen: set[str] = set()
    todo = list(facts)
    while todo:
        for p in _predecessors(job, todo.pop()):
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def _end(op: Any) -> int:
    duration = next(o.duration for o in op.machines if o.machine == op.pinned.machine)
    return int(op.pinned.start) + int(duration)


def _clashes(op: Any, busy: dict[str, list[tuple[int, int]]]) -> bool:
    start, end = int(op.pinned.start), _end(op)
    return any(start < hi and lo < end for lo, hi in busy.get(op.pinned.machine, []))


def _rewired(ops: tuple[Any, ...], dropped: dict[str, tuple[str, ...]]) -> tuple[Any, ...]:
    """Successors of a cancelled operation follow its predecessors instead."""
    if not dropped or all(op.predecessors is None for op in ops):
        return ops

    def resolve(ids: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for i in ids:
            out.extend(resolve(dropped[i]) if i in dropped else (i,))
        return tuple(dict.fromkeys(out))

    return tuple(
        op.model_copy(update={"predecessors": resolve(op.predecessors or ())}) for op in ops
    )
