"""Why late jobs are late, in the planner's language.

For each late job the explanation walks back from its last operation through the constraint
that decided each start time (its routing predecessor, the machine still busy with another
job or changing over, a calendar window, its release, the site power limit), then adds the
machine it waited for longest (its bottleneck), whether its processing fits between release
and due at all, and whether lot sizing loaded its period beyond capacity.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.model.data import ProblemData
from planner.schedule import Schedule
from planner.scheduling.bounds import least_gaps

if TYPE_CHECKING:
    from planner.scheduling.result import Result

MAX_CHAIN = 6


def explain_late_jobs(result: Result, capacity: pd.DataFrame | None) -> list[dict[str, Any]]:
    """One entry per late job of a sequencing result, latest first; ``capacity`` is lot
    sizing's load and capacity per period and machine group."""
    data, schedule = result.data, result.assignment
    if data is None or schedule is None:
        return []
    sequences = schedule.machine_sequences(data.num_machines)
    previous = {o: seq[k - 1] for seq in sequences for k, o in enumerate(seq) if k}
    out = []
    for j, ops in enumerate(data.job_operations):
        due = data.job_due[j]
        end = max(int(schedule.end[o]) for o in ops)
        if due is None or end <= due:
            continue
        last = max(ops, key=lambda o: int(schedule.end[o]))
        chain = _binding_chain(data, schedule, previous, last)
        reasons = [step["text"] for step in chain]
        bottleneck = _bottleneck(data, schedule, ops)
        if bottleneck is not None:
            reasons.append(bottleneck["text"])
        reasons += _processing_and_capacity(capacity, data, j, due)
        out.append(
            {
                "job": data.job_ids[j],
                "product": data.job_products[j],
                "due": due,
                "end": end,
                "tardiness_min": end - due,
                "binding": [step["constraint"] for step in chain],
                "bottleneck": None if bottleneck is None else bottleneck["machine"],
                "reasons": reasons,
            }
        )
    out.sort(key=lambda e: -int(str(e["tardiness_min"])))
    return out


def _binding_chain(
    data: ProblemData, s: Schedule, previous: dict[int, int], op: int
) -> list[dict[str, str]]:
    chain: list[dict[str, str]] = []
    seen = set()
    while op not in seen and len(chain) < MAX_CHAIN:
        seen.add(op)
        start, m = int(s.start[op]), int(s.machine[op])
        busy_from = start - int(s.setup_before[op])
        name = f"{data.job_ids[data.op_job[op]]}/{data.op_ids[op]}"
        release = data.op_release[op]
        q = previous.get(op)
        machine = data.machine_ids[m]
        p = _binding_predecessor(data, s, op)
        if p is not None:
            chain.append(
                {
                    "constraint": "component" if data.is_link(p, op) else "routing",
                    "text": f"{name} waits for {_routing_wait(data, s, p, op)}",
                }
            )
            op = p
            continue
        if q is not None and busy_from == int(s.end[q]):
            setup = int(s.setup_before[op])
            extra = f" and a {setup} min changeover" if setup else ""
            chain.append(
                {
                    "constraint": "machine",
                    "text": f"{name} waits for {machine}, busy with "
                    f"{data.job_ids[data.op_job[q]]}{extra}",
                }
            )
            op = q
            continue
        window = _window_ending_at(data, m, busy_from)
        if window is not None:
            chain.append(
                {
                    "constraint": "calendar",
                    "text": f"{name} waits for {machine} to come back from {window}",
                }
            )
            break
        if start == release:
            chain.append(
                {"constraint": "release", "text": f"{name} starts at its job's release ({release})"}
            )
            break
        pool = _full_pool(data, s, op)
        if pool is not None:
            chain.append(
                {"constraint": "resource", "text": f"{name} waits for a free unit of {pool}"}
            )
            break
        if _at_power_limit(data, s, start):
            chain.append(
                {"constraint": "peak_power", "text": f"{name} waits for the site power limit"}
            )
            break
        chain.append(
            {
                "constraint": "objective",
                "text": f"{name} starts later than its constraints require: the plan trades "
                "this lateness against energy cost or changeovers",
            }
        )
        break
    return chain


def _window_ending_at(data: ProblemData, m: int, t: int) -> str | None:
    ends = [e for _, e in data.unavailable[m]]
    k = bisect.bisect_left(ends, t)
    if k < len(ends) and ends[k] == t:
        return data.unavailable_reasons[m][k]
    return None


def _binding_predecessor(data: ProblemData, s: Schedule, op: int) -> int | None:
    """The routing predecessor that ``op`` starts right after (lag included), if any."""
    start, duration = int(s.start[op]), int(s.end[op] - s.start[op])
    for p in data.op_predecessors[op]:
        if data.start_after(op, p, int(s.start[p]), int(s.end[p]), duration) == start:
            return p
    return None


def _routing_wait(data: ProblemData, s: Schedule, p: int, op: int) -> str:
    """What ``op`` waits for on the arc from ``p``, in words."""
    lag, share, _ = data.arc(p, op)
    if data.is_link(p, op):
        job = data.job_ids[data.op_job[p]]
        transfer = f" and {lag} min transfer" if lag else ""
        return f"the components made by job {job} (ends {int(s.end[p])}){transfer}"
    text = f"its previous step {data.op_ids[p]} (ends {int(s.end[p])})"
    if share is not None:
        text = (
            f"its previous step {data.op_ids[p]} ({int(s.start[p])}-{int(s.end[p])}) to "
            f"finish the first transfer batch ({100 * share:.0f}% of its work)"
        )
    if lag:
        unit = "working min" if data.lag_in_working_time(p, op) else "min"
        text += f" and a minimum lag of {lag} {unit}"
    return text


def _full_pool(data: ProblemData, s: Schedule, op: int) -> str | None:
    """A pool ``op`` needs that was fully held by other operations just before it took it."""
    for pool, taken, _, units in _holds(data, s, op):
        t = taken - 1
        held = sum(
            u
            for o in range(data.num_operations)
            if o != op
            for p, lo, hi, u in _holds(data, s, o)
            if p == pool and lo <= t < hi
        )
        if held + units > data.pool_capacity_at(pool, t):
            return data.pool_ids[pool]
    return None


def _holds(data: ProblemData, s: Schedule, o: int) -> list[tuple[int, int, int, int]]:
    return data.holds(o, int(s.start[o]), int(s.end[o]), int(s.setup_before[o]))


def _at_power_limit(data: ProblemData, s: Schedule, t: int) -> bool:
    if data.peak_power_kw is None:
        return False
    running = (s.start <= t - 1) & (s.end > t - 1)
    draw = data.idle_power_total_kw + sum(data.extra_power_kw[int(m)] for m in s.machine[running])
    return draw > data.peak_power_kw * 0.9


def _bottleneck(data: ProblemData, s: Schedule, ops: tuple[int, ...]) -> dict[str, Any] | None:
    waits = []
    for o in ops:
        ready = data.ready_time(o, s.start, s.end, int(s.end[o] - s.start[o]))
        waits.append((int(s.start[o]) - ready, o))
    wait, o = max(waits)
    if wait <= 0:
        return None
    m = int(s.machine[o])
    lo, hi = int(s.start[o]) - wait, int(s.start[o])
    busy = sum(
        max(0, min(int(s.end[q]), hi) - max(int(s.start[q]) - int(s.setup_before[q]), lo))
        for q in np.flatnonzero(s.machine == m)
    )
    off = sum(max(0, min(b, hi) - max(a, lo)) for a, b in data.unavailable[m])
    available = max(1, hi - lo - off)
    share = min(1.0, busy / available)
    if share < 0.5:
        text = (
            f"it waited {wait} min for {data.machine_ids[m]}, mostly outside its working hours "
            f"({off} min off shift or in maintenance): the step did not fit in the time left before"
        )
    else:
        text = (
            f"bottleneck: it waited {wait} min for {data.machine_ids[m]}, which was busy "
            f"{100 * share:.0f}% of its working time meanwhile"
        )
    return {"machine": data.machine_ids[m], "text": text}


def _processing_and_capacity(
    capacity: pd.DataFrame | None, data: ProblemData, j: int, due: int
) -> list[str]:
    reasons = []
    release = data.job_release[j]
    shortest = {o: min(d for _, d in data.op_options[o]) for o in data.job_operations[j]}
    gap = least_gaps(data)
    finish: dict[int, int] = {}
    for o in data.job_operations[j]:
        finish[o] = max(
            [
                release + shortest[o],
                *(finish[p] + gap(p, o)[1] for p in data.op_predecessors[o] if p in finish),
            ]
        )
    need = max(finish.values()) - release
    if need > due - release:
        reasons.append(
            f"capacity of the routing: it needs at least {need} min of processing but has only "
            f"{due - release} min between release and due; split the lot or release it earlier"
        )
    period = data.job_periods[j]
    if capacity is not None and not capacity.empty and period is not None:
        over = capacity[
            (capacity["period"] == period) & (capacity["load"] > capacity["capacity"] + 1e-6)
        ]
        for row in over.to_dict(orient="records"):
            reasons.append(
                f"capacity: lot sizing loads group {row['group']} in period {period} with "
                f"{row['load']:.0f} of {row['capacity']:.0f} min"
            )
    return reasons
