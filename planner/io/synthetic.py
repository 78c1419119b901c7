"""Synthetic factory problems of any size, for scaling tests and benchmarks.

Jobs visit machine groups in a random order (a flexible flow of work centres), each operation
can run on any machine of its group at a machine-specific speed, families change over with
setup times, machines work two shifts a day with a weekly maintenance window, and energy is
priced with a daily price curve shaped like real day-ahead prices.
"""

from __future__ import annotations

import math
import random
from datetime import datetime
from typing import Any

from planner.model import Problem

DAY = 1440


def synthetic_problem(
    n_jobs: int,
    n_machines: int,
    ops_per_job: int,
    *,
    seed: int = 0,
    groups: int | None = None,
    families: int = 4,
    setups: bool = True,
    calendars: bool = True,
    energy: bool = True,
    due_dates: bool = True,
    peak_power_kw: float | None = None,
    horizon_days: int | None = None,
    lags: bool = False,
    operators: bool = False,
    components: bool = False,
) -> Problem:
    """A random but realistic problem with ``n_jobs * ops_per_job`` operations.

    Parameters
    ----------
    n_jobs, n_machines, ops_per_job
        Size. Machines are split into ``groups`` (default: about 3 machines per group).
    seed
        The same seed gives the same problem.
    setups, calendars, energy, due_dates
        Switch each feature on or off.
    peak_power_kw
        Optional site limit.
    horizon_days
        Planning horizon; by default long enough for the load.
    lags
        Time lags between steps (drawn apart, so the rest of the problem stays the same): a
        fifth of the steps after the first wait 30 to 240 min (curing), a tenth must start
        within 8 hours of the step before, and a fifth start after a quarter to half of it
        (transfer batches).
    operators
        A pool of operators that every operation needs one of: as many as 60% of the
        machines on the early shift (06:00-14:00) and 40% on the late one, none at night
        (with ``calendars``; without, 50% at any time).
    components
        A bill of materials (drawn apart as well): every fourth job assembles the output of
        the one or two jobs before it, its first step starting 30 to 120 min after they end.
    """
    rng = random.Random(seed)
    lag_rng = random.Random(seed + 7919)
    groups = groups or max(1, n_machines // 3)
    groups = min(groups, n_machines)
    group_of = [m % groups for m in range(n_machines)]
    speed = [rng.uniform(0.8, 1.25) for _ in range(n_machines)]
    family_names = [f"F{k}" for k in range(families)]
    total_minutes = 0.0
    jobs = []
    for j in range(n_jobs):
        route = [rng.randrange(groups) for _ in range(ops_per_job)]
        ops = []
        family = rng.choice(family_names)
        for k, g in enumerate(route):
            base = rng.randint(10, 120)
            options = [
                {"machine": f"M{m}", "duration": max(1, round(base * speed[m]))}
                for m in range(n_machines)
                if group_of[m] == g
            ]
            total_minutes += base
            ops.append(
                {"id": f"O{k}", "machines": options, "setup_family": family}
                | (_lag(lag_rng) if lags and k else {})
            )
        jobs.append(
            {
                "id": f"J{j}",
                "product": family,
                "operations": ops,
                "weight": rng.choice([1, 1, 2, 5]),
            }
        )
    load_days = total_minutes / max(1, n_machines) / (DAY * (2 / 3 if calendars else 1))
    days = horizon_days or max(2, math.ceil(load_days * 3) + 2)
    for job in jobs:
        release = rng.randrange(0, max(1, int(days * DAY * 0.3)))
        job["release"] = release
        if due_dates:
            job["due"] = release + rng.randint(DAY // 2, max(DAY, int(days * DAY * 0.6)))
    machines = []
    for m in range(n_machines):
        windows = []
        if calendars:
            # two shifts 06:00-22:00, maintenance on day 3 of each week 06:00-10:00
            for d in range(days):
                windows.append({"start": d * DAY, "end": d * DAY + 360, "reason": "night"})
                windows.append({"start": d * DAY + 1320, "end": (d + 1) * DAY, "reason": "night"})
                if d % 7 == 2 and m % 2 == 0:
                    windows.append(
                        {"start": d * DAY + 360, "end": d * DAY + 600, "reason": "maintenance"}
                    )
        machines.append(
            {
                "id": f"M{m}",
                "group": f"G{group_of[m]}",
                "power_kw": round(rng.uniform(20, 120), 1) if energy else 0,
                "idle_power_kw": round(rng.uniform(1, 5), 1) if energy else 0,
                "unavailable": windows,
            }
        )
    raw: dict[str, object] = {
        "name": f"synthetic_{n_jobs}x{ops_per_job}_m{n_machines}_s{seed}",
        "horizon_start": datetime(2024, 3, 4),
        "horizon_minutes": days * DAY,
        "machines": machines,
        "jobs": jobs,
        "objective": {
            "makespan": 1,
            "weighted_tardiness": 1 if due_dates else 0,
            "energy_cost": 1 if energy else 0,
            "setup_time": 0.5 if setups else 0,
        },
    }
    if setups:
        raw["setups"] = [{"from_family": "*", "to_family": "*", "minutes": 30}] + [
            {"from_family": a, "to_family": b, "minutes": rng.choice([15, 45, 60])}
            for a in family_names
            for b in family_names
            if a != b and rng.random() < 0.4
        ]
    if energy:
        hours = days * 24
        raw["tariff"] = {
            "hourly_prices": [
                round(80 + 40 * math.sin((h % 24 - 8) / 24 * 2 * math.pi) + rng.uniform(-15, 15), 2)
                for h in range(hours)
            ]
        }
    if peak_power_kw is not None:
        raw["peak_power_kw"] = peak_power_kw
    if components:
        _link_components(jobs, random.Random(seed + 104729))
    if operators:
        raw["resources"] = [_operators(n_machines, days if calendars else 0)]
        for job in jobs:
            for op in job["operations"]:  # type: ignore[attr-defined]
                op["needs"] = [{"pool": "operators"}]
    return Problem.from_dict(raw)


def _link_components(jobs: list[dict[str, Any]], rng: random.Random) -> None:
    """Every fourth job consumes what the one or two jobs before it make (see
    :func:`synthetic_problem`)."""
    for j in range(3, len(jobs), 4):
        suppliers = [j - 1] if rng.random() < 0.5 else [j - 2, j - 1]
        jobs[j]["operations"][0]["components"] = [
            {"job": jobs[s]["id"], "transfer_minutes": rng.randint(30, 120)} for s in suppliers
        ]


def _lag(rng: random.Random) -> dict[str, object]:
    """The lag fields of a step after the first (see :func:`synthetic_problem`)."""
    lag: dict[str, object] = {}
    if rng.random() < 0.2:
        lag["min_lag_minutes"] = rng.randint(30, 240)
    if rng.random() < 0.1:
        lag["max_lag_minutes"] = int(lag.get("min_lag_minutes", 0)) + 480  # type: ignore[call-overload]
    if rng.random() < 0.2:
        lag["transfer_share"] = rng.choice([0.25, 0.5])
    return lag


def _operators(n_machines: int, days: int) -> dict[str, object]:
    """The operator pool (see :func:`synthetic_problem`): over ``days`` of two shifts, or
    half the machines' worth at any time when ``days`` is 0."""
    if not days:
        return {"id": "operators", "capacity": max(1, n_machines // 2)}
    early, late = max(1, round(0.6 * n_machines)), max(1, round(0.4 * n_machines))
    windows = [
        {"start": d * DAY + a, "end": d * DAY + b, "capacity": c}
        for d in range(days)
        for a, b, c in ((360, 840, early), (840, 1320, late))
    ]
    return {"id": "operators", "capacity": 0, "windows": windows}
