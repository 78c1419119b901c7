"""Evolving the first plan's priorities: a (1+1) evolution over a dispatching rule's
perturbation, for large problems where a local search step is too dear.

The first plan (:func:`~planner.scheduling.construct.dispatch_best`) is the best of a few rules
and of restarts whose priorities are raised at random, by up to
:data:`~planner.scheduling.construct.RESTART_NOISE` per operation. Restarts are independent
draws. The evolution instead keeps the perturbation of the best plan so far and re-draws only
a small share of it (:data:`MUTATION_SHARE` of the operations) per run; a plan no worse than
the best replaces it (so it can drift across plans of equal makespan). Each run is a whole
dispatch, so one costs what a restart costs, and like the restarts the runs are counted in
operations placed: with the same seed and budget the result is the same on any machine
(unless the clock, which also bounds the evolution, stops it first).

Measured on the synthetic factories of 10,000 operations (makespan, changeovers, two shifts;
80 runs, about 50 s, one core): from the first plan of 13,857 (seed 1) the evolution reached
13,754 with 1% of the shares re-drawn per run, 13,783 with 0.3% and 13,791-13,834 with 5% and
20%; on seed 0, 14,262 to 14,199. Sixty seconds of the tabu and neighbourhood searches after
the first plan reach 13,814-13,842 and 14,251 there: at this size a search step re-times much
of the plan (about 20 ms), and a whole new plan does better. In the solver (60 s, 2 workers,
half of the time after the first plan for the evolution) the gain is smaller: 14,251 to
14,205 on seed 0, 13,986 to 13,973 on seed 2, none on seed 1, and no change beyond one run's
noise at 1,000 and 100,000 operations or with weighted tardiness (``benchmarks/README.md``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from planner.check import compute_kpis
from planner.model.data import ProblemData
from planner.scheduling.construct import RESTART_NOISE, Dispatched, dispatch, random_shares

MUTATION_SHARE = 0.01
"""Share of the operations whose perturbation a run re-draws (see the module docstring)."""


def evolve_dispatch(
    data: ProblemData,
    start: Dispatched,
    budget: float,
    remaining: Callable[[], float],
    seed: int = 0,
    on_improvement: Callable[[float], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[Dispatched, int]:
    """Runs of ``start``'s rule with evolved priorities, while ``budget`` operations placed
    and ``remaining()`` seconds last.

    Parameters
    ----------
    data
        The problem.
    start
        The first plan and how it was made; a plan without a perturbation starts from a
        random one (seeded).
    budget
        Operations the runs may place in all (a run needs as many as the problem has).
    remaining
        Seconds left; no run starts when none are.
    seed
        Seeds the re-draws.
    on_improvement
        Receives each better objective.
    stop
        Asked before each run; no run starts once it says so.

    Returns
    -------
    tuple[Dispatched, int]
        The best plan (``start`` if none was better) and how many runs were made.
    """
    n = max(1, data.num_operations)
    rng = np.random.default_rng(seed)
    best = start
    shares = start.shares if start.shares is not None else random_shares(n, seed)
    runs = 0
    while (runs + 1) * n <= budget and remaining() > 0 and not (stop is not None and stop()):
        runs += 1
        trial = shares.copy()
        redraw = rng.random(n) < MUTATION_SHARE
        trial[redraw] = rng.random(int(redraw.sum()))
        schedule = dispatch(
            data, start.rule, window=start.window, noise=RESTART_NOISE, shares=trial
        )
        value = compute_kpis(data, schedule).objective
        if value <= best.value:
            if value < best.value and on_improvement is not None:
                on_improvement(value)
            name = f"{start.rule}/w{start.window}/evolved{runs}"
            best = Dispatched(schedule, value, name, start.rule, start.window, trial)
            shares = trial
    return best, runs
