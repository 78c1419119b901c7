"""Putting moved operations back where the previous plan had them, where that costs nothing.

Re-planning against a previous plan (a stability weight), a search can end on a plan that
moved an operation it no longer needs to move: the room it made is no longer used, or the
move saved less than the weight. :func:`restore_moved` tries each moved operation, earliest
previous start first, on its previous machine at its previous start with everything else
where it is, and keeps it there when the checker accepts the plan and prices it no dearer.
Passes repeat while one restores something (putting back an operation can free its job's
next one). Measured on the default factory in ``benchmarks/README.md``, "Making room
first, and putting moved work back".
"""

from __future__ import annotations

from collections.abc import Callable

from planner.check import CheckReport, check
from planner.model.data import ProblemData
from planner.schedule import Schedule


def restore_moved(
    data: ProblemData,
    schedule: Schedule,
    report: CheckReport,
    remaining: Callable[[], float],
) -> tuple[Schedule, CheckReport, int]:
    """``schedule`` with every moved operation put back that the plan can take at no extra
    cost, its check, and how many were put back; stops when ``remaining()`` reaches zero.

    ``report`` is the check of ``schedule`` (feasible). Each trial is checked in full, so a
    returned plan is always one the checker accepts.
    """
    restored = 0
    changed = True
    while changed and remaining() > 0:
        changed = False
        for o in _moved(data, schedule):
            if remaining() <= 0:
                break
            candidate = _put_back(data, schedule, o)
            checked = check(data, candidate)
            if checked.feasible and checked.kpis.objective <= report.kpis.objective + 1e-9:
                schedule, report, changed = candidate, checked, True
                restored += 1
    return schedule, report, restored


def _moved(data: ProblemData, s: Schedule) -> list[int]:
    """The unpinned operations of ``s`` away from their previous machine or start (beyond
    the tolerance), by previous start."""
    tolerance = data.objective.stability_tolerance_min
    away = []
    for o, previous in enumerate(data.op_previous):
        if previous is None or data.op_pinned[o] is not None:
            continue
        machine, start = previous
        away_from = int(s.machine[o]) != machine or abs(int(s.start[o]) - start) > tolerance
        if away_from and machine in data.durations[o]:
            away.append((start, o))
    return [o for _, o in sorted(away)]


def _put_back(data: ProblemData, s: Schedule, o: int) -> Schedule:
    """``s`` with ``o`` on its previous machine at its previous start, the changeovers of
    the machine it leaves and the machine it joins as their new sequences need."""
    previous = data.op_previous[o]
    assert previous is not None
    machine, start = previous
    new = s.copy()
    left = int(new.machine[o])
    new.machine[o], new.start[o] = machine, start
    new.end[o] = start + data.durations[o][machine]
    for m in {left, machine}:
        _changeovers(data, new, m)
    return new


def _changeovers(data: ProblemData, s: Schedule, m: int) -> None:
    """Set each changeover on machine ``m`` to what its machine predecessor needs."""
    before = -1
    for o in s.machine_sequences(data.num_machines)[m]:
        family = data.op_family[o]
        s.setup_before[o] = data.changeover(m, before, family)
        before = family
