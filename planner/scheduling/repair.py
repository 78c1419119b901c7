"""Repairing a previous plan into a schedule of a changed problem (the warm start of a
re-plan): operations go back where they were when they still fit, displaced work is inserted
into gaps, and the rest is appended.

The list-scheduling placer of :mod:`planner.scheduling.construct` only appends to a machine;
a repair also inserts: an operation fits a gap when its changeover in, its processing and the
changeover it causes for the next operation fit between its neighbours, outside the
machine's unavailable windows and under the site power limit.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from planner.model.data import ProblemData
from planner.schedule import Schedule
from planner.scheduling.draft import Draft, best_machine
from planner.scheduling.max_lags import assign_holding, holding_max_lags, tight_successors
from planner.scheduling.timeline import earliest_fit


def dispatch_in_order(
    data: ProblemData,
    order: Sequence[int],
    machine_hint: Sequence[int | None],
    start_hint: Sequence[int | None] | None = None,
    keep_in_place: bool = True,
) -> Schedule:
    """List scheduling in a given order: each operation (after its predecessors) at its
    earliest feasible start on ``machine_hint[o]`` if eligible, no earlier than
    ``start_hint[o]`` where given, else on the machine where it finishes first. Repairs a
    previous plan into a feasible warm start for a changed problem.

    With start hints and ``keep_in_place``, work that still fits exactly where it was goes
    there first and displaced work into gaps (few moves, but displaced work that fits no gap
    ends up last); without ``keep_in_place``, everything keeps its order and displaced work
    pushes what follows it (little lateness, more moves).
    """
    hinted = [0 if start_hint is None else start_hint[o] or 0 for o in range(len(order))]

    def generate(not_before: list[int] | None) -> Draft:
        if not_before is None:
            return _repair(Draft(data, hinted), order, machine_hint, start_hint, keep_in_place)
        # maximum lags: predecessors held back; a held operation's previous start becomes its
        # hold, so that it goes there in the first pass and the work before it into the gap
        # it leaves (else it would be appended first and push what its successor waits for)
        held = [max(a, b) for a, b in zip(hinted, not_before, strict=True)]
        hints = (
            None
            if start_hint is None
            else [
                None if at is None else max(at, hold)
                for at, hold in zip(start_hint, held, strict=True)
            ]
        )
        return _repair(Draft(data, held), order, machine_hint, hints, keep_in_place)

    return holding_max_lags(data, generate)


def _repair(
    draft: Draft,
    order: Sequence[int],
    machine_hint: Sequence[int | None],
    start_hint: Sequence[int | None] | None,
    keep_in_place: bool,
) -> Draft:
    data = draft.data
    n = data.num_operations
    draft.place_pinned()
    rank = {o: k for k, o in enumerate(order)}
    waiting = sorted(
        (o for o in range(n) if not draft.done[o]), key=lambda o: (rank.get(o, n + o), o)
    )
    if start_hint is not None and keep_in_place:
        waiting = _where_they_were(draft, waiting, machine_hint, start_hint)
        waiting = _into_gaps(draft, waiting, machine_hint, start_hint)
    while waiting:
        rest = []
        for o in waiting:
            if draft.done[o]:
                continue  # placed with the predecessor it follows within a maximum lag
            if draft.waiting[o] > 0:
                rest.append(o)
                continue
            hint = machine_hint[o]
            at = 0 if start_hint is None else start_hint[o] or 0

            def ready(duration: int, o: int = o, at: int = at) -> int:
                return max(draft.ready_for(o, duration), at)

            if hint is not None and hint in data.durations[o]:
                duration = data.durations[o][hint]
                t, s = draft.placer.earliest(o, hint, ready(duration))
                if start_hint is not None and start_hint[o] is not None and t > ready(duration):
                    # displaced: another eligible machine may finish it sooner
                    other = best_machine(data, draft.placer, o, ready)
                    if other[1] + data.durations[o][other[0]] < t + duration:
                        hint, t, s = other
                assign_holding(draft, o, hint, t, s)
            else:
                assign_holding(draft, o, *best_machine(data, draft.placer, o, ready))
        if len(rest) == len(waiting):  # pragma: no cover - routings are acyclic
            break
        waiting = rest
    return draft


def _where_they_were(
    draft: Draft,
    waiting: list[int],
    machine_hint: Sequence[int | None],
    start_hint: Sequence[int | None],
) -> list[int]:
    """First pass of a repair: every operation that still fits exactly where it was (its
    machine, its start) goes there, in the order of those starts; the rest are returned, in
    order, for the second pass (after them on their machines)."""
    rest = []
    for o in waiting:
        if draft.done[o]:
            continue  # placed with the predecessor it must follow within a maximum lag
        if draft.waiting[o] > 0 or not _back_where_it_was(draft, o, machine_hint, start_hint):
            rest.append(o)
    return [o for o in rest if not draft.done[o]]


def _back_where_it_was(
    draft: Draft,
    o: int,
    machine_hint: Sequence[int | None],
    start_hint: Sequence[int | None],
) -> bool:
    """Place ``o`` exactly where it was if it fits there and each successor it must be
    followed by within a maximum lag was there in time (they come in their own turn, in the
    order of the starts, as the placer appends to each machine)."""
    data = draft.data
    m, at = machine_hint[o], start_hint[o]
    if m is None or at is None or m not in data.durations[o]:
        return False
    duration = data.durations[o][m]
    t, s = draft.placer.earliest(o, m, max(draft.ready_for(o, duration), at))
    if t != at:
        return False
    for q in tight_successors(draft, o):
        latest = data.latest_start_after(q, o, t + duration)
        hint = start_hint[q]
        if hint is None or latest is None or hint > latest:
            return False
    draft.assign(o, m, t, s)
    return True


def _into_gaps(
    draft: Draft,
    waiting: list[int],
    machine_hint: Sequence[int | None],
    start_hint: Sequence[int | None],
) -> list[int]:
    """Second pass: displaced operations, in order, into the gap (after their previous start)
    where they end first, on their previous machine or another eligible one (the previous
    one on a tie); repeated while one more fits. Returns the operations left to append."""
    data = draft.data
    placed: list[list[tuple[int, int]]] = [[] for _ in range(data.num_machines)]
    for o in range(data.num_operations):
        if draft.done[o]:
            placed[int(draft.machine[o])].append((int(draft.start[o]), o))
    for line in placed:
        line.sort()
    progress = True
    while progress and waiting:
        progress = False
        rest = []
        for o in waiting:
            if draft.waiting[o] > 0 or tight_successors(draft, o):
                rest.append(o)  # with a maximum lag after it: appended with its successors
                continue
            hint = machine_hint[o]
            best: tuple[int, int, int, tuple[int, int, int]] | None = None
            for m, duration in data.op_options[o]:
                ready = max(draft.ready_for(o, duration), start_hint[o] or 0)
                slot = _gap(draft, placed[m], o, m, ready)
                if slot is not None:
                    key = (slot[0] + duration, 0 if m == hint else 1, m, slot)
                    best = key if best is None or key < best else best
            if best is None:
                rest.append(o)
                continue
            _insert(draft, placed[best[2]], o, best[2], best[3])
            progress = True
        waiting = rest
    return waiting


def _gap(
    draft: Draft, line: list[tuple[int, int]], o: int, m: int, ready: int
) -> tuple[int, int, int] | None:
    """``(start, setup, position)`` of the earliest gap on ``m`` before its last operation
    that holds ``o`` from ``ready`` on, or ``None``."""
    data, placer = draft.data, draft.placer
    family, duration = data.op_family[o], data.durations[o][m]
    windows, ends = data.unavailable[m], placer.window_ends[m]
    # gaps before an operation that starts after ``ready`` (earlier ones cannot hold it)
    for k in range(bisect.bisect_left(line, (ready, -1)), len(line)):
        prev = line[k - 1][1] if k > 0 else None
        nxt = line[k][1]
        setup = data.changeover(m, -1 if prev is None else data.op_family[prev], family)
        t = max(ready, (int(draft.end[prev]) if prev is not None else 0) + setup)
        t = placer.fit(o, m, t, setup)
        out = int(data.setup_times[m, family, data.op_family[nxt]])
        next_start = int(draft.start[nxt])
        fits_next = earliest_fit(windows, ends, next_start, out, data.durations[nxt][m])
        same_hold = out == int(draft.setup[nxt]) or not _holds_during_setup(data, nxt)
        if t + duration + out <= next_start and fits_next == next_start and same_hold:
            return t, setup, k
    return None


def _holds_during_setup(data: ProblemData, o: int) -> bool:
    """Whether ``o`` holds a pool during its changeover (another changeover length would
    change what it holds, which the placer's pool loads do not follow)."""
    return bool(data.op_needs) and any(setup_only for _, _, setup_only in data.op_needs[o])


def _insert(
    draft: Draft, line: list[tuple[int, int]], o: int, m: int, slot: tuple[int, int, int]
) -> None:
    """Place ``o`` in the gap before ``line[position]``: the next operation's changeover
    becomes the one from ``o``'s family; the machine's last family does not change."""
    data = draft.data
    start, setup, position = slot
    last_family = draft.placer.last_family[m]
    draft.assign(o, m, start, setup)
    draft.placer.last_family[m] = last_family
    nxt = line[position][1]
    draft.setup[nxt] = data.changeover_between(m, o, nxt)
    line.insert(position, (start, o))
