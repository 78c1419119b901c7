"""Tabu search for real factories: machine choice, changeovers, calendars, due dates.

The classical job-shop tabu search (:mod:`planner.scheduling.tabu`) needs fixed machines, no
changeovers and no calendars, because its move estimate rests on them. This search drops the
estimate and evaluates every candidate move exactly: a compiled pass times the whole schedule
the way the checker reads it (routings, release dates, sequence-dependent setups before each
operation, setup and operation together inside the machine's working time) and prices it with
the problem's objective (makespan, weighted tardiness, total changeover time, and the energy
bill where it is priced: each operation's machine power times the price of its minutes).
The timing is semi-active, so energy is priced exactly but no operation waits for a cheaper
hour; the CP-SAT steps after this search may move work later. Under a site power limit or
resource pools the pass also waits for what an operation draws to fit, in order of when
operations could start (:mod:`planner.scheduling.flexible_resources`). Re-planning against
a previous plan, pinned operations stay where they are, every operation away from where the
previous plan had it costs the stability weight, and an operation on its previous machine
waits for its previous start (less the tolerance) rather than drifting earlier, unless a step
releases that hold (:mod:`planner.scheduling.flexible_holds`).

A step follows the chain of operations that holds back the *target* (the operation that ends
last, or the last operation of a late job drawn by its weighted lateness, in proportion to
their shares of the objective, or an operation away from where the previous plan had it,
by the stability term's share; energy does not pick targets: steps chasing it made the
1,000-operation factory's plans worse, ``benchmarks/README.md``): each operation on it waits
for its routing or machine predecessor, or for a window of its machine's calendar. For a
sample of the chain's operations it tries every re-insertion on every eligible machine
between neighbours whose times overlap the operation's slack (between its routing
predecessors' ends and its successors' starts) - the insertion neighbourhood of Mastrolilli
and Gambardella (2000, "Effective neighbourhood functions for the flexible job shop
problem", Journal of Scheduling 3(1)), which also reassigns machines and, on one machine,
swaps. The best move is made unless it is tabu (the operation moved within the last few
steps), except when it beats the best schedule found; among moves of equal objective the one
whose work ends earlier in total wins (plateaus of equal makespan are the rule). With
changeovers, half the steps instead try to move an operation that is preceded by a
changeover next to an operation of its own family (batching). Positions are screened by a
quick estimate (when the operation would end there and how far it would push the next one)
and only the most promising are evaluated exactly, re-timing only what the move can change.
After a stretch without a new best the search returns to the best schedule and kicks it with
a few random moves of the same kind; after several such returns in a row it hands over.

Steps are counted, not timed: a seed and a step limit repeat a run exactly. With two workers
two searches run on two cores (the kernel releases Python's lock) from different seeds, and
the better schedule is kept, the first worker's on a tie.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from planner.model.data import ProblemData
from planner.schedule import Schedule
from planner.scheduling import flexible_kernel as kernel
from planner.scheduling.chunks import run_in_chunks
from planner.scheduling.jit import csr, seed_state
from planner.scheduling.tabu import tabu_applies
from planner.scheduling.walks import best_of_walks

Arrays = tuple[np.ndarray, ...]


SHARED_MAX_OPERATIONS = 300
"""Up to how many operations the search runs under a site power limit or resource pools,
where each candidate move is timed by a full pass. Measured on synthetic factories with
operators in shifts and a power limit (20-30 s, 2 workers, ``benchmarks/README.md``): with
the search the solver's plans were 7.6-13.9% better than without at 100 operations, 1.0-3.5%
at 200 and 0.0-0.9% at 300; at 1,000 it made 17-38 steps, its plans were rejected and the
neighbourhood search lost the time (+0.02% on one seed)."""

SHARED_MAX_HORIZON = 500_000
"""Up to how many minutes of horizon the search runs under shared capacity, which it keeps
per minute (a row of floats per pool and for the power, and a copy per worker): 4 MB a row
here, about a year of minutes."""


def flexible_applies(data: ProblemData) -> bool:
    """Whether the problem suits this search: an objective it prices exactly (makespan or
    weighted tardiness, with changeover time, energy cost and moved operations beside them),
    no working-time lags, and not a classical job shop (which has a stronger search). Site
    power limits and resource pools it times up to :data:`SHARED_MAX_OPERATIONS` operations
    and :data:`SHARED_MAX_HORIZON` minutes (see :mod:`planner.scheduling.flexible_resources`);
    pinned operations stay where they are."""
    w = data.objective
    due = any(d is not None for d in data.job_due)
    shared = data.peak_power_kw is not None or data.has_pools
    return (
        (w.makespan > 0 or (w.weighted_tardiness > 0 and due))
        and not data.op_working_lag
        and data.num_operations > 1
        and (
            not shared
            or (data.num_operations <= SHARED_MAX_OPERATIONS and data.horizon <= SHARED_MAX_HORIZON)
        )
        and not tabu_applies(data)
    )


@dataclass(frozen=True)
class FlexibleSearchParams:
    """How the search moves. The defaults were chosen on Brandimarte mk06, mk10, mk13 and mk15,
    Fattahi_setup_18-20 and the synthetic factories of 1,000 and 10,000 operations (10-20 s,
    one worker): sampling the whole chain or fewer than eight operations was worse on the
    1,000-operation factory, and returns after 1,000 idle steps were better there than after
    300 (7,721 against 7,743 in 10 s) and no worse on Brandimarte."""

    sample: int = 8
    """Operations of the chain tried per step: more finds better steps, fewer makes more."""
    positions: int | None = None
    """Insertion positions evaluated exactly per machine and operation, the most promising by
    a quick estimate; by default 12 up to 2,000 operations, 3 up to 20,000, else 2 (each
    exact evaluation re-times what follows the move: 0.1 ms at 10,000 operations)."""
    tenure: int = 8
    """Steps an operation stays tabu after it moved, at least; up to twice as many."""
    stall_steps: int = 1000
    """Steps without a new best schedule before returning to the best and kicking it."""
    patience: int = 20
    """Returns in a row without a new best before the search gives up and hands over (20,000
    idle steps by default: 10-15 s at 1,000 operations, where it stops improving earlier)."""
    batching_share: float = 0.5
    """With changeovers, the share of steps that move an operation next to its own family
    (batching) instead of along the critical chain: on the 1,000-operation factory 7,686
    against 7,721 without (10 s)."""
    guide_changeover: float = 0.05
    """The guide's price of a minute of changeover, per unit of makespan weight, on problems
    with changeovers or machine calendars. The search walks on the objective plus this guide
    but keeps the best schedule by the objective alone. There, most moves leave the makespan
    as it is (one operation pushed past a night break holds it a shift later), and the guide
    tells apart the schedules that free machine time (fewer changeovers, earlier work) from
    those that do not. On the 1,000-operation factory (20 s, one worker) the search reached
    the plan that ends a shift earlier (7,036-7,080 against 7,591-7,677) in about one run in
    three with a guide and in none of 18 without. Flexible job shops without changeovers or
    calendars go without: there the guided search kept going where the unguided one hands
    over to the full model early, and the solver's plans for Hurink la21, la24 and la40 were
    5-12 units worse (30 s)."""
    guide_end: float = 0.001
    """The guide's price of a minute of the mean operation end, per unit of makespan weight
    (same problems as ``guide_changeover``): on a plateau of equal makespan, prefer the
    schedule that finishes its work earlier."""

    def positions_for(self, operations: int) -> int:
        if self.positions is not None:
            return self.positions
        return 12 if operations <= 2000 else 3 if operations <= 20_000 else 2


def problem_arrays(data: ProblemData, params: FlexibleSearchParams | None = None) -> Arrays:
    """The problem as the flat arrays the kernel reads (see its module docstring), with the
    guide of ``params`` (none without)."""
    n, machines = data.num_operations, data.num_machines
    families = max(1, data.num_families)
    release = np.array([data.op_release[o] for o in range(n)], dtype=np.int64)
    family = np.array(data.op_family if data.num_families else [0] * n, dtype=np.int64)
    setup = np.zeros((machines, families, families), dtype=np.int64)
    initial = np.zeros((machines, families), dtype=np.int64)
    if data.num_families:
        setup[:] = data.setup_times
        initial[:] = data.initial_setup
    windows = [sorted(w) for w in data.unavailable]
    win_ptr = np.zeros(machines + 1, dtype=np.int64)
    win_ptr[1:] = np.cumsum([len(w) for w in windows])
    win_start = np.array([a for w in windows for a, _ in w], dtype=np.int64)
    win_end = np.array([b for w in windows for _, b in w], dtype=np.int64)
    opt_ptr, opt_machine = csr([[m for m, _ in options] for options in data.op_options])
    _, opt_duration = csr([[d for _, d in options] for options in data.op_options])
    pred_ptr, pred_idx = csr(data.op_predecessors)
    succ_ptr, succ_idx = csr(data.op_successors)
    w = data.objective
    guide = (0.0, 0.0)
    if params is not None and (setup.any() or initial.any() or len(win_start)):
        guide = (w.makespan * params.guide_end / n, w.makespan * params.guide_changeover)
    energy = w.energy_cost if data.energy_priced else 0.0
    due = np.array([d if d is not None else 0 for d in data.job_due], dtype=np.int64)
    has_due = np.array([d is not None for d in data.job_due], dtype=np.bool_)
    stability = w.stability_weight if data.stability_priced else 0.0
    pin = np.array([-1 if p is None else p[1] for p in data.op_pinned], dtype=np.int64)
    previous = [p if p is not None else (-1, 0) for p in data.op_previous or [None] * n]
    capacity, power_row, needs = _shared_capacity(data)
    return (
        release, family, pred_ptr, pred_idx, succ_ptr, succ_idx, opt_ptr, opt_machine,
        opt_duration, setup, initial, win_ptr, win_start, win_end,
        np.array(data.op_job, dtype=np.int64), due, has_due,
        np.array(data.job_weight, dtype=np.float64),
        np.array(
            [w.makespan, w.weighted_tardiness, w.setup_time, *guide, energy, stability],
            dtype=np.float64,
        ),
        np.array([data.horizon, w.stability_tolerance_min, power_row], dtype=np.int64),
        np.array(data.op_min_lag or [0] * n, dtype=np.int64),
        np.array([-1.0 if f is None else f for f in data.op_transfer or [None] * n]),
        np.array(
            [-1 if x is None else x for x in data.op_max_lag] if data.has_max_lags else [],
            dtype=np.int64,
        ),
        np.array(
            [data.link_lag.get((p, o), -1) for o, before in enumerate(data.op_predecessors)
             for p in before],
            dtype=np.int64,
        ),
        np.array(data.power_kw, dtype=np.float64),
        data.cumulative_price(1) if energy else np.zeros(1),
        pin,
        np.array([m for m, _ in previous], dtype=np.int64),
        np.array([t for _, t in previous], dtype=np.int64),
        *needs,
        capacity,
        np.array(data.extra_power_kw, dtype=np.float64),
    )  # fmt: skip


def _shared_capacity(data: ProblemData) -> tuple[np.ndarray, int, Arrays]:
    """What the site power limit and the resource pools leave at each minute of the horizon
    once the pinned operations' processing is placed (one row per pool, then the power above
    the idle draw where limited; no rows without either), the power's row (-1: none) and the
    pools' needs per operation as compressed rows (pointers, row, units, during setup)."""
    pools = len(data.pool_ids)
    limited = data.peak_power_kw is not None
    rows = pools + int(limited)
    n = data.num_operations
    needs = data.op_needs or ((),) * n
    ptr, row = csr([[pool for pool, _, _ in need] for need in needs])
    units = np.array([u for need in needs for _, u, _ in need], dtype=np.float64)
    setup_only = np.array([int(s) for need in needs for _, _, s in need], dtype=np.int64)
    if rows == 0:
        return np.zeros((0, 1)), -1, (ptr, row, units, setup_only)
    capacity = np.zeros((rows, data.horizon + 1))
    for pool in range(pools):
        capacity[pool] = data.pool_capacity[pool]
        for start, end, level in data.pool_windows[pool]:
            capacity[pool, start : min(end, data.horizon + 1)] = level
    if limited:
        assert data.power_headroom_kw is not None
        capacity[pools] = data.power_headroom_kw
    for o, pinned in enumerate(data.op_pinned):
        if pinned is None:
            continue
        m, start = pinned
        end = start + data.durations[o][m]
        if limited:
            capacity[pools, start:end] -= data.extra_power_kw[m]
        for pool, need_units, during_setup in needs[o]:
            if not during_setup:
                capacity[pool, start:end] -= need_units
    return capacity, pools if limited else -1, (ptr, row, units, setup_only)


class FlexibleTabuSearch:
    """Improves a feasible schedule; see the module docstring.

    Parameters
    ----------
    data
        A problem for which :func:`flexible_applies` holds.
    seed
        Seeds the first search; the k-th parallel search uses ``seed + k``.
    workers
        Searches run in parallel, one per thread.
    params
        Move and restart settings.
    """

    def __init__(
        self,
        data: ProblemData,
        seed: int = 0,
        workers: int = 1,
        params: FlexibleSearchParams | None = None,
    ) -> None:
        if not flexible_applies(data):
            raise ValueError("the flexible tabu search does not apply (see flexible_applies)")
        self.data = data
        self.seed = seed
        self.workers = max(1, workers)
        self.params = params or FlexibleSearchParams()
        self.problem = problem_arrays(data, self.params)
        self._stats: dict[str, int] = {}

    def stats(self) -> dict[str, object]:
        return {f"flex_{k}": v for k, v in self._stats.items()}

    def improve(
        self,
        schedule: Schedule,
        remaining: Callable[[], float],
        on_improvement: Callable[[float], None] | None = None,
        max_steps: int | None = None,
        stop: Callable[[], bool] | None = None,
        floor: float = 0.0,
    ) -> Schedule:
        """Return the best schedule found, re-timed semi-actively (never worse than
        ``schedule`` on the objective this search prices).

        Each worker runs until ``remaining()`` reaches zero, ``max_steps`` steps are made,
        ``stop()`` says so, its patience is spent, or the objective reaches ``floor`` (a
        lower bound). ``on_improvement`` receives each better objective, from any worker.
        """
        start = self._solution(schedule)
        best, self._stats = best_of_walks(
            lambda k, report: self._walk(start, k, remaining, report, max_steps, stop, floor),
            self.workers,
            on_improvement,
        )
        return self.schedule(best)

    def _walk(
        self,
        start: Arrays,
        k: int,
        remaining: Callable[[], float],
        report: Callable[[float], None],
        max_steps: int | None,
        stop: Callable[[], bool] | None,
        floor: float,
    ) -> tuple[float, Arrays, dict[str, int]]:
        n = self.data.num_operations
        params = self.params
        solution = tuple(a.copy() for a in start)
        best = tuple(a.copy() for a in start)
        true_best = tuple(a.copy() for a in start)
        timing = _timing(n, self.data.num_jobs, self.problem)
        work = np.zeros((7, n), dtype=np.int64)
        tabu_until = np.zeros(n, dtype=np.int64)
        fstate = np.zeros(kernel.F_STATE_SIZE, dtype=np.float64)
        istate = np.zeros(kernel.I_STATE_SIZE, dtype=np.int64)
        rng = seed_state(self.seed + k)
        fstate[kernel.VALUE] = fstate[kernel.BEST] = kernel.evaluate(self.problem, solution, timing)
        fstate[kernel.TRUE_BEST] = kernel.true_objective(self.problem, timing, fstate[kernel.VALUE])
        kicks = max(2, min(12, n // 100))
        settings = (0, params.sample, params.positions_for(n), params.tenure, params.tenure + 1,
                    params.stall_steps, params.patience, kicks, floor,
                    params.batching_share)  # fmt: skip

        def steps(chunk: int) -> bool:
            before = float(fstate[kernel.TRUE_BEST])
            outcome = kernel.run_steps(
                self.problem, solution, best, true_best, timing, work, tabu_until, fstate,
                istate, rng, (chunk, *settings[1:]),
            )  # fmt: skip
            if fstate[kernel.TRUE_BEST] < before - 1e-9:
                report(float(fstate[kernel.TRUE_BEST]))
            return bool(outcome == kernel.CHUNK_DONE)

        run_in_chunks(steps, lambda: int(istate[kernel.STEPS]), remaining, stop, max_steps, 4)
        stats = {
            "steps": int(istate[kernel.STEPS]),
            "improvements": int(istate[kernel.IMPROVEMENTS]),
            "restarts": int(istate[kernel.RESTARTS]),
        }
        return float(fstate[kernel.TRUE_BEST]), true_best, stats

    # -- conversions between schedules and the kernel's arrays -------------------------------

    def _solution(self, schedule: Schedule) -> Arrays:
        """The kernel's arrays for ``schedule``; an operation that starts earlier on its
        previous machine than its hold allows arrives released, so it is timed as it is."""
        data = self.data
        machine = schedule.machine.astype(np.int64).copy()
        duration = np.array(
            [data.durations[o][int(m)] for o, m in enumerate(machine)], dtype=np.int64
        )
        mprev, mnext, mfirst = schedule.machine_links(data.num_machines)
        previous_machine, previous_start = self.problem[27], self.problem[28]
        tolerance = self.problem[19][1]
        released = (previous_machine == machine) & (schedule.start < previous_start - tolerance)
        return machine, duration, mprev, mnext, mfirst, released.astype(np.int64)

    def schedule(self, solution: Arrays) -> Schedule:
        """The schedule of ``solution`` as the kernel times it."""
        data = self.data
        timing = _timing(data.num_operations, data.num_jobs, self.problem)
        value = kernel.evaluate(self.problem, solution, timing)
        if value >= kernel.INFEASIBLE:
            raise RuntimeError("machine sequences contradict the routings or the horizon")
        start, end, setup = timing[0], timing[1], timing[2]
        return Schedule(solution[0].copy(), start.copy(), end.copy(), setup.copy())

    def objective(self, schedule: Schedule) -> float:
        """The objective of ``schedule``'s machine sequences, re-timed semi-actively."""
        data = self.data
        timing = _timing(data.num_operations, data.num_jobs, self.problem)
        value = kernel.evaluate(self.problem, self._solution(schedule), timing)
        return float(kernel.true_objective(self.problem, timing, value))


def _timing(n: int, jobs: int, problem: Arrays) -> Arrays:
    """The arrays an evaluation writes (see :mod:`~planner.scheduling.flexible_kernel`), with
    room for ``problem``'s shared capacity."""

    def ints(size: int) -> np.ndarray:
        return np.zeros(size, dtype=np.int64)

    start, end, setup, order, indegree, mark, hold, saved = (ints(n) for _ in range(8))
    usage = problem[33].copy()  # each pass gives back what it takes
    return start, end, setup, order, indegree, ints(jobs), ints(3), mark, hold, saved, usage


@functools.cache
def compile_flexible_kernels() -> None:
    """Compile the kernels (or load them from Numba's disk cache) before a solve's clock."""
    data = _warm_up_problem()
    search = FlexibleTabuSearch(data)
    initial = _any_schedule(data)
    search.improve(initial, lambda: 1.0, max_steps=2)


def _warm_up_problem() -> ProblemData:
    """Two jobs on two machines, with machine choice, changeovers and due dates: every
    kernel the search has runs on it."""
    from planner.model import Problem

    options = [{"machine": "M1", "duration": 3}, {"machine": "M2", "duration": 4}]
    jobs = [
        {
            "id": f"J{j}",
            "due": 5,
            "operations": [
                {"id": f"o{k}", "machines": options, "setup_family": f"F{(j + k) % 2}"}
                for k in range(2)
            ],
        }
        for j in range(2)
    ]
    return Problem.from_dict(
        {
            "machines": [{"id": "M1"}, {"id": "M2"}],
            "jobs": jobs,
            "setups": [{"from_family": "F0", "to_family": "F1", "minutes": 2}],
            "objective": {"makespan": 1, "weighted_tardiness": 1},
        }
    ).build()


def _any_schedule(data: ProblemData) -> Schedule:
    from planner.scheduling.construct import best_dispatch

    schedule, _ = best_dispatch(data, budget=0)
    return schedule
