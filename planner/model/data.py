"""The compiled, index-based, immutable problem every solver and the checker work on.

Built by :meth:`planner.model.problem.Problem.build`, which validates the input first. All
times are whole minutes from the horizon start; machines, jobs, operations and setup families
are referred to by index.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np
import numpy.typing as npt

from planner.model.settings import ObjectiveWeights
from planner.model.working_time import WorkingTime, plant_closed

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def share_of(share: float, duration: int) -> int:
    """Whole minutes of ``share`` of ``duration``, rounded up (the exact product rounds to
    itself)."""
    return math.ceil(share * duration - 1e-9)


@dataclass(frozen=True, eq=False)
class ProblemData:
    """A validated scheduling problem in index form.

    Operations are numbered globally; ``op_options[o]`` lists ``(machine, duration)`` pairs and
    ``op_predecessors[o]`` the operations that must end before ``o`` starts: of its job's
    routing, and the last operations of the jobs making components it consumes
    (:attr:`link_lag`).
    ``setup_times[m, f, g]`` is the changeover on machine ``m`` from family ``f`` to ``g`` and
    ``initial_setup[m, g]`` the setup before the first operation on ``m``.
    """

    name: str
    horizon_start: datetime | None
    horizon: int
    machine_ids: tuple[str, ...]
    machine_groups: tuple[str, ...]
    power_kw: tuple[float, ...]
    idle_power_kw: tuple[float, ...]
    unavailable: tuple[tuple[tuple[int, int], ...], ...]
    unavailable_reasons: tuple[tuple[str, ...], ...]
    families: tuple[str, ...]
    setup_times: IntArray
    initial_setup: IntArray
    job_ids: tuple[str, ...]
    job_products: tuple[str | None, ...]
    job_quantities: tuple[float, ...]
    job_periods: tuple[str | None, ...]
    job_release: tuple[int, ...]
    job_due: tuple[int | None, ...]
    job_weight: tuple[float, ...]
    job_operations: tuple[tuple[int, ...], ...]
    op_ids: tuple[str, ...]
    op_job: tuple[int, ...]
    op_family: tuple[int, ...]
    op_options: tuple[tuple[tuple[int, int], ...], ...]
    op_predecessors: tuple[tuple[int, ...], ...]
    op_pinned: tuple[tuple[int, int] | None, ...]
    objective: ObjectiveWeights
    op_not_before: tuple[int, ...] = ()
    """Per operation, the earliest start of its own (rescheduling: now, for work not started);
    empty when no operation has one. :attr:`op_release` combines it with the job's release."""
    op_previous: tuple[tuple[int, int] | None, ...] = ()
    """Per operation, (machine, start) in the previous plan, where one was given and its machine
    is still eligible; empty when no operation has one."""
    op_min_lag: tuple[int, ...] = ()
    """Per operation, minutes from each routing predecessor's end to its start at least
    (curing, cooling); empty when no operation has a lag or a transfer share."""
    op_max_lag: tuple[int | None, ...] = ()
    """Per operation, minutes from each routing predecessor's end to its start at most;
    empty as :attr:`op_min_lag`."""
    op_transfer: tuple[float | None, ...] = ()
    op_working_lag: tuple[bool, ...] = ()
    """Per operation, whether its minimum lag counts only working time (:attr:`working_time`);
    empty when none does."""
    """Per operation, the share of each predecessor's work after which it may start
    (overlapping batches, see :meth:`start_after`); empty as :attr:`op_min_lag`."""
    pool_ids: tuple[str, ...] = ()
    """Resource pools (operators, tools, fixtures)."""
    pool_capacity: tuple[int, ...] = ()
    """Units of each pool at any minute outside its windows."""
    pool_windows: tuple[tuple[tuple[int, int, int], ...], ...] = ()
    """Per pool, ``(start, end, capacity)`` of the periods with another capacity, sorted."""
    op_needs: tuple[tuple[tuple[int, int, bool], ...], ...] = ()
    link_lag: Mapping[tuple[int, int], int] = field(default_factory=dict)
    """Component links, ``(supplier, consumer) -> transfer minutes``: from each last operation
    of a job that makes components to the operation of another job that consumes them; the
    supplier is also among the consumer's :attr:`op_predecessors`. Empty when none."""
    job_components: tuple[tuple[int, int, float], ...] = ()
    """``(component job, consuming job, units)`` of every component link, for pegging."""
    """Per operation, ``(pool, units, during setup only)`` of what it holds; empty when no
    operation needs a pool."""
    hourly_prices: FloatArray | None = None
    price_offset_min: int = 0
    currency: str = "USD"
    peak_power_kw: float | None = None
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def num_machines(self) -> int:
        return len(self.machine_ids)

    @property
    def num_jobs(self) -> int:
        return len(self.job_ids)

    @property
    def num_operations(self) -> int:
        return len(self.op_ids)

    @property
    def num_families(self) -> int:
        return len(self.families)

    @cached_property
    def op_release(self) -> tuple[int, ...]:
        """Earliest start of each operation: its job's release, or its own ``not_before`` when
        later."""
        release = tuple(self.job_release[j] for j in self.op_job)
        if not self.op_not_before:
            return release
        return tuple(max(r, n) for r, n in zip(release, self.op_not_before, strict=True))

    def changeover(self, machine: int, before: int, family: int) -> int:
        """Minutes of changeover on ``machine`` into ``family`` after an operation of family
        ``before`` (``-1``: the machine's first operation, its initial setup)."""
        if before < 0:
            return int(self.initial_setup[machine, family])
        return int(self.setup_times[machine, before, family])

    def changeover_between(self, machine: int, before: int, after: int) -> int:
        """Minutes of changeover on ``machine`` from operation ``before`` to operation ``after``."""
        return int(self.setup_times[machine, self.op_family[before], self.op_family[after]])

    @cached_property
    def has_lags(self) -> bool:
        """Whether any arc has a minimum or maximum lag or a transfer share, or is a component
        link."""
        return (
            bool(self.link_lag)
            or any(self.op_min_lag)
            or any(x is not None for x in self.op_max_lag)
            or any(x is not None for x in self.op_transfer)
        )

    @cached_property
    def has_max_lags(self) -> bool:
        return any(x is not None for x in self.op_max_lag)

    def arc(self, p: int, o: int) -> tuple[int, float | None, int | None]:
        """The terms of the arc from predecessor ``p`` to ``o``: minimum lag, transfer share and
        maximum lag (``None``: none). A component link has its transfer time as the minimum
        lag and neither of the others."""
        if self.link_lag:
            transfer = self.link_lag.get((p, o))
            if transfer is not None:
                return transfer, None, None
        if not self.op_min_lag:
            return 0, None, None
        return self.op_min_lag[o], self.op_transfer[o], self.op_max_lag[o]

    def is_link(self, p: int, o: int) -> bool:
        """Whether ``p -> o`` is a component link (``p`` ends a job making what ``o`` uses)."""
        return bool(self.link_lag) and (p, o) in self.link_lag

    def start_after(
        self,
        o: int,
        p: int,
        pred_start: int,
        pred_end: int,
        duration: int,
        working: bool = True,
    ) -> int:
        """Earliest start of ``o``, running ``duration`` minutes, after its predecessor ``p``
        running over ``[pred_start, pred_end)`` (see :meth:`arc`): ``p``'s end, or with a
        transfer share ``f`` the later of ``pred_start + ceil(f * pred duration)`` (the first
        units are done) and ``pred_end + ceil(f * duration) - duration`` (the last units still
        pass), plus the minimum lag: in working time where the operation says so (``working``
        false counts it in calendar time, the least it can take, for bounds)."""
        if not self.op_min_lag and not self.link_lag:
            return pred_end
        lag, share, _ = self.arc(p, o)
        t = pred_end
        if share is not None:
            t = max(
                pred_start + share_of(share, pred_end - pred_start),
                pred_end + share_of(share, duration) - duration,
            )
        if working and self.lag_in_working_time(p, o):
            return self.working_time.after(t, lag)
        return t + lag

    def lag_in_working_time(self, p: int, o: int) -> bool:
        """Whether the minimum lag of the arc ``p -> o`` counts only working time."""
        return bool(self.op_working_lag) and self.op_working_lag[o] and not self.is_link(p, o)

    @cached_property
    def working_time(self) -> WorkingTime:
        """The plant's working time: outside the windows in which no machine works."""
        return WorkingTime(plant_closed(self.unavailable))

    def ready_time(self, o: int, start: IntArray, end: IntArray, duration: int) -> int:
        """Earliest start of ``o`` (running ``duration`` minutes) after its release and its
        predecessors timed by ``start`` and ``end``."""
        t = self.op_release[o]
        for p in self.op_predecessors[o]:
            t = max(t, self.start_after(o, p, int(start[p]), int(end[p]), duration))
        return t

    def latest_start_after(self, o: int, p: int, pred_end: int) -> int | None:
        """Latest start of ``o`` its routing predecessor ``p`` ending at ``pred_end`` allows
        (maximum lag; none along a component link)."""
        if not self.op_max_lag:
            return None
        lag = self.arc(p, o)[2]
        return None if lag is None else pred_end + lag

    @cached_property
    def has_pools(self) -> bool:
        """Whether any operation needs a resource pool."""
        return any(self.op_needs)

    def holds(self, o: int, start: int, end: int, setup: int) -> list[tuple[int, int, int, int]]:
        """``(pool, from, to, units)`` that ``o`` holds when it runs over ``[start, end)``
        after a changeover of ``setup`` minutes: its processing, or for a need during the
        setup its changeover."""
        if not self.op_needs:
            return []
        out = []
        for pool, units, setup_only in self.op_needs[o]:
            lo, hi = (start - setup, start) if setup_only else (start, end)
            if hi > lo:
                out.append((pool, lo, hi, units))
        return out

    def pool_capacity_at(self, pool: int, t: int) -> int:
        """Units of ``pool`` at minute ``t``."""
        for start, end, capacity in self.pool_windows[pool]:
            if start <= t < end:
                return capacity
        return self.pool_capacity[pool]

    def pool_capacity_steps(self, pool: int) -> tuple[int, list[tuple[int, int, int]]]:
        """The most units ``pool`` ever has, and ``(start, end, units)`` of that peak that are
        missing at other times (from minute 0 on; the last step runs to the horizon)."""
        windows = self.pool_windows[pool]
        base = self.pool_capacity[pool]
        peak = max([base, *(c for _, _, c in windows)])
        steps, t = [], 0
        for start, end, capacity in windows:
            if start > t and peak > base:
                steps.append((t, start, peak - base))
            if peak > capacity:
                steps.append((start, end, peak - capacity))
            t = end
        end_of_time = max(self.horizon, t) + 1
        if peak > base and end_of_time > t:
            steps.append((t, end_of_time, peak - base))
        return peak, steps

    @cached_property
    def extra_power_kw(self) -> tuple[float, ...]:
        """Per machine, what it draws while it runs above its idle draw (kW)."""
        return tuple(p - i for p, i in zip(self.power_kw, self.idle_power_kw, strict=True))

    @cached_property
    def idle_power_total_kw(self) -> float:
        """What the site draws with every machine idle (kW)."""
        return float(sum(self.idle_power_kw))

    @cached_property
    def power_headroom_kw(self) -> float | None:
        """What the site power limit leaves above the idle draw for running work (kW; None
        without a limit)."""
        if self.peak_power_kw is None:
            return None
        return self.peak_power_kw - self.idle_power_total_kw

    @cached_property
    def energy_priced(self) -> bool:
        """Whether the objective prices energy and the problem has a tariff and powered machines."""
        return self.objective.energy_cost > 0 and self.has_energy

    @cached_property
    def stability_priced(self) -> bool:
        """Whether the objective prices moving operations against a previous plan."""
        return self.objective.stability_weight > 0 and bool(self.op_previous)

    @cached_property
    def has_calendars(self) -> bool:
        """Whether any machine has an unavailable window."""
        return any(self.unavailable)

    @cached_property
    def has_setups(self) -> bool:
        """Whether any changeover or initial setup time is positive."""
        return bool(self.setup_times.any() or self.initial_setup.any())

    @cached_property
    def machine_has_setups(self) -> tuple[bool, ...]:
        return tuple(
            bool(self.setup_times[m].any() or self.initial_setup[m].any())
            for m in range(self.num_machines)
        )

    @cached_property
    def durations(self) -> tuple[dict[int, int], ...]:
        """``durations[o][m]``: processing time of operation ``o`` on machine ``m``."""
        return tuple(dict(options) for options in self.op_options)

    @cached_property
    def op_successors(self) -> tuple[tuple[int, ...], ...]:
        succ: list[list[int]] = [[] for _ in range(self.num_operations)]
        for o, preds in enumerate(self.op_predecessors):
            for p in preds:
                succ[p].append(o)
        return tuple(tuple(s) for s in succ)

    @cached_property
    def job_sinks(self) -> tuple[tuple[int, ...], ...]:
        """Operations of each job that no other of its operations waits for (the job ends with
        them)."""
        succ, job = self.op_successors, self.op_job
        return tuple(
            tuple(o for o in ops if all(job[q] != job[o] for q in succ[o]))
            for ops in self.job_operations
        )

    @cached_property
    def topological_order(self) -> tuple[int, ...]:
        """All operations, each after its predecessors."""
        indeg = [len(p) for p in self.op_predecessors]
        order = [o for o in range(self.num_operations) if indeg[o] == 0]
        succ = self.op_successors
        head = 0
        while head < len(order):
            o = order[head]
            head += 1
            for s in succ[o]:
                indeg[s] -= 1
                if indeg[s] == 0:
                    order.append(s)
        return tuple(order)

    @cached_property
    def has_energy(self) -> bool:
        return self.hourly_prices is not None and any(p > 0 for p in self.power_kw)

    @cached_property
    def setup_family_machine_max(self) -> IntArray:
        """``[m, g]``: the longest setup any predecessor can force before family ``g`` on ``m``."""
        if self.num_families == 0:
            return np.zeros((self.num_machines, 0), dtype=np.int64)
        longest: IntArray = np.maximum(self.setup_times.max(axis=1), self.initial_setup)
        return longest

    def price_per_minute(self, start: int, end: int) -> FloatArray:
        """Price per MWh of every minute in ``[start, end)``; zeros without a tariff."""
        if self.hourly_prices is None or end <= start:
            return np.zeros(max(0, end - start))
        minutes = np.arange(start, end, dtype=np.int64) + self.price_offset_min
        hours = np.minimum(minutes // 60, len(self.hourly_prices) - 1)
        return self.hourly_prices[hours]

    def energy_cost(self, machine: int, start: int, end: int) -> float:
        """Exact cost of processing on ``machine`` over ``[start, end)``, priced per minute."""
        if self.hourly_prices is None or self.power_kw[machine] == 0 or end <= start:
            return 0.0
        mwh_per_minute = self.power_kw[machine] / 1000.0 / 60.0
        return float(self.price_per_minute(start, end).sum() * mwh_per_minute)

    def cumulative_price(self, step: int = 1) -> FloatArray:
        """``C[k]``: price of one kW drawn from minute 0 to minute ``k*step`` (currency per kW).

        Used by the CP-SAT model at a coarser resolution; cached per step.
        """
        key = f"cum{step}"
        cached = self._cache.get(key)
        if cached is None:
            per_minute = self.price_per_minute(0, self.horizon + step) / 1000.0 / 60.0
            cum = np.concatenate([[0.0], np.cumsum(per_minute)])
            cached = cum[::step].copy()
            self._cache[key] = cached
        assert isinstance(cached, np.ndarray)
        return cached
