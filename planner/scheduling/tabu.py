"""Tabu search on the critical path, for the classical job shop (makespan, fixed machines).

When every operation has one machine and the plan is judged by its makespan alone (no
changeovers, calendars, site power limit, pinned operations, due dates or priced energy), a
schedule is fully described by the order of operations on each machine, and its makespan is
the longest path through routing and machine arcs. Swapping two adjacent operations of a
*critical block* (a run of critical operations on one machine) is then the classical move: it
never creates a cycle, and only swaps at the two ends of a block can shorten the path (the N5
neighbourhood of Nowicki and Smutnicki, 1996, "A fast taboo search algorithm for the job shop
problem", Management Science 42(6)).

Each step evaluates every N5 swap with the estimate of Taillard (1994) from heads and tails,
makes the best one that is not tabu (a tabu swap is allowed when its estimate beats the best
makespan found), forbids undoing it for a few steps, and brings heads and tails up to date
exactly, touching only what the swap changed. After a long stretch without improvement the
search returns to the best schedule and perturbs it with a few random critical swaps. Steps
are counted, not timed, so a fixed seed and step limit give the same schedule; under a time
limit the number of steps depends on the machine.

The steps run compiled (Numba, :mod:`planner.scheduling.tabu_kernel`), in chunks of a few
milliseconds between which the clock is checked and progress reported: measured about 3 us a
step at 400 operations, 0.1 ms at 10,000 and 1 ms at 100,000 (70 times faster than the same
search in Python at 10,000). The large-neighbourhood search (CP-SAT) continues from its result.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from planner.model.data import ProblemData
from planner.schedule import Schedule
from planner.scheduling import tabu_kernel as kernel
from planner.scheduling.bounds import makespan_lower_bound
from planner.scheduling.changeover_arcs import graph_changeovers
from planner.scheduling.chunks import run_in_chunks
from planner.scheduling.jit import csr, seed_state


def tabu_applies(data: ProblemData) -> bool:
    """Whether the problem is a classical job shop that the tabu search handles exactly."""
    return (
        makespan_on_a_plain_shop(data)
        and all(len(options) == 1 for options in data.op_options)
        # with zero durations a critical swap can close a cycle (the N5 argument needs d > 0)
        and all(options[0][1] > 0 for options in data.op_options)
    )


def makespan_on_a_plain_shop(data: ProblemData, changeovers: bool = False) -> bool:
    """Whether the plan is judged by its makespan alone on a shop without changeovers (unless
    ``changeovers`` allows them, with no time priced for them), calendars, a site power limit,
    pinned operations, pools or lags: the makespan is then the longest path through routing and
    machine arcs (the classical estimates apply; a machine arc weighs the changeover too)."""
    w = data.objective
    return (
        w.makespan > 0
        and (w.weighted_tardiness == 0 or all(d is None for d in data.job_due))
        and not data.energy_priced
        and (not data.has_setups or (changeovers and w.setup_time == 0))
        and not data.has_calendars
        and data.peak_power_kw is None
        and all(p is None for p in data.op_pinned)
        and not data.stability_priced
        and not data.has_pools
        and not data.has_lags
    )


def routing_graph(
    data: ProblemData, duration: np.ndarray, machine: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """The ``graph`` tuple the classical kernel reads (see :mod:`tabu_kernel`) with each
    operation's ``duration`` and, on a shop with changeovers, its ``machine`` (the arrays
    themselves, so that a search may change them in place)."""
    n = data.num_operations
    pred_ptr, pred_idx = csr(data.op_predecessors)
    succ_ptr, succ_idx = csr(data.op_successors)
    sinks = np.array(sorted(o for ops in data.job_sinks for o in ops), dtype=np.int64)
    release = np.array([data.op_release[o] for o in range(n)], np.int64)
    zeros = np.zeros(n, dtype=np.int64)  # what tails start from
    plain = (duration, release, pred_ptr, pred_idx, succ_ptr, succ_idx, sinks, zeros)
    if not data.has_setups:
        return plain
    if machine is None:
        raise ValueError("a shop with changeovers needs each operation's machine")
    return *plain, *graph_changeovers(machine, data.op_family, data.setup_times, data.initial_setup)


class CriticalPathTabuSearch:
    """Improves the machine sequences of a classical job shop; see the module docstring.

    Parameters
    ----------
    data
        A problem for which :func:`tabu_applies` holds.
    seed
        Seeds tabu tenures and perturbations.
    stall_steps
        Steps without a new best schedule before returning to the best one and perturbing it;
        by default fifty per operation (at least 1,000): small problems profit from many short
        walks, large ones from long walks.
    patience
        Returns after this many returns-and-perturbations in a row found nothing better.
    """

    def __init__(
        self,
        data: ProblemData,
        seed: int = 0,
        stall_steps: int | None = None,
        patience: int = 100,
    ) -> None:
        if not tabu_applies(data):
            raise ValueError("the tabu search needs a classical job shop (see tabu_applies)")
        self.data = data
        n = data.num_operations
        self.stall_steps = stall_steps if stall_steps is not None else max(1000, 50 * n)
        self.patience = patience
        self.duration = np.array([options[0][1] for options in data.op_options], dtype=np.int64)
        self.machine = [options[0][0] for options in data.op_options]
        self.graph = routing_graph(data, self.duration)
        jobs_per_machine = max(1, n // max(1, data.num_machines))
        self.tenure = 2 + min(50, jobs_per_machine // 5 + data.num_machines // 4)
        self.state = np.zeros(kernel.STATE_SIZE, dtype=np.int64)
        self.rng = seed_state(seed)
        self.work = np.zeros((kernel.WORK_ROWS, n + 1), dtype=np.int64)
        self.head = np.zeros(n, dtype=np.int64)
        self.tail = np.zeros(n, dtype=np.int64)

    def stats(self) -> dict[str, object]:
        return {
            "tabu_steps": int(self.state[kernel.STEPS]),
            "tabu_improvements": int(self.state[kernel.IMPROVEMENTS]),
            "tabu_restarts": int(self.state[kernel.RESTARTS]),
        }

    def improve(
        self,
        schedule: Schedule,
        remaining: Callable[[], float],
        on_improvement: Callable[[int], None] | None = None,
        max_steps: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Schedule:
        """Return a schedule no worse than ``schedule`` (same machines, reordered).

        Runs until ``remaining()`` reaches zero, ``max_steps`` steps are made, ``stop()`` says
        so, ``patience`` perturbations in a row found nothing better, or the makespan reaches
        the routing and machine-load lower bound. ``on_improvement`` receives the best makespan
        after each chunk of steps that improved it.
        """
        mprev, mnext, _ = schedule.machine_links(self.data.num_machines)
        makespan = self._evaluate(mprev, mnext)
        state = self.state
        state[kernel.MAKESPAN] = makespan
        state[kernel.BEST] = makespan
        state[kernel.SINCE_BEST] = 0
        state[kernel.FRUITLESS] = 0
        best_mprev, best_mnext = mprev.copy(), mnext.copy()
        # an entry lives at most 2 * tenure steps, and one is written per step
        tabu = np.full((2 * self.tenure, 3), -1, dtype=np.int64)
        state[kernel.TABU_NEXT] = 0
        floor = int(makespan_lower_bound(self.data))

        def steps(chunk: int) -> bool:
            before = int(state[kernel.BEST])
            outcome = kernel.run_steps(
                self.graph, mprev, mnext, best_mprev, best_mnext, self.head, self.tail,
                self.work, tabu, state, self.rng, chunk, floor, self.tenure,
                self.stall_steps, self.patience,
            )  # fmt: skip
            if outcome == kernel.CYCLE:
                raise _cycle()
            if on_improvement is not None and state[kernel.BEST] < before:
                on_improvement(int(state[kernel.BEST]))
            return bool(outcome == kernel.CHUNK_DONE)

        run_in_chunks(steps, lambda: int(state[kernel.STEPS]), remaining, stop, max_steps, 16)
        return self._schedule(best_mprev, best_mnext)

    # -- conversions between schedules and the kernel's arrays -------------------------------

    def _evaluate(self, mprev: np.ndarray, mnext: np.ndarray) -> int:
        makespan = int(kernel.evaluate(self.graph, mprev, mnext, self.head, self.tail, self.work))
        if makespan < 0:
            raise _cycle()
        return makespan

    def _schedule(self, mprev: np.ndarray, mnext: np.ndarray) -> Schedule:
        self._evaluate(mprev, mnext)
        head = self.head.tolist()
        end = (self.head + self.duration).tolist()
        n = self.data.num_operations
        return Schedule.from_lists(self.machine, head, end, [0] * n)


def _cycle() -> RuntimeError:
    return RuntimeError("machine sequences contradict the routings (a cycle)")
