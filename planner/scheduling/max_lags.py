"""Maximum time lags in list scheduling ("coat within 8 hours of welding").

A rule that places each operation as early as it can may start a step too long after the
step before, when the later step's machine is busy. Two remedies, both in the rules and in
the repair of a previous plan:

* placing a step together with each successor that must start within a maximum lag of its
  end and waits for nothing else (:func:`assign_holding`): if the successor could not start
  in time on its best machine, the step is placed later, until it can, and the successor is
  placed right away, before other work takes its machine;
* where a maximum lag is still broken (a successor that waits for a second predecessor, or a
  chain of them), building the whole schedule again with the predecessor held back so that
  it ends just in time (:func:`holding_max_lags`).

A schedule that still breaks one is returned as it is: the checker rejects it and the solver
goes on from another start (the full model, on problems it can build).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from planner.model.data import ProblemData
from planner.schedule import Schedule
from planner.scheduling.draft import Draft, best_machine

MAX_SHIFTS = 20
"""How often :func:`assign_holding` places a step later before it gives up (set by hand)."""


def assign_holding(draft: Draft, p: int, machine: int, start: int, setup: int) -> list[int]:
    """Place ``p`` on ``machine`` at ``start`` (or later, see the module docstring) with the
    chain of maximum-lag successors that wait for nothing else; returns the operations this
    makes ready."""
    if not tight_successors(draft, p):
        return draft.assign(p, machine, start, setup)
    for attempt in range(MAX_SHIFTS + 1):
        undo = Undo(draft)
        freed, late = _place_group(draft, p, machine, start, setup, undo)
        if late <= 0 or attempt == MAX_SHIFTS:
            break
        undo.rollback()
        start, setup = draft.placer.earliest(p, machine, start + late)
    return freed


def _place_group(
    draft: Draft, p: int, machine: int, start: int, setup: int, undo: Undo
) -> tuple[list[int], int]:
    """Place ``p``, then each tight successor (recursively) on its best machine at once.
    Returns what became ready and by how much the latest link of the group is late."""
    data = draft.data
    tight = tight_successors(draft, p)
    undo.record(p)
    freed = [o for o in draft.assign(p, machine, start, setup) if o not in tight]
    late = 0
    for o in tight:
        m, t, s = best_machine(data, draft.placer, o, functools.partial(draft.ready_for, o))
        latest = data.latest_start_after(o, p, int(draft.end[p]))
        assert latest is not None
        more, deeper = _place_group(draft, o, m, t, s, undo)
        late = max(late, t - latest, deeper)
        freed += more
    return freed, late


def tight_successors(draft: Draft, p: int) -> list[int]:
    """Successors of ``p`` with a maximum lag for which ``p`` is the last predecessor left."""
    data = draft.data
    if not data.has_max_lags:
        return []
    return [
        o
        for o in data.op_successors[p]
        if data.op_max_lag[o] is not None
        and not data.is_link(p, o)
        and draft.waiting[o] == 1
        and not draft.done[o]
    ]


class Undo:
    """What placing a group changed in a draft, to take it back."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        placer = draft.placer
        self.free_at = list(placer.free_at)
        self.last_family = list(placer.last_family)
        self.placed: list[int] = []
        self.successors: list[tuple[int, int, int]] = []

    def record(self, o: int) -> None:
        """Before ``o`` is placed: remember its successors' ready times and counts."""
        draft = self.draft
        self.placed.append(o)
        self.successors += [
            (s, draft.ready[s], draft.waiting[s]) for s in draft.data.op_successors[o]
        ]

    def rollback(self) -> None:
        draft, placer = self.draft, self.draft.placer
        placer.free_at[:] = self.free_at
        placer.last_family[:] = self.last_family
        for s, ready, waiting in reversed(self.successors):
            draft.ready[s], draft.waiting[s] = ready, waiting
        for o in reversed(self.placed):
            m = int(draft.machine[o])
            duration = int(draft.end[o] - draft.start[o])
            start, setup = int(draft.start[o]), int(draft.setup[o])
            placer.usage.add(o, m, start, setup, duration, sign=-1)  # power and pools given back
            draft.done[o] = False
            draft.machine[o] = -1


def holding_max_lags(data: ProblemData, generate: Callable[[list[int] | None], Draft]) -> Schedule:
    """The schedule ``generate`` builds (given earliest starts per operation, ``None`` at
    first), built again while it breaks a maximum lag, with the predecessors that ended too
    early held back (:func:`_max_lag_delays`), at most :data:`MAX_LAG_ROUNDS` times."""
    not_before: list[int] | None = None
    times_held = [0] * data.num_operations
    for _ in range(MAX_LAG_ROUNDS):
        draft = generate(not_before)
        not_before = _max_lag_delays(data, draft, not_before, times_held)
        if not_before is None:
            break
    return draft.schedule()


MAX_LAG_ROUNDS = 12
"""With maximum lags, how often the rule runs again with the operations that started too
early held back (see :func:`_max_lag_delays`); the last schedule is returned even if a
maximum lag is still broken (the checker then rejects it and the full model goes on)."""


def _max_lag_delays(
    data: ProblemData, draft: Draft, not_before: list[int] | None, times_held: list[int]
) -> list[int] | None:
    """Where an operation starts later than its maximum lag after a predecessor allows, hold
    the predecessor back so that it ends just in time (the rule then fills its machine with
    other work meanwhile). ``None`` when every maximum lag holds.

    A predecessor held back before and still too early is held back at least until the
    components its successor uses are there (``times_held`` counts the holds per operation):
    where the held step delays the job making them (queued behind the held step on its
    machine), holding it just in time again gains one minute a round, and
    :data:`MAX_LAG_ROUNDS` would run out first; once it is the last predecessor, it is
    placed together with its successor (:func:`assign_holding`)."""
    if not data.has_max_lags:
        return None
    delays = list(not_before or data.op_release)
    broken = False
    for o, lag in enumerate(data.op_max_lag):
        if lag is None:
            continue
        for p in data.op_predecessors[o]:
            if data.is_link(p, o):
                continue
            needed = int(draft.start[o]) - lag - int(draft.end[p] - draft.start[p])
            if needed > draft.start[p] and data.op_pinned[p] is None:
                if times_held[p]:
                    needed = max(needed, _feeders_end(data, draft, o))
                delays[p] = max(delays[p], needed)
                times_held[p] += 1
                broken = True
    return delays if broken else None


def _feeders_end(data: ProblemData, draft: Draft, o: int) -> int:
    """When the components ``o`` uses are there: the latest end of the jobs making them, plus
    their transfer (the maximum lag does not apply to them)."""
    return max(
        (
            int(draft.end[q]) + data.link_lag[q, o]
            for q in data.op_predecessors[o]
            if data.is_link(q, o)
        ),
        default=0,
    )
