"""Tabu search for flexible job shops judged by their makespan, with or without changeovers.

The flexible tabu search (:mod:`planner.scheduling.flexible`) times every candidate move
exactly, because calendars and due dates leave it no reliable estimate; on a flexible job shop
without them that is a waste. There the makespan is again the longest path through routing
and machine arcs (a machine arc weighing the sequence-dependent changeover between its two
operations, :mod:`planner.scheduling.changeover_arcs`), and the classical estimates apply:
this search extends the critical-path tabu search of :mod:`planner.scheduling.tabu` with
*reroutes* (a critical operation moved to another eligible machine, at the position where the
longest path through it is shortest; Mastrolilli and Gambardella, 2000, "Effective
neighbourhood functions for the flexible job shop problem", Journal of Scheduling 3(1)). A
step ranks the N5 swaps and the reroutes of one critical path by their estimates (with the
changeovers a move makes and removes) and times only the few best exactly
(:attr:`ReroutingTabuSearch.exact`). It restarts from the best schedule with random critical
swaps after a stretch without improvement, as the classical search does; when its patience
is spent and time remains, a new round of walks starts from the best schedule.

Steps are counted, not timed: a seed and a step limit repeat a run exactly (one round). With
two workers two searches run on two cores from different seeds and the better schedule is kept
(the first worker's on a tie).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from planner.model.data import ProblemData
from planner.schedule import Schedule
from planner.scheduling import reroute_kernel as kernel
from planner.scheduling import tabu_kernel as classical
from planner.scheduling.bounds import makespan_lower_bound
from planner.scheduling.chunks import run_in_chunks
from planner.scheduling.jit import csr, seed_state
from planner.scheduling.tabu import makespan_on_a_plain_shop, routing_graph
from planner.scheduling.walks import best_of_walks

Arrays = tuple[np.ndarray, ...]


def reroute_applies(data: ProblemData) -> bool:
    """Whether the problem is a flexible job shop judged by its makespan alone, with or
    without sequence-dependent changeovers (:func:`~planner.scheduling.tabu.
    makespan_on_a_plain_shop`, some operation with a choice of machines, every duration
    positive)."""
    return (
        makespan_on_a_plain_shop(data, changeovers=True)
        and any(len(options) > 1 for options in data.op_options)
        and all(d > 0 for options in data.op_options for _, d in options)
    )


class ReroutingTabuSearch:
    """Improves the machine choice and sequences of a flexible job shop (makespan).

    Parameters
    ----------
    data
        A problem for which :func:`reroute_applies` holds.
    seed
        Seeds the first search; the k-th parallel search uses ``seed + k``.
    workers
        Searches run in parallel, one per thread.
    stall_steps
        Steps without a new best schedule before returning to the best one and perturbing
        it; by default twenty per operation (at least 1,000).
    patience
        Returns in a row without a new best before a walk ends; while time remains, the next
        round of walks starts from the best schedule (see :meth:`improve`).
    exact
        Admissible candidates, the best by their estimates, timed exactly per step.

    Notes
    -----
    On FJSP-SDST (Fattahi_setup_17-20, 30-s solves, 2 workers) it found 939, 934, 1,130 and
    1,276, where the flexible search had found 940, 934, 1,143 and 1,277 at best and 300-s
    runs of either solver 939, 934, 1,147 and 1,276; later rounds found 20's 1,276 (the first
    ended at 1,287).

    Measured on Hurink's edata instances where the flexible search had been weakest (abz7,
    abz9, la21, la25, la26, la31, la34, la40; 30-s solves, 2 workers): their gaps to the best
    known summed to 17.2 points with the flexible search and 5.5 with this one. Reroutes on
    the operation's own machine as well (reinsertion) gave 6.9, a patience of 300 gave 5.3
    (the same plans but one); one exact evaluation per step instead of three was mixed.
    """

    def __init__(
        self,
        data: ProblemData,
        seed: int = 0,
        workers: int = 1,
        stall_steps: int | None = None,
        patience: int = 100,
        exact: int = 3,
    ) -> None:
        if not reroute_applies(data):
            raise ValueError("the rerouting search needs a flexible job shop (reroute_applies)")
        self.data = data
        self.seed = seed
        self.workers = max(1, workers)
        n = data.num_operations
        self.stall_steps = stall_steps if stall_steps is not None else max(1000, 20 * n)
        self.patience = patience
        self.exact = exact
        self.options = (
            *csr([[m for m, _ in options] for options in data.op_options]),
            csr([[d for _, d in options] for options in data.op_options])[1],
        )
        jobs_per_machine = max(1, n // max(1, data.num_machines))
        self.tenure = 2 + min(50, jobs_per_machine // 5 + data.num_machines // 4)
        self.floor = int(makespan_lower_bound(data))  # where a walk stops: proved optimal
        self._stats: dict[str, int] = {}

    def stats(self) -> dict[str, int]:
        return {f"reroute_{key}": value for key, value in self._stats.items()}

    def improve(
        self,
        schedule: Schedule,
        remaining: Callable[[], float],
        on_improvement: Callable[[float], None] | None = None,
        max_steps: int | None = None,
        stop: Callable[[], bool] | None = None,
        rounds: int | None = None,
    ) -> Schedule:
        """Return a schedule no worse than ``schedule`` (its makespan, semi-active).

        Each worker runs until ``remaining()`` reaches zero, ``max_steps`` steps are made,
        ``stop()`` says so, its patience is spent, or the makespan reaches the routing and
        machine-load lower bound. When every worker has spent its patience and time remains
        (no ``max_steps`` given), another round of walks starts from the best schedule with the
        next seeds, up to ``rounds`` rounds (no limit by default). ``on_improvement`` receives
        each better makespan.
        """
        current, totals, done = schedule, dict[str, int](), 0
        while True:
            best, stats = self._round(
                current, done * self.workers, remaining, on_improvement, max_steps, stop
            )
            current, done = self._schedule(best), done + 1
            totals = {key: totals.get(key, 0) + value for key, value in stats.items()}
            if (
                max_steps is not None
                or done == rounds
                or int(current.end.max(initial=0)) <= self.floor
                or remaining() <= 0
                or (stop is not None and stop())
            ):
                break
        self._stats = {**totals, "rounds": done}
        return current

    def _round(
        self,
        schedule: Schedule,
        offset: int,
        remaining: Callable[[], float],
        on_improvement: Callable[[float], None] | None,
        max_steps: int | None,
        stop: Callable[[], bool] | None,
    ) -> tuple[Arrays, dict[str, int]]:
        """One walk per worker from ``schedule``, the k-th seeded by ``seed + offset + k``."""
        return best_of_walks(
            lambda k, report: self._walk(schedule, offset + k, remaining, report, max_steps, stop),
            self.workers,
            on_improvement,
        )

    def _walk(
        self,
        schedule: Schedule,
        k: int,
        remaining: Callable[[], float],
        report: Callable[[float], None],
        max_steps: int | None,
        stop: Callable[[], bool] | None,
    ) -> tuple[int, Arrays, dict[str, int]]:
        data = self.data
        n = data.num_operations
        machine, duration, mprev, mnext, mfirst = self._solution(schedule)
        graph = routing_graph(data, duration, machine)
        head, tail = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        work = np.zeros((classical.WORK_ROWS, n + 1), dtype=np.int64)
        best = tuple(a.copy() for a in (machine, duration, mprev, mnext, mfirst))
        widest = max(len(options) for options in data.op_options)
        cand = np.zeros((kernel.CANDIDATE_ROWS, n * widest + 2 * n + 2), dtype=np.int64)
        tabu = np.full((2 * self.tenure, 3), -1, dtype=np.int64)
        state = np.zeros(kernel.STATE_SIZE, dtype=np.int64)
        makespan = classical.evaluate(graph, mprev, mnext, head, tail, work)
        if makespan < 0:
            raise RuntimeError("machine sequences contradict the routings (a cycle)")
        state[classical.MAKESPAN] = state[classical.BEST] = makespan
        rng = seed_state(self.seed + k)
        settings = (0, self.floor, self.tenure, self.stall_steps, self.patience, self.exact)

        def steps(chunk: int) -> bool:
            before = int(state[classical.BEST])
            outcome = kernel.run_steps(
                graph, self.options, machine, mprev, mnext, mfirst, best, head, tail, work,
                cand, tabu, state, rng, (chunk, *settings[1:]),
            )  # fmt: skip
            if outcome == classical.CYCLE:
                raise RuntimeError("machine sequences contradict the routings (a cycle)")
            if state[classical.BEST] < before:
                report(int(state[classical.BEST]))
            return bool(outcome == classical.CHUNK_DONE)

        run_in_chunks(steps, lambda: int(state[classical.STEPS]), remaining, stop, max_steps, 16)
        stats = {
            "steps": int(state[classical.STEPS]),
            "improvements": int(state[classical.IMPROVEMENTS]),
            "restarts": int(state[classical.RESTARTS]),
            "machine_changes": int(state[kernel.REROUTES]),
        }
        return int(state[classical.BEST]), best, stats

    # -- conversions between schedules and the kernel's arrays -------------------------------

    def _solution(self, schedule: Schedule) -> Arrays:
        data = self.data
        machine = schedule.machine.astype(np.int64).copy()
        duration = np.array(
            [data.durations[o][int(m)] for o, m in enumerate(machine)], dtype=np.int64
        )
        mprev, mnext, mfirst = schedule.machine_links(data.num_machines)
        return machine, duration, mprev, mnext, mfirst

    def _schedule(self, solution: Arrays) -> Schedule:
        machine, duration, mprev, mnext, _ = solution
        data = self.data
        n = data.num_operations
        graph = routing_graph(data, duration.copy(), machine.copy())
        head, tail = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        work = np.zeros((classical.WORK_ROWS, n + 1), dtype=np.int64)
        if classical.evaluate(graph, mprev, mnext, head, tail, work) < 0:
            raise RuntimeError("machine sequences contradict the routings (a cycle)")
        setup = [
            data.changeover(int(machine[o]), data.op_family[p] if p >= 0 else -1, data.op_family[o])
            for o, p in enumerate(mprev.tolist())
        ]
        end = (head + duration).tolist()
        return Schedule.from_lists(machine.tolist(), head.tolist(), end, setup)


@functools.cache
def compile_reroute_kernels() -> None:
    """Compile the kernels (or load them from Numba's disk cache) before a solve's clock."""
    from planner.model import Problem
    from planner.scheduling.construct import best_dispatch

    options = [{"machine": "M1", "duration": 3}, {"machine": "M2", "duration": 4}]
    jobs = [
        {
            "id": f"J{j}",
            "operations": [
                {"id": f"o{k}", "machines": options, "setup_family": f"f{j}"} for k in range(2)
            ],
        }
        for j in range(2)
    ]
    machines = [{"id": "M1"}, {"id": "M2"}]
    changeovers = [{"from_family": "*", "to_family": "*", "minutes": 2}]
    for setups in ([], changeovers):  # the kernels compile once per kind of graph
        problem = {"machines": machines, "jobs": jobs, "setups": setups}
        data = Problem.from_dict(problem).build()
        schedule, _ = best_dispatch(data, budget=0)
        ReroutingTabuSearch(data).improve(schedule, lambda: 1.0, max_steps=2)
