"""Constraints of the scheduling model, added by named methods in a fixed order."""

from __future__ import annotations

import math

from ortools.sat.python import cp_model

from planner.model.data import ProblemData, share_of
from planner.schedule import Schedule
from planner.scheduling.cpsat.variables import Option, Variables
from planner.scheduling.subproblem import MachinePrefix, SubProblem


class Constraints:
    """Adds every constraint of a sub-problem to ``model``.

    Order: precedence, pinned, machine boundary (prefix), no overlap with calendars,
    sequence-dependent setups, site peak power, resource pools.
    """

    def __init__(
        self, model: cp_model.CpModel, data: ProblemData, sub: SubProblem, v: Variables
    ) -> None:
        self.model, self.data, self.sub, self.v = model, data, sub, v

    def add_all(self) -> None:
        self._precedence()
        self._pinned()
        self._machine_prefix()
        self._no_overlap_and_calendars()
        self._setups()
        self._machine_suffix()  # after the setups: it reads their circuit arcs
        self._peak_power()
        self._resource_pools()

    def _precedence(self) -> None:
        """Routing arcs into free operations: from free predecessors as constraints, from
        fixed ones (placed as in the hint) as bounds; without lags the heads hold those."""
        free, data = self.v.start, self.data
        for o in self.sub.free:
            for p in data.op_predecessors[o]:
                if p in free:
                    self._free_arc(p, o)
                elif data.has_lags and self.sub.hint is not None:
                    self._fixed_arc(p, o, self.sub.hint)

    def _free_arc(self, p: int, o: int) -> None:
        """``o`` after ``p`` as :meth:`ProblemData.start_after` says, both free."""
        data, model, v = self.data, self.model, self.v
        lag, share, longest = data.arc(p, o)
        if data.lag_in_working_time(p, o):
            self._working_arc(p, o, lag, share)
        elif share is None:
            model.add(v.start[o] >= v.end[p] + lag)
        else:
            for opt in v.options[p]:  # the first units of p are done
                ct = model.add(v.start[o] >= v.start[p] + share_of(share, opt.duration) + lag)
                _enforce(ct, opt)
            for opt in v.options[o]:  # the last units of p still pass o
                ct = model.add(v.end[o] >= v.end[p] + share_of(share, opt.duration) + lag)
                _enforce(ct, opt)
        if longest is not None:
            model.add(v.start[o] <= v.end[p] + longest)

    def _working_arc(self, p: int, o: int, lag: int, share: float | None) -> None:
        """``o`` after ``p`` with a minimum lag in working time, both free: the start is at
        least the working-time function of ``p``'s end (or, with a transfer share, of the
        moments :meth:`ProblemData.start_after` names), per option where it depends on one."""
        v = self.v
        if share is None:
            self._after_working(v.end[p], 0, o, lag, None)
            return
        for opt in v.options[p]:
            self._after_working(v.start[p], share_of(share, opt.duration), o, lag, opt)
        for opt in v.options[o]:
            offset = share_of(share, opt.duration) - opt.duration
            self._after_working(v.end[p], offset, o, lag, opt)

    def _after_working(
        self, moment: cp_model.IntVar, offset: int, o: int, lag: int, option: Option | None
    ) -> None:
        """``start[o] >= after(moment + offset, lag)`` in working time, by one literal per
        piece of that function over the moment's domain (exactly one holds)."""
        model, start = self.model, self.v.start[o]
        domain = list(moment.proto.domain)  # the proto's list takes no negative index
        pieces = self.data.working_time.pieces(lag, domain[0] + offset, domain[-1] + offset)
        chosen = [model.new_bool_var(f"work_{o}_{k}") for k in range(len(pieces))]
        model.add_exactly_one(chosen)
        for b, (lo, hi, value, slope) in zip(chosen, pieces, strict=True):
            model.add(moment + offset >= lo).only_enforce_if(b)
            model.add(moment + offset <= hi).only_enforce_if(b)
            bound = moment + offset + value if slope else value
            ct = model.add(start >= bound)
            ct.only_enforce_if(
                [b] if option is None or option.presence is None else [b, option.presence]
            )

    def _fixed_arc(self, p: int, o: int, hint: Schedule) -> None:
        """``o`` (free) after ``p``, fixed where ``hint`` has it."""
        data, model, v = self.data, self.model, self.v
        pred_start, pred_end = int(hint.start[p]), int(hint.end[p])
        for opt in v.options[o]:
            earliest = data.start_after(o, p, pred_start, pred_end, opt.duration)
            _enforce(model.add(v.start[o] >= earliest), opt)
        latest = data.latest_start_after(o, p, pred_end)
        if latest is not None:
            model.add(v.start[o] <= latest)

    def _pinned(self) -> None:
        for o in self.sub.free:
            pinned = self.data.op_pinned[o]
            if pinned is None:
                continue
            machine, start = pinned
            self.model.add(self.v.start[o] == start)
            for option in self.v.options[o]:
                if option.presence is not None:
                    self.model.add(option.presence == int(option.machine == machine))

    def _machine_prefix(self) -> None:
        """Without setups on a machine, free operations start after its fixed prefix."""
        for m, options in self.v.by_machine.items():
            prefix = self.sub.prefix.get(m)
            if prefix is None or prefix.free_from <= 0 or m in self._circuit_machines():
                continue
            for option in options:
                ct = self.model.add(self.v.start[option.op] >= prefix.free_from)
                if option.presence is not None:
                    ct.only_enforce_if(option.presence)

    def _machine_suffix(self) -> None:
        """Where the later operations on a machine stay in place, free operations there end
        before them, the changeover into the first one included (from the last)."""
        data, v = self.data, self.v
        for m, options in v.by_machine.items():
            suffix = self.sub.suffix.get(m)
            if suffix is None or suffix.start is None:
                continue
            arcs = v.arcs.get(m)
            for i, option in enumerate(options, start=1):
                end = v.end[option.op]
                if arcs is not None:  # the changeover counts from the last one (arc to 0)
                    change = data.changeover_between(m, option.op, suffix.operation)
                    self.model.add(end + change <= suffix.start).only_enforce_if(arcs[i, 0])
                ct = self.model.add(end <= suffix.start)
                if option.presence is not None:
                    ct.only_enforce_if(option.presence)

    def _no_overlap_and_calendars(self) -> None:
        earliest = min(self.sub.head.values(), default=0)
        for m, options in self.v.by_machine.items():
            busy = [opt.busy for opt in options]
            max_setup = int(self.data.setup_family_machine_max[m].max(initial=0))
            for s, e in self.data.unavailable[m]:
                if e > earliest - max_setup and s < self.sub.horizon:
                    busy.append(self.model.new_fixed_size_interval_var(s, e - s, f"off_{m}_{s}"))
            if len(busy) > 1:
                self.model.add_no_overlap(busy)

    def _circuit_machines(self) -> set[int]:
        return {m for m in self.v.by_machine if self.data.machine_has_setups[m]}

    def _setups(self) -> None:
        """Sequence-dependent setups through one circuit per machine.

        Node 0 stands for the fixed prefix and suffix; an arc ``i -> j`` means ``j`` directly
        follows ``i``, so ``j``'s setup is the changeover from ``i``'s family and ``j``'s setup
        starts after ``i`` ends.
        """
        data, model = self.data, self.model
        for m in sorted(self._circuit_machines()):
            options = self.v.by_machine[m]
            prefix = self.sub.prefix.get(m, MachinePrefix())
            arcs: dict[tuple[int, int], cp_model.IntVar] = {}
            optional = all(opt.presence is not None for opt in options)
            if optional:
                arcs[0, 0] = model.new_bool_var(f"empty_{m}")
            for i, a in enumerate(options, start=1):
                fa = data.op_family[a.op]
                if a.presence is not None:
                    arcs[i, i] = ~a.presence  # type: ignore[assignment]
                first = model.new_bool_var(f"first_{m}_{a.op}")
                arcs[0, i] = first
                needed = (
                    int(data.initial_setup[m, fa])
                    if prefix.family < 0
                    else int(data.setup_times[m, prefix.family, fa])
                )
                model.add(a.setup == needed).only_enforce_if(first)
                if prefix.free_from > 0:
                    assert a.busy_start is not None
                    model.add(a.busy_start >= prefix.free_from).only_enforce_if(first)
                arcs[i, 0] = model.new_bool_var(f"last_{m}_{a.op}")
                for j, b in enumerate(options, start=1):
                    if i == j or a.op == b.op:
                        continue
                    if b.op in self._must_precede(a.op):
                        continue  # b is a routing predecessor of a: b cannot directly follow a
                    lit = model.new_bool_var(f"arc_{m}_{a.op}_{b.op}")
                    arcs[i, j] = lit
                    change = int(data.setup_times[m, fa, data.op_family[b.op]])
                    model.add(b.setup == change).only_enforce_if(lit)
                    assert b.busy_start is not None
                    model.add(b.busy_start >= self.v.end[a.op]).only_enforce_if(lit)
            model.add_circuit([(i, j, lit) for (i, j), lit in arcs.items()])
            self.v.arcs[m] = arcs

    def _must_precede(self, op: int) -> set[int]:
        """Free operations that precede ``op`` in its routing (direct predecessors)."""
        return set(self.data.op_predecessors[op])

    def _peak_power(self) -> None:
        data = self.data
        if data.peak_power_kw is None:
            return
        assert data.power_headroom_kw is not None
        capacity = math.floor(data.power_headroom_kw * 1000 + 1e-6)
        intervals, demands = [], []
        for m, options in self.v.by_machine.items():
            extra = math.ceil(data.extra_power_kw[m] * 1000 - 1e-6)
            if extra <= 0:
                continue
            for opt in options:
                intervals.append(opt.processing)
                demands.append(extra)
        for k, (s, e, kw) in enumerate(self.sub.fixed_power):
            if e > s and kw > 0:
                intervals.append(self.model.new_fixed_size_interval_var(s, e - s, f"pw_{k}"))
                demands.append(math.ceil(kw * 1000 - 1e-6))
        if intervals:
            self.model.add_cumulative(intervals, demands, capacity)

    def _resource_pools(self) -> None:
        """Each pool as a cumulative over what holds it: the operations' processing (or, for
        a need during the setup, their changeover) intervals on every machine they may run on,
        the periods its capacity windows take units away, and what stays fixed around a
        neighbourhood."""
        data = self.data
        if not data.op_needs:
            return
        held: dict[int, tuple[list[cp_model.IntervalVar], list[int]]] = {}
        for o in self.sub.free:
            for pool, units, setup_only in data.op_needs[o]:
                intervals, demands = held.setdefault(pool, ([], []))
                for opt in self.v.options[o]:
                    interval = self._setup_interval(opt) if setup_only else opt.processing
                    if interval is not None:
                        intervals.append(interval)
                        demands.append(units)
        for pool, (intervals, demands) in held.items():
            peak, missing = data.pool_capacity_steps(pool)
            fixed = [(s, e, u) for s, e, u in missing if s < self.sub.horizon]
            fixed += [(s, e, u) for p, s, e, u in self.sub.fixed_usage if p == pool]
            for k, (start, end, units) in enumerate(fixed):
                end = min(end, self.sub.horizon)
                if end > start:
                    intervals.append(
                        self.model.new_fixed_size_interval_var(start, end - start, f"r{pool}_{k}")
                    )
                    demands.append(units)
            self.model.add_cumulative(intervals, demands, peak)

    def _setup_interval(self, option: Option) -> cp_model.IntervalVar | None:
        """The changeover before ``option``'s operation, where its machine has changeovers."""
        if option.busy_start is None:
            return None
        start, setup = self.v.start[option.op], option.setup
        name = f"setup_{option.op}_{option.machine}"
        if option.presence is None:
            return self.model.new_interval_var(option.busy_start, setup, start, name)
        return self.model.new_optional_interval_var(
            option.busy_start, setup, start, option.presence, name
        )


def _enforce(ct: cp_model.Constraint, option: Option) -> None:
    """Make ``ct`` hold only when ``option`` is chosen (always when it is the only one)."""
    if option.presence is not None:
        ct.only_enforce_if(option.presence)


def option_on(v: Variables, op: int, machine: int) -> Option:
    return next(opt for opt in v.options[op] if opt.machine == machine)
