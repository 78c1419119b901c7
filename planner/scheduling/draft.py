"""A schedule under construction, placed one operation at a time at the end of a machine's
work: shared by the dispatching rules and the repair of a previous plan."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from planner.model.data import ProblemData
from planner.schedule import Schedule
from planner.scheduling.timeline import Placer


class Draft:
    """A schedule under construction: placements so far, machine states, ready times."""

    def __init__(self, data: ProblemData, not_before: Sequence[int] | None = None) -> None:
        n = data.num_operations
        self.data = data
        self.placer = Placer(data)
        self.machine = np.full(n, -1, dtype=np.int64)
        self.start = np.zeros(n, dtype=np.int64)
        self.end = np.zeros(n, dtype=np.int64)
        self.setup = np.zeros(n, dtype=np.int64)
        self.ready = list(data.op_release)
        """Per operation, a lower bound on its start on any machine (exact without transfer
        shares; see :meth:`ready_for`)."""
        if not_before is not None:
            self.ready = [max(r, b) for r, b in zip(self.ready, not_before, strict=True)]
        self.waiting = [len(p) for p in data.op_predecessors]
        self.done = [False] * n
        self._longest = [max(d for _, d in options) for options in data.op_options]

    def ready_for(self, o: int, duration: int) -> int:
        """Earliest start of ``o`` (its predecessors placed) on a machine where it takes
        ``duration`` minutes: a transfer share lets a shorter run start later."""
        if self.data.op_transfer and self.data.op_transfer[o] is not None:
            return max(self.ready[o], self.data.ready_time(o, self.start, self.end, duration))
        return self.ready[o]

    def assign(self, o: int, machine: int, start: int, setup: int) -> list[int]:
        """Place ``o``; returns the operations this makes ready."""
        data = self.data
        d = data.durations[o][machine]
        self.machine[o], self.start[o], self.end[o], self.setup[o] = (
            machine,
            start,
            start + d,
            setup,
        )
        self.placer.place(o, machine, start, setup)
        self.done[o] = True
        freed = []
        for s in data.op_successors[o]:
            after = data.start_after(s, o, start, start + d, self._longest[s])
            self.ready[s] = max(self.ready[s], after)
            self.waiting[s] -= 1
            if self.waiting[s] == 0 and not self.done[s]:
                freed.append(s)
        return freed

    def place_pinned(self) -> None:
        """Pinned operations first, in start order: they block their machines up to their end."""
        data = self.data
        for t, o in sorted((p[1], o) for o, p in enumerate(data.op_pinned) if p is not None):
            m = data.op_pinned[o][0]  # type: ignore[index]
            self.assign(o, m, t, self.placer.setup_for(m, data.op_family[o]))

    def ready_operations(self) -> list[int]:
        return [
            o for o in range(self.data.num_operations) if self.waiting[o] == 0 and not self.done[o]
        ]

    def schedule(self) -> Schedule:
        return Schedule(self.machine, self.start, self.end, self.setup)


def best_machine(
    data: ProblemData, placer: Placer, o: int, ready: Callable[[int], int]
) -> tuple[int, int, int]:
    """The eligible machine where ``o`` completes first: ``(machine, start, setup)``;
    ``ready(duration)`` is its earliest start where it takes ``duration`` minutes."""
    best: tuple[int, int, int, int] | None = None
    for m, d in data.op_options[o]:
        t, s = placer.earliest(o, m, ready(d))
        key = (t + d, s, d, m)
        if best is None or key < best:
            best = key
            choice = (m, t, s)
    return choice
