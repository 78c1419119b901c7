"""What a solver is asked to (re)schedule: some operations free, the rest summarised.

The full problem is the sub-problem with every operation free. A large-neighbourhood step
frees a convex set of operations F of the current schedule. Every other operation is either
*before* F (no path from F reaches it: its times stay) or *after* F (reached from F: it keeps
its machine and its order and is re-timed afterwards). On each machine the current sequence is
therefore a prefix of before-operations, the free ones, then a suffix of after-operations, so
the sub-problem only needs, per machine, when the prefix frees it and what the suffix needs
(its first family and how long the rest of the schedule takes after it: its *tail*).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from planner.model.data import ProblemData
from planner.schedule import Schedule


@dataclass(frozen=True)
class MachinePrefix:
    """The machine is free from ``free_from``, last set up for ``family`` (-1: initial state)."""

    free_from: int = 0
    family: int = -1


@dataclass(frozen=True)
class MachineSuffix:
    """The first later operation on the machine (``operation``) and the time from its start to
    the end of the schedule along its longest path (its duration included)."""

    operation: int
    tail: int
    start: int | None = None
    """When set, the later operations stay where they are: free work on the machine ends by
    this time, the changeover into ``operation`` included."""


@dataclass(frozen=True)
class SubProblem:
    """A set of free operations with their boundary conditions.

    Attributes
    ----------
    free
        Operations the solver places.
    head
        Earliest start of each free operation (release and fixed predecessors).
    job_tail
        Longest path after each free operation through later operations of its routing.
    prefix, suffix
        Per machine, the boundary of the fixed sequence before and after the free operations.
    makespan_floor
        Latest end among operations that stay where they are.
    completion_floor
        Per job, the latest end among its operations that stay where they are.
    fixed_power
        ``(start, end, extra_kw)`` of operations that stay, for the site power limit.
    fixed_usage
        ``(pool, start, end, units)`` that operations that stay hold of resource pools.
    hint
        A feasible placement of the free operations (the current schedule).
    horizon
        Latest end allowed for a free operation.
    """

    free: tuple[int, ...]
    head: dict[int, int]
    job_tail: dict[int, int]
    prefix: dict[int, MachinePrefix]
    suffix: dict[int, MachineSuffix]
    makespan_floor: int
    completion_floor: dict[int, int]
    fixed_power: tuple[tuple[int, int, float], ...]
    horizon: int
    hint: Schedule | None = None
    tardiness_tail: dict[int, int] = field(default_factory=dict)
    latest_start: dict[int, int] = field(default_factory=dict)
    """Optional per-operation cap on the start (keeps neighbourhood models small)."""
    fixed_usage: tuple[tuple[int, int, int, int], ...] = ()
    latest_end: dict[int, int] = field(default_factory=dict)
    """Optional per-operation cap on the end (the later work of its job stays in place)."""

    @property
    def is_full(self) -> bool:
        return not self.suffix and not self.completion_floor and self.makespan_floor == 0

    @classmethod
    def full(cls, data: ProblemData, hint: Schedule | None = None) -> SubProblem:
        """The whole problem: every operation free."""
        return cls(
            free=tuple(range(data.num_operations)),
            head={o: data.op_release[o] for o in range(data.num_operations)},
            job_tail={},
            prefix={},
            suffix={},
            makespan_floor=0,
            completion_floor={},
            fixed_power=(),
            horizon=data.horizon,
            hint=hint,
        )


def held_in_place(
    data: ProblemData,
    sub: SubProblem,
    s: Schedule,
    after: set[int],
) -> SubProblem:
    """``sub`` with the operations after it (``after``) kept where ``s`` has them: free work
    ends before the first of them on each machine and before the later operations of its
    job. Then what the model prices is what the plan costs: nothing after it moves, which
    re-planning against a previous plan counts (a cascade the model cannot see)."""
    suffix = {
        m: replace(tail, start=int(s.start[tail.operation])) for m, tail in sub.suffix.items()
    }
    latest_end: dict[int, int] = {}
    for o in sub.free:
        for q in data.op_successors[o]:
            if q not in after:
                continue
            lag, share, _ = data.arc(o, q)
            simple = share is None and not data.lag_in_working_time(o, q)
            bound = int(s.start[q]) - lag if simple else int(s.end[o])
            latest_end[o] = min(latest_end.get(o, bound), bound)
    return replace(sub, suffix=suffix, latest_end=latest_end)
