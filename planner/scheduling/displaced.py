"""Where re-planning against a previous plan should search first: the displaced work.

After a change (a machine breaks, an order arrives) the warm start keeps what still fits
where the previous plan had it and moves the rest (:mod:`planner.scheduling.repair`). The
plan's quality then hangs on a few decisions around the moved and the new operations: which
work beside them makes room, on which machine, and what that does to the rest of their jobs.
:func:`displaced_neighbourhood` names those operations, so that one CP-SAT step can settle
them before the search goes over everything (measured in ``benchmarks/README.md``, "Stable
rescheduling").
"""

from __future__ import annotations

from collections.abc import Callable

from planner.model.data import ProblemData
from planner.model.settings import SolverSettings
from planner.schedule import Schedule
from planner.scheduling.progress import Tracker


def displaced_neighbourhood(data: ProblemData, s: Schedule) -> list[int]:
    """The operations of ``s`` that a re-plan against the previous plan should settle first.

    These are the operations away from where the previous plan had them or new to it, every
    operation on a machine one of them may use while it is away (between the earlier of its
    previous and its present start and the later of its ends), and everything that follows
    these in their jobs; pinned operations never. Empty when no previous plan is priced or
    nothing moved.
    """
    if not data.stability_priced:
        return []
    spans: dict[int, tuple[int, int]] = {}
    displaced = []
    for o in range(data.num_operations):
        window = _away(data, s, o)
        if window is None:
            continue
        displaced.append(o)
        for m, _ in data.op_options[o]:
            low, high = spans.get(m, window)
            spans[m] = (min(low, window[0]), max(high, window[1]))
    if not displaced:
        return []
    chosen = set(displaced)
    for o in range(data.num_operations):
        span = spans.get(int(s.machine[o]))
        beside = span is not None and s.start[o] < span[1] and s.end[o] > span[0]
        if beside and data.op_pinned[o] is None:
            chosen.add(o)
    # what follows them in their jobs: outside the step it would only be re-timed, without
    # the step knowing what a later start costs it (a calendar turns minutes into days)
    queue = list(chosen)
    while queue:
        for q in data.op_successors[queue.pop()]:
            if q not in chosen and data.op_pinned[q] is None:
                chosen.add(q)
                queue.append(q)
    return sorted(chosen)


def has_new_work(data: ProblemData) -> bool:
    """Whether re-planning against a previous plan has work the previous plan did not (an
    unpinned operation with no previous placement): it needs room made for it."""
    return data.stability_priced and any(
        previous is None and pinned is None
        for previous, pinned in zip(data.op_previous, data.op_pinned, strict=True)
    )


def settle_displaced(
    data: ProblemData,
    settings: SolverSettings,
    schedule: Schedule,
    tracker: Tracker,
    remaining: Callable[[], float],
    stop: Callable[[], bool] | None = None,
) -> tuple[Schedule, dict[str, int]]:
    """One CP-SAT step on :func:`displaced_neighbourhood` of ``schedule``: a plan no worse,
    and what the step did. On the clock it gets ``SearchTuning.displaced_focus_share`` of the
    time left; in a capped, repeatable run (:attr:`SolverSettings.timed_search` false) that
    share of the time limit as deterministic work."""
    from planner.scheduling.lns import LargeNeighbourhoodSearch

    seeds = displaced_neighbourhood(data, schedule)
    if not seeds:
        return schedule, {}
    deadline = float("inf")  # ``remaining`` bounds the step
    search = LargeNeighbourhoodSearch(data, settings, tracker, deadline, stop)
    share = settings.tuning.displaced_focus_share
    if settings.timed_search:
        settled = search.focus(schedule, seeds, share * remaining())
    else:
        settled = search.focus(schedule, seeds, remaining(), work=share * settings.time_limit_s)
    stats = {"operations": len(seeds), "improved": search.improvements}
    return settled, stats | {"too_large": search.exploded}


def _away(data: ProblemData, s: Schedule, o: int) -> tuple[int, int] | None:
    """The span from the previous plan's start of ``o`` to where ``s`` has it (from its
    release to its end or its job's due date, whichever is earlier, when it is new), or
    ``None`` when it is pinned or where it was."""
    if data.op_pinned[o] is not None:
        return None
    start, end = int(s.start[o]), int(s.end[o])
    previous = data.op_previous[o]
    if previous is None:
        # new work may go anywhere from its release, and should end by its job's due date
        due = data.job_due[data.op_job[o]]
        release = int(data.op_release[o])  # at most its start in a feasible plan
        return release, end if due is None else max(release + end - start, min(end, due))
    machine, before = previous
    tolerance = data.objective.stability_tolerance_min
    if int(s.machine[o]) == machine and abs(start - before) <= tolerance:
        return None
    return min(before, start), max(before + end - start, end)
