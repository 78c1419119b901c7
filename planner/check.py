"""The independent checker: re-verifies any schedule against the problem and computes its KPIs.

It reads the problem (:class:`~planner.model.data.ProblemData`) and a schedule and nothing
else; it imports no solver. Every plan the solvers return passes through :func:`check`.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from planner.model.data import ProblemData, share_of
from planner.schedule import Schedule

ViolationKind = Literal[
    "missing",
    "unknown",
    "duplicate",
    "eligibility",
    "duration",
    "release",
    "horizon",
    "precedence",
    "min_lag",
    "max_lag",
    "transfer",
    "component",
    "overlap",
    "setup",
    "calendar",
    "pinned",
    "peak_power",
    "resource",
]


@dataclass(frozen=True)
class Violation:
    """One broken constraint: its kind, a message for people, and the operations involved."""

    kind: ViolationKind
    message: str
    operations: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message}


class Kpis(BaseModel):
    """Key figures of a schedule, computed by the checker from the problem and schedule alone.

    Times are in minutes; ``energy_cost`` is in the tariff's currency, priced per minute.
    ``utilisation`` is processing time over available time in ``[0, makespan]`` per machine.
    ``moved_operations`` counts operations away from where the previous plan had them (priced
    by ``objective.stability`` when re-planning).
    """

    model_config = ConfigDict(frozen=True)

    makespan: int
    total_weighted_tardiness: float
    late_jobs: int
    max_tardiness: int
    total_setup_time: int
    energy_cost: float
    energy_kwh: float
    peak_power_kw: float
    utilisation: dict[str, float]
    moved_operations: int = 0
    objective: float
    resource_utilisation: dict[str, float] = {}
    """Per resource pool, the unit-minutes held over the unit-minutes available in
    ``[0, makespan]``."""


@dataclass(frozen=True)
class CheckReport:
    """The checker's verdict: feasible or not, every violation, and the KPIs."""

    violations: tuple[Violation, ...]
    kpis: Kpis
    schedule: Schedule = field(repr=False)

    @property
    def feasible(self) -> bool:
        return not self.violations

    def summary(self, limit: int = 10) -> str:
        if self.feasible:
            return "feasible"
        counts = Counter(v.kind for v in self.violations)
        head = "; ".join(v.message for v in self.violations[:limit])
        return f"{len(self.violations)} violation(s) {dict(counts)}: {head}"


def check(data: ProblemData, schedule: Schedule | pd.DataFrame) -> CheckReport:
    """Verify ``schedule`` against every constraint of ``data`` and compute its KPIs.

    Parameters
    ----------
    data
        The problem.
    schedule
        A :class:`Schedule`, or a table with columns ``job, operation, machine, start, end``
        and optionally ``setup_before``.

    Returns
    -------
    CheckReport
        Every violated constraint (overlap, precedence, lags, eligibility, duration, calendar,
        setup, release, horizon, pinned, peak power, resource pools, missing or unknown rows)
        and the KPIs.
    """
    violations: list[Violation] = []
    if isinstance(schedule, pd.DataFrame):
        schedule = _from_frame(data, schedule, violations)
    _check_operations(data, schedule, violations)
    _check_machines(data, schedule, violations)
    peak = _check_peak_power(data, schedule, violations)
    _check_pools(data, schedule, violations)
    kpis = compute_kpis(data, schedule, peak)
    return CheckReport(tuple(violations), kpis, schedule)


def _from_frame(data: ProblemData, frame: pd.DataFrame, out: list[Violation]) -> Schedule:
    n = data.num_operations
    machine = np.full(n, -1, dtype=np.int64)
    start = np.zeros(n, dtype=np.int64)
    end = np.zeros(n, dtype=np.int64)
    setup = np.zeros(n, dtype=np.int64)
    required = {"job", "operation", "machine", "start", "end"}
    missing_cols = required - set(frame.columns)
    if missing_cols:
        out.append(Violation("unknown", f"schedule lacks columns {sorted(missing_cols)}"))
        return Schedule(machine, start, end, setup)
    op_index = {(data.job_ids[data.op_job[o]], data.op_ids[o]): o for o in range(n)}
    machine_index = {m: i for i, m in enumerate(data.machine_ids)}
    seen: set[int] = set()
    has_setup = "setup_before" in frame.columns
    for row in frame.itertuples(index=False):
        key = (str(row.job), str(row.operation))
        o = op_index.get(key)
        if o is None:
            out.append(Violation("unknown", f"row for unknown operation {key[0]}/{key[1]}"))
            continue
        if o in seen:
            out.append(Violation("duplicate", f"operation {_name(data, o)} appears twice", (o,)))
            continue
        m = machine_index.get(str(row.machine))
        if m is None:
            out.append(
                Violation("unknown", f"operation {_name(data, o)} on unknown machine {row.machine}")
            )
            continue
        seen.add(o)
        machine[o] = m
        start[o] = _as_int(row.start)
        end[o] = _as_int(row.end)
        setup[o] = _as_int(row.setup_before) if has_setup else 0
    return Schedule(machine, start, end, setup)


def _as_int(value: object) -> int:
    return int(str(value)) if isinstance(value, str) else int(float(value))  # type: ignore[arg-type]


def _name(data: ProblemData, o: int) -> str:
    return f"{data.job_ids[data.op_job[o]]}/{data.op_ids[o]}"


def _check_operations(data: ProblemData, s: Schedule, out: list[Violation]) -> None:
    if len(s) != data.num_operations:
        out.append(
            Violation(
                "missing",
                f"schedule has {len(s)} operations, the problem {data.num_operations}",
            )
        )
        return
    durations = data.durations
    for o in range(data.num_operations):
        m = int(s.machine[o])
        name = _name(data, o)
        if m < 0:
            out.append(Violation("missing", f"operation {name} is not scheduled", (o,)))
            continue
        if m not in durations[o]:
            out.append(
                Violation(
                    "eligibility",
                    f"operation {name} runs on {data.machine_ids[m]}, which is not eligible",
                    (o,),
                )
            )
        elif s.end[o] - s.start[o] != durations[o][m]:
            out.append(
                Violation(
                    "duration",
                    f"operation {name} takes {s.end[o] - s.start[o]} min on "
                    f"{data.machine_ids[m]}, needs {durations[o][m]}",
                    (o,),
                )
            )
        release = data.op_release[o]
        if s.start[o] < release:
            out.append(
                Violation(
                    "release",
                    f"operation {name} starts at {s.start[o]} before its release {release}",
                    (o,),
                )
            )
        if s.start[o] - s.setup_before[o] < 0 or s.end[o] > data.horizon:
            out.append(
                Violation("horizon", f"operation {name} lies outside [0, {data.horizon}]", (o,))
            )
        if s.setup_before[o] < 0:
            out.append(Violation("setup", f"operation {name} has a negative setup", (o,)))
        for p in data.op_predecessors[o]:
            if s.machine[p] >= 0:
                _check_arc(data, s, p, o, out)
        pinned = data.op_pinned[o]
        if pinned is not None and (pinned[0] != m or pinned[1] != s.start[o]):
            out.append(
                Violation(
                    "pinned",
                    f"operation {name} is pinned to {data.machine_ids[pinned[0]]} at "
                    f"{pinned[1]} but runs on {data.machine_ids[m]} at {s.start[o]}",
                    (o,),
                )
            )


def _check_arc(data: ProblemData, s: Schedule, p: int, o: int, out: list[Violation]) -> None:
    """Routing arc ``p -> o``: ``o`` starts after ``p`` ends plus the minimum lag, or with a
    transfer share overlaps ``p`` only as far as the share allows, and starts no later than the
    maximum lag after ``p`` ends."""
    name, pred = _name(data, o), _name(data, p)
    start, end, pred_start, pred_end = (
        int(x) for x in (s.start[o], s.end[o], s.start[p], s.end[p])
    )
    lag, share, longest = data.arc(p, o)
    if data.is_link(p, o):
        if start < pred_end + lag:
            job = data.job_ids[data.op_job[p]]
            out.append(
                Violation(
                    "component",
                    f"operation {name} starts at {start} before the components it consumes are "
                    f"there: job {job} ends at {pred_end}"
                    + (f" (+{lag} min transfer)" if lag else ""),
                    (p, o),
                )
            )
        return
    working = data.lag_in_working_time(p, o)

    def lagged(t: int) -> int:
        return data.working_time.after(t, lag) if working else t + lag

    if share is None and start < lagged(pred_end):
        kind: ViolationKind = "precedence" if lag == 0 else "min_lag"
        unit = "working min" if working else "min"
        after = "ends" if lag == 0 else f"ends (+{lag} {unit} lag)"
        out.append(
            Violation(
                kind,
                f"operation {name} starts at {start} before its predecessor {pred} {after} "
                f"at {lagged(pred_end)}",
                (p, o),
            )
        )
    if share is not None:
        first = lagged(pred_start + share_of(share, pred_end - pred_start))
        last = lagged(pred_end + share_of(share, end - start) - (end - start)) + (end - start)
        if start < first or end < last:
            out.append(
                Violation(
                    "transfer",
                    f"operation {name} runs {start}-{end} but, overlapping its predecessor {pred} "
                    f"({pred_start}-{pred_end}) by a transfer share of {share:g}, may start at "
                    f"{first} and end at {last} at the earliest",
                    (p, o),
                )
            )
    if longest is not None and start > pred_end + longest:
        out.append(
            Violation(
                "max_lag",
                f"operation {name} starts at {start}, more than its maximum lag of {longest} min "
                f"after its predecessor {pred} ends at {pred_end}",
                (p, o),
            )
        )


def _check_machines(data: ProblemData, s: Schedule, out: list[Violation]) -> None:
    if len(s) != data.num_operations:
        return
    for m, sequence in enumerate(s.machine_sequences(data.num_machines)):
        windows = data.unavailable[m]
        window_ends = [e for _, e in windows]
        previous = -1
        for o in sequence:
            family = data.op_family[o]
            busy_from = int(s.start[o] - s.setup_before[o])
            if previous >= 0:
                needed = int(data.setup_times[m, data.op_family[previous], family])
                if busy_from < s.end[previous]:
                    out.append(
                        Violation(
                            "overlap",
                            f"on {data.machine_ids[m]}, {_name(data, o)} (setup from "
                            f"{busy_from}) overlaps {_name(data, previous)} (ends "
                            f"{s.end[previous]})",
                            (previous, o),
                        )
                    )
            else:
                needed = int(data.initial_setup[m, family])
            if s.setup_before[o] < needed:
                out.append(
                    Violation(
                        "setup",
                        f"on {data.machine_ids[m]}, {_name(data, o)} needs a {needed} min setup "
                        f"but has {s.setup_before[o]}",
                        (o,),
                    )
                )
            k = bisect.bisect_right(window_ends, busy_from)
            if k < len(windows) and windows[k][0] < s.end[o] and s.end[o] > busy_from:
                w0, w1 = windows[k]
                out.append(
                    Violation(
                        "calendar",
                        f"on {data.machine_ids[m]}, {_name(data, o)} (busy {busy_from}-"
                        f"{s.end[o]}) overlaps unavailability {w0}-{w1} "
                        f"({data.unavailable_reasons[m][k]})",
                        (o,),
                    )
                )
            previous = o


def _check_peak_power(data: ProblemData, s: Schedule, out: list[Violation]) -> float:
    """Return the peak site draw in kW; flag minutes above the site limit."""
    idle = data.idle_power_total_kw
    events: dict[int, float] = {}
    for o in range(len(s)):
        m = int(s.machine[o])
        if m < 0 or s.end[o] <= s.start[o]:
            continue
        extra = data.extra_power_kw[m]
        if extra:
            events[int(s.start[o])] = events.get(int(s.start[o]), 0.0) + extra
            events[int(s.end[o])] = events.get(int(s.end[o]), 0.0) - extra
    level, peak, peak_at = idle, idle, 0
    for t in sorted(events):
        level += events[t]
        if level > peak + 1e-9:
            peak, peak_at = level, t
    limit = data.peak_power_kw
    if limit is not None and peak > limit + 1e-6:
        out.append(
            Violation(
                "peak_power",
                f"site draws {peak:.1f} kW at minute {peak_at}, above the limit of {limit} kW",
            )
        )
    return peak


def _pool_holders(data: ProblemData, s: Schedule, pool: int) -> list[tuple[int, int, int, int]]:
    """``(from, to, units, operation)`` of every hold on ``pool``."""
    return [
        (lo, hi, units, o)
        for o in range(len(data.op_needs))
        if s.machine[o] >= 0
        for p, lo, hi, units in data.holds(
            o, int(s.start[o]), int(s.end[o]), int(s.setup_before[o])
        )
        if p == pool
    ]


def _check_pools(data: ProblemData, s: Schedule, out: list[Violation]) -> None:
    """Every stretch of time in which operations hold more of a pool than it has."""
    if not data.op_needs or len(s) != data.num_operations:
        return
    for pool, name in enumerate(data.pool_ids):
        holders = _pool_holders(data, s, pool)
        delta: Counter[int] = Counter()
        for lo, hi, units, _ in holders:
            delta[lo] += units
            delta[hi] -= units
        bounds = {t for w in data.pool_windows[pool] for t in w[:2]}
        level = 0
        points = sorted(set(delta) | bounds)
        for t, following in itertools.pairwise([*points, None]):
            assert t is not None
            level += delta[t]
            capacity = data.pool_capacity_at(pool, t)
            if level > capacity and following is not None:
                held = [o for lo, hi, _, o in holders if lo <= t < hi]
                out.append(
                    Violation(
                        "resource",
                        f"{name} is held {level} times from minute {t} to {following} but has "
                        f"{capacity}: " + ", ".join(_name(data, o) for o in held),
                        tuple(held),
                    )
                )


def _pool_utilisation(data: ProblemData, s: Schedule, makespan: int) -> dict[str, float]:
    """Unit-minutes held over unit-minutes available in ``[0, makespan]``, per pool."""
    out = {}
    for pool, name in enumerate(data.pool_ids):
        held = sum(
            units * max(0, min(hi, makespan) - max(lo, 0))
            for lo, hi, units, _ in _pool_holders(data, s, pool)
        )
        available = data.pool_capacity[pool] * makespan
        for start, end, capacity in data.pool_windows[pool]:
            inside = max(0, min(end, makespan) - min(start, makespan))
            available += (capacity - data.pool_capacity[pool]) * inside
        out[name] = round(held / available, 4) if available > 0 else 0.0
    return out


def compute_kpis(data: ProblemData, s: Schedule, peak_power_kw: float | None = None) -> Kpis:
    """KPIs of a schedule, recomputed from the problem (energy priced at minute resolution)."""
    scheduled = s.machine >= 0
    makespan = int(s.end[scheduled].max()) if scheduled.any() else 0
    tardiness, late, max_late = 0.0, 0, 0
    for j, ops in enumerate(data.job_operations):
        due = data.job_due[j]
        if due is None:
            continue
        completion = max(int(s.end[o]) for o in ops)
        lateness = completion - due
        if lateness > 0:
            max_late = max(max_late, lateness)
            tardiness += data.job_weight[j] * lateness
            late += 1
    energy_cost, energy_kwh = 0.0, 0.0
    busy = np.zeros(data.num_machines)
    for o in np.flatnonzero(scheduled):
        m, start, end = int(s.machine[o]), int(s.start[o]), int(s.end[o])
        busy[m] += end - start
        energy_kwh += data.power_kw[m] * (end - start) / 60.0
        energy_cost += data.energy_cost(m, start, end)
    setup_total = _required_setup_total(data, s)
    utilisation = {}
    for m, machine_id in enumerate(data.machine_ids):
        blocked = sum(max(0, min(e, makespan) - min(b, makespan)) for b, e in data.unavailable[m])
        available = makespan - blocked
        utilisation[machine_id] = round(float(busy[m] / available), 4) if available > 0 else 0.0
    if peak_power_kw is None:
        peak_power_kw = _check_peak_power(data, s, [])
    w = data.objective
    moved = _moved_operations(data, s)
    objective = (
        w.makespan * makespan
        + w.weighted_tardiness * tardiness
        + w.energy_cost * energy_cost
        + w.setup_time * setup_total
        + w.stability_weight * moved
    )
    return Kpis(
        makespan=makespan,
        total_weighted_tardiness=round(tardiness, 6),
        late_jobs=late,
        max_tardiness=max_late,
        total_setup_time=setup_total,
        energy_cost=round(energy_cost, 6),
        energy_kwh=round(energy_kwh, 6),
        peak_power_kw=round(peak_power_kw, 6),
        utilisation=utilisation,
        moved_operations=moved,
        objective=round(objective, 6),
        resource_utilisation=_pool_utilisation(data, s, makespan) if data.op_needs else {},
    )


def _moved_operations(data: ProblemData, s: Schedule) -> int:
    """Operations away from where the previous plan had them (another machine, or a start
    more than the tolerance away)."""
    tolerance = data.objective.stability_tolerance_min
    moved = 0
    for o, previous in enumerate(data.op_previous):
        if previous is not None:
            machine, start = previous
            moved += int(s.machine[o] != machine or abs(int(s.start[o]) - start) > tolerance)
    return moved


def _required_setup_total(data: ProblemData, s: Schedule) -> int:
    if not data.has_setups:
        return 0
    total = 0
    for m, sequence in enumerate(s.machine_sequences(data.num_machines)):
        previous = -1
        for o in sequence:
            if previous >= 0:
                total += int(data.setup_times[m, data.op_family[previous], data.op_family[o]])
            else:
                total += int(data.initial_setup[m, data.op_family[o]])
            previous = o
    return total
