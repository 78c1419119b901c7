"""Simple lower bounds, for when the search has no proof of its own (neighbourhood search)."""

from __future__ import annotations

from planner.model.data import ProblemData


def makespan_lower_bound(data: ProblemData) -> int:
    """Max of the longest routing path (from release) and the average load of interchangeable
    machines: a valid lower bound on the makespan, ignoring setups and calendars."""
    shortest = [min(d for _, d in options) for options in data.op_options]
    earliest_end = [0] * data.num_operations
    for o in data.topological_order:
        ready = max(
            [data.job_release[data.op_job[o]], *(earliest_end[p] for p in data.op_predecessors[o])]
        )
        earliest_end[o] = ready + shortest[o]
    path = max(earliest_end, default=0)
    # operations whose eligible machines form the same set load that set together
    load: dict[tuple[int, ...], int] = {}
    for o, options in enumerate(data.op_options):
        key = tuple(sorted(m for m, _ in options))
        load[key] = load.get(key, 0) + shortest[o]
    machine_sets = list(load)
    best_load = 0
    for key in machine_sets:
        # every operation whose machines all lie in this set must run on it
        members = set(key)
        total = sum(v for k, v in load.items() if members.issuperset(k))
        best_load = max(best_load, -(-total // len(key)))
    return max(path, best_load)


def objective_lower_bound(data: ProblemData) -> float | None:
    """A lower bound on the objective when it is easy to state, else ``None``."""
    w = data.objective
    if w.energy_cost > 0 and data.has_energy:
        return None  # prices can be negative
    return w.makespan * makespan_lower_bound(data)
