"""A lower bound on the energy bill: every operation at its cheapest possible minutes.

Each operation runs on one of its machines for its duration there, starting no earlier than
its routing head (its job alone in the plant) and ending by the horizon. Its energy costs at
least the cheapest such placement: the machine's power times the least price of any window
of that duration from the head on. Calendars, the machines' queues and the other operations
are ignored, so the sum over the operations is a bound on any feasible plan's bill, also
where prices are negative.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from planner.model.data import ProblemData


def energy_lower_bound(data: ProblemData, heads: list[int]) -> float:
    """The least energy cost of the operations, each placed alone (see the module
    docstring); 0 where energy is not priced. ``heads`` holds each operation's earliest
    start (:func:`~planner.scheduling.bounds.routing_heads`)."""
    if not data.energy_priced:
        return 0.0
    cumulative = data.cumulative_price(1)
    horizon = data.horizon
    least = np.full(data.num_operations, np.inf)
    by_duration: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for o, options in enumerate(data.op_options):
        for m, d in options:
            if data.power_kw[m] == 0 or d == 0:
                least[o] = min(least[o], 0.0)
            elif heads[o] + d <= horizon:
                by_duration[d].append((o, m))
    for d, placements in by_duration.items():
        window = cumulative[d : horizon + 1] - cumulative[: horizon + 1 - d]  # start t: [t, t+d)
        from_on = np.minimum.accumulate(window[::-1])[::-1]  # least price of a start >= t
        ops = np.array([o for o, _ in placements])
        power = np.array([data.power_kw[m] for _, m in placements], dtype=np.float64)
        cost = power * from_on[np.array([heads[o] for o in ops])]
        np.minimum.at(least, ops, cost)
    return float(np.where(np.isfinite(least), least, 0.0).sum())
