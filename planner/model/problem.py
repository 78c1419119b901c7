"""The scheduling problem at the boundary, and its validation into :class:`ProblemData`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import networkx as nx
import numpy as np
from pydantic import Field, ValidationError

from planner.model.data import ProblemData
from planner.model.energy import EnergyTariff
from planner.model.errors import InputIssue, InvalidInputError, index_ids, issues_from_pydantic
from planner.model.factory import WILDCARD, Frozen, Machine, SetupRule
from planner.model.horizon_checks import calendar_issues, compile_tariff, power_issues
from planner.model.jobs import Job
from planner.model.links import compile_links
from planner.model.resources import ResourcePool, compile_needs, compile_pools
from planner.model.settings import ObjectiveWeights
from planner.model.time import TimePoint, as_utc, to_minutes


class Problem(Frozen):
    """A scheduling problem: machines, jobs, setups, an optional tariff and the objective.

    How to search (time limit, workers, seed) is not part of the problem: pass
    :class:`~planner.model.SolverSettings` to :func:`planner.solve` next to it.

    Build one directly, load one with :func:`planner.io.load_problem`, or read a benchmark
    instance with :func:`planner.io.read_jobshop` / :func:`planner.io.read_fjs`. Call
    :meth:`build` to validate it into the index form the solver and checker use.

    Parameters
    ----------
    horizon_start
        The moment minute 0 stands for; needed when any time is given as a datetime, and to
        line a tariff up with the schedule.
    horizon_minutes
        Every operation must end by this minute. Defaults to a bound that no schedule needs to
        exceed; when energy cost is weighted, to the last priced minute of the tariff (so set
        it for long tariffs: the model's size grows with the horizon).
    peak_power_kw
        Site limit on the power drawn at any minute (processing plus idle draw).
    resources
        Pools of operators, tools or fixtures that operations need next to their machine.
    """

    name: str = "problem"
    horizon_start: datetime | None = None
    horizon_minutes: int | None = Field(default=None, gt=0)
    machines: tuple[Machine, ...] = Field(min_length=1)
    jobs: tuple[Job, ...] = Field(min_length=1)
    setups: tuple[SetupRule, ...] = ()
    tariff: EnergyTariff | None = None
    peak_power_kw: float | None = Field(default=None, gt=0)
    resources: tuple[ResourcePool, ...] = ()
    objective: ObjectiveWeights = ObjectiveWeights()

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Problem:
        """Validate a plain mapping (from JSON or YAML), reporting every problem at once.

        Raises
        ------
        InvalidInputError
            With one issue per problem, each with its path.
        """
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            raise InvalidInputError(issues_from_pydantic(error), "problem") from None

    def build(self) -> ProblemData:
        """Validate cross-references and compile to :class:`ProblemData`.

        Raises
        ------
        InvalidInputError
            Listing every problem found, each with its path.
        """
        return _Compiler(self).compile()


class _Compiler:
    """Checks a :class:`Problem` and turns it into index form, collecting every issue."""

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.issues: list[InputIssue] = []

    def fail(self, path: str, message: str) -> None:
        self.issues.append(InputIssue(path, message))

    def minutes(self, value: TimePoint, path: str) -> int | None:
        try:
            t = to_minutes(value, self.p.horizon_start)
        except ValueError as error:
            self.fail(path, str(error))
            return None
        if t < 0:
            self.fail(path, f"{value} is before the horizon start")
            return None
        return t

    def compile(self) -> ProblemData:
        p = self.p
        machine_index = self._machines()
        unavailable, reasons = self._calendars()
        families = self._families()
        family_index = {f: i for i, f in enumerate(families)}
        pool_index, pool_windows, issues = compile_pools(p.resources, self.minutes)
        self.issues.extend(issues)
        self.pool_index = pool_index
        ops = list(self._operations(machine_index, family_index))
        job_ops: list[list[int]] = [[] for _ in p.jobs]
        for o, op in enumerate(ops):
            job_ops[op["job"]].append(o)
        preds = [op["preds"] for op in ops]
        link_lag, job_components = self._links(job_ops, preds)
        setup_times, initial_setup = self._setups(machine_index, families, family_index)
        transfers = sum(link_lag.values())
        horizon = self._horizon(ops, setup_times, (*unavailable, *pool_windows), transfers)
        prices, offset, issues = compile_tariff(p, horizon)
        self.issues.extend(issues)
        if prices is not None and p.horizon_minutes is None:
            # energy can pay for waiting, so with a priced energy term every priced minute is
            # usable; otherwise the bound suffices
            priced = len(prices) * 60 - offset
            horizon = priced if p.objective.energy_cost > 0 else min(horizon, priced)
        self.issues.extend(power_issues(p, ops))
        self.issues.extend(calendar_issues(p, ops, unavailable, horizon))
        if self.issues:
            raise InvalidInputError(self.issues, "problem")

        lags = _lags(ops)
        return ProblemData(
            name=p.name,
            horizon_start=as_utc(p.horizon_start) if p.horizon_start else None,
            horizon=horizon,
            machine_ids=tuple(m.id for m in p.machines),
            machine_groups=tuple(m.group for m in p.machines),
            power_kw=tuple(m.power_kw for m in p.machines),
            idle_power_kw=tuple(m.idle_power_kw for m in p.machines),
            unavailable=unavailable,
            unavailable_reasons=reasons,
            families=families,
            setup_times=setup_times,
            initial_setup=initial_setup,
            job_ids=tuple(j.id for j in p.jobs),
            job_products=tuple(j.product for j in p.jobs),
            job_quantities=tuple(j.quantity for j in p.jobs),
            job_periods=tuple(j.period for j in p.jobs),
            job_release=tuple(self.minutes(j.release, "") or 0 for j in p.jobs),
            job_due=tuple(
                None if j.due is None else to_minutes(j.due, p.horizon_start) for j in p.jobs
            ),
            job_weight=tuple(j.weight for j in p.jobs),
            job_operations=tuple(tuple(ops_) for ops_ in job_ops),
            op_ids=tuple(op["id"] for op in ops),
            op_job=tuple(op["job"] for op in ops),
            op_family=tuple(op["family"] for op in ops),
            op_options=tuple(op["options"] for op in ops),
            op_predecessors=tuple(preds),
            op_pinned=tuple(op["pinned"] for op in ops),
            op_not_before=tuple(op["not_before"] for op in ops)
            if any(op["not_before"] for op in ops)
            else (),
            op_previous=tuple(op["previous"] for op in ops)
            if any(op["previous"] for op in ops)
            else (),
            pool_ids=tuple(pool.id for pool in p.resources),
            pool_capacity=tuple(pool.capacity for pool in p.resources),
            pool_windows=pool_windows,
            op_needs=tuple(op["needs"] for op in ops) if any(op["needs"] for op in ops) else (),
            op_min_lag=lags[0],
            op_max_lag=lags[1],
            op_transfer=lags[2],
            op_working_lag=tuple(op["working"] for op in ops)
            if any(op["working"] for op in ops)
            else (),
            link_lag=link_lag,
            job_components=job_components,
            objective=p.objective,
            hourly_prices=prices,
            price_offset_min=offset,
            currency=p.tariff.currency if p.tariff else "USD",
            peak_power_kw=p.peak_power_kw,
        )

    def _links(
        self, job_ops: list[list[int]], preds: list[tuple[int, ...]]
    ) -> tuple[dict[tuple[int, int], int], tuple[tuple[int, int, float], ...]]:
        """Component links: their arcs join the consuming operation's predecessors."""
        if not any(op.components for job in self.p.jobs for op in job.operations):
            return {}, ()
        job_index = {job.id: j for j, job in enumerate(self.p.jobs)}
        first = [ops[0] if ops else 0 for ops in job_ops]
        arcs, supplies, issues = compile_links(self.p.jobs, job_index, first, preds)
        self.issues.extend(issues)
        for p, o in arcs:
            preds[o] = (*preds[o], p)
        return arcs, supplies

    # -- machines and calendars ---------------------------------------------------------------

    def _machines(self) -> dict[str, int]:
        index, issues = index_ids((m.id for m in self.p.machines), "machines", "machine")
        self.issues.extend(issues)
        return index

    def _calendars(
        self,
    ) -> tuple[tuple[tuple[tuple[int, int], ...], ...], tuple[tuple[str, ...], ...]]:
        windows_all = []
        reasons_all = []
        for i, machine in enumerate(self.p.machines):
            windows: list[tuple[int, int, str]] = []
            for k, window in enumerate(machine.unavailable):
                path = f"machines[{i}].unavailable[{k}]"
                start = self.minutes(window.start, f"{path}.start")
                end = self.minutes(window.end, f"{path}.end")
                if start is None or end is None:
                    continue
                if end <= start:
                    self.fail(path, f"end ({end}) must be after start ({start})")
                    continue
                windows.append((start, end, window.reason))
            windows.sort()
            merged: list[list[Any]] = []
            for start, end, reason in windows:
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end, reason])
            windows_all.append(tuple((int(s), int(e)) for s, e, _ in merged))
            reasons_all.append(tuple(str(r) for _, _, r in merged))
        return tuple(windows_all), tuple(reasons_all)

    # -- jobs and routings --------------------------------------------------------------------

    def _families(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for job in self.p.jobs:
            for op in job.operations:
                seen.setdefault(op.setup_family)
        for machine in self.p.machines:
            if machine.initial_family is not None:
                seen.setdefault(machine.initial_family)
        for rule in self.p.setups:
            for family in (rule.from_family, rule.to_family):
                if family != WILDCARD:
                    seen.setdefault(family)
        return tuple(seen)

    def _operations(
        self, machine_index: dict[str, int], family_index: dict[str, int]
    ) -> Iterator[dict[str, Any]]:
        _, issues = index_ids((job.id for job in self.p.jobs), "jobs", "job")
        self.issues.extend(issues)
        first = 0
        for j, job in enumerate(self.p.jobs):
            jpath = f"jobs[{j}]"
            self.minutes(job.release, f"{jpath}.release")
            if job.due is not None:
                self.minutes(job.due, f"{jpath}.due")
            op_index, issues = index_ids(
                (op.id for op in job.operations), f"{jpath}.operations", "operation"
            )
            self.issues.extend(issues)
            preds = self._routing(job, jpath, op_index)
            for k, op in enumerate(job.operations):
                opath = f"{jpath}.operations[{k}]"
                yield {
                    "id": op.id,
                    "job": j,
                    "family": family_index[op.setup_family],
                    "options": self._options(op.machines, opath, machine_index),
                    "preds": tuple(first + q for q in preds[k]),
                    "pinned": self._pinned(op, opath, machine_index),
                    "previous": self._previous(op, opath, machine_index),
                    "not_before": 0
                    if op.not_before is None
                    else self.minutes(op.not_before, f"{opath}.not_before") or 0,
                    **self._lag(op, opath, bool(preds[k])),
                    "needs": self._needs(op, opath),
                }
            first += len(job.operations)

    def _lag(self, op: Any, opath: str, has_predecessors: bool) -> dict[str, Any]:
        lag = {
            "min_lag": op.min_lag_minutes,
            "max_lag": op.max_lag_minutes,
            "transfer": op.transfer_share,
            "working": op.lag_time == "working" and op.min_lag_minutes > 0,
        }
        if not has_predecessors:
            for field in ("min_lag_minutes", "max_lag_minutes", "transfer_share"):
                if getattr(op, field) not in (None, 0):
                    self.fail(
                        f"{opath}.{field}",
                        "is set but the operation has no predecessor to count it from; "
                        "give it on a later step of the routing",
                    )
        return lag

    def _needs(self, op: Any, opath: str) -> tuple[tuple[int, int, bool], ...]:
        needs, issues = compile_needs(op.needs, f"{opath}.needs", self.pool_index, self.p.resources)
        self.issues.extend(issues)
        return needs

    def _options(
        self, options: tuple[Any, ...], opath: str, machine_index: dict[str, int]
    ) -> tuple[tuple[int, int], ...]:
        if not options:
            self.fail(f"{opath}.machines", "no eligible machine; list at least one")
        result = []
        seen: set[str] = set()
        for i, option in enumerate(options):
            if option.machine not in machine_index:
                self.fail(
                    f"{opath}.machines[{i}].machine",
                    f"unknown machine {option.machine!r}; known machines: "
                    + _short_list(machine_index),
                )
            elif option.machine in seen:
                self.fail(
                    f"{opath}.machines[{i}].machine", f"machine {option.machine!r} listed twice"
                )
            else:
                result.append((machine_index[option.machine], option.duration))
            seen.add(option.machine)
        return tuple(result)

    def _pinned(self, op: Any, opath: str, machine_index: dict[str, int]) -> tuple[int, int] | None:
        if op.pinned is None:
            return None
        eligible = {o.machine for o in op.machines}
        if op.pinned.machine not in eligible:
            self.fail(
                f"{opath}.pinned.machine",
                f"{op.pinned.machine!r} is not among the operation's eligible machines",
            )
            return None
        start = self.minutes(op.pinned.start, f"{opath}.pinned.start")
        if start is None or op.pinned.machine not in machine_index:
            return None
        return machine_index[op.pinned.machine], start

    def _previous(
        self, op: Any, opath: str, machine_index: dict[str, int]
    ) -> tuple[int, int] | None:
        """Where the previous plan had it (ignored when that machine is no longer eligible:
        the operation must move anyway)."""
        if op.previous is None or op.previous.machine not in {o.machine for o in op.machines}:
            return None
        start = self.minutes(op.previous.start, f"{opath}.previous.start")
        if start is None or op.previous.machine not in machine_index:
            return None
        return machine_index[op.previous.machine], start

    def _routing(self, job: Job, jpath: str, op_index: dict[str, int]) -> list[tuple[int, ...]]:
        n = len(job.operations)
        if all(op.predecessors is None for op in job.operations):
            return [(k - 1,) if k else () for k in range(n)]
        graph = nx.DiGraph()
        graph.add_nodes_from(range(n))
        preds: list[tuple[int, ...]] = []
        for k, op in enumerate(job.operations):
            mine = []
            for i, name in enumerate(op.predecessors or ()):
                path = f"{jpath}.operations[{k}].predecessors[{i}]"
                if name not in op_index:
                    self.fail(path, f"unknown operation {name!r} in job {job.id!r}")
                elif op_index[name] == k:
                    self.fail(path, f"operation {name!r} cannot precede itself")
                else:
                    mine.append(op_index[name])
                    graph.add_edge(op_index[name], k)
            preds.append(tuple(sorted(set(mine))))
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return preds
        names = [job.operations[a].id for a, _ in cycle] + [job.operations[cycle[0][0]].id]
        self.fail(f"{jpath}.operations", "routing has a cycle: " + " -> ".join(names))
        return [() for _ in range(n)]

    # -- setups -------------------------------------------------------------------------------

    def _setups(
        self, machine_index: dict[str, int], families: tuple[str, ...], family_index: dict[str, int]
    ) -> tuple[np.ndarray, np.ndarray]:
        n_m, n_f = len(self.p.machines), len(families)
        # specificity: machine-specific (+4), exact from (+2), exact to (+1)
        best = np.full((n_m, n_f, n_f), -1, dtype=np.int64)
        times = np.zeros((n_m, n_f, n_f), dtype=np.int64)
        seen: dict[tuple[str, str, str | None], tuple[int, int]] = {}
        for r, rule in enumerate(self.p.setups):
            path = f"setups[{r}]"
            machines = list(range(n_m))
            if rule.machines is not None:
                for name in rule.machines:
                    if name not in machine_index:
                        self.fail(f"{path}.machines", f"unknown machine {name!r}")
                machines = [machine_index[name] for name in rule.machines if name in machine_index]
            for m_name in rule.machines or (None,):
                key = (rule.from_family, rule.to_family, m_name)
                if key in seen and seen[key][1] != rule.minutes:
                    self.fail(
                        path,
                        f"conflicts with setups[{seen[key][0]}] for {rule.from_family!r} -> "
                        f"{rule.to_family!r}; keep one of them",
                    )
                seen.setdefault(key, (r, rule.minutes))
            rank = (
                (4 if rule.machines is not None else 0)
                + (2 if rule.from_family != WILDCARD else 0)
                + (1 if rule.to_family != WILDCARD else 0)
            )
            sources = (
                range(n_f) if rule.from_family == WILDCARD else [family_index[rule.from_family]]
            )
            targets = range(n_f) if rule.to_family == WILDCARD else [family_index[rule.to_family]]
            wildcard = WILDCARD in (rule.from_family, rule.to_family)
            for mi in machines:
                for f in sources:
                    for g in targets:
                        if wildcard and f == g:
                            continue
                        if rank > best[mi, f, g]:
                            best[mi, f, g] = rank
                            times[mi, f, g] = rule.minutes
        initial = np.zeros((n_m, n_f), dtype=np.int64)
        for mi, machine in enumerate(self.p.machines):
            if machine.initial_family is not None:
                initial[mi] = times[mi, family_index[machine.initial_family]]
        return times, initial

    # -- horizon, tariff, power ---------------------------------------------------------------

    def _horizon(
        self,
        ops: list[dict[str, Any]],
        setup_times: np.ndarray,
        blocked_windows: tuple[tuple[tuple[int, ...], ...], ...],
        transfers: int = 0,
    ) -> int:
        """Machine windows and pool capacity windows both hold work back; so do the transfer
        times of component links."""
        if self.p.horizon_minutes is not None:
            return self.p.horizon_minutes
        release = 0
        for job in self.p.jobs:
            with contextlib.suppress(ValueError):
                release = max(release, to_minutes(job.release, self.p.horizon_start))
        max_setup = int(setup_times.max()) if setup_times.size else 0
        work = sum(
            max((d for _, d in op["options"]), default=0) + max_setup + op["min_lag"] for op in ops
        )
        pinned = max(
            (op[key][1] for op in ops for key in ("pinned", "previous") if op[key]), default=0
        )
        pinned = max(pinned, max((op["not_before"] for op in ops), default=0))
        blocked = max((w[-1][1] for w in blocked_windows if w), default=0)
        return int(max(1, max(release, pinned, blocked) + work + max_setup + transfers))


def _short_list(index: Mapping[str, int], limit: int = 8) -> str:
    names = list(index)
    text = ", ".join(repr(n) for n in names[:limit])
    return text + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _lags(
    ops: list[dict[str, Any]],
) -> tuple[tuple[int, ...], tuple[int | None, ...], tuple[float | None, ...]]:
    """The lag fields of :class:`ProblemData` (minimum, maximum, transfer share): empty when
    no operation has a lag or a transfer share."""
    if all(not op["min_lag"] and op["max_lag"] is None and op["transfer"] is None for op in ops):
        return (), (), ()
    return (
        tuple(op["min_lag"] for op in ops),
        tuple(op["max_lag"] for op in ops),
        tuple(op["transfer"] for op in ops),
    )
