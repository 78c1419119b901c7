"""CP-SAT variables for the free operations of a sub-problem."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.model.data import ProblemData
from planner.scheduling.subproblem import SubProblem


@dataclass
class Option:
    """An operation on one eligible machine: presence, setup and the two intervals.

    ``presence`` is ``None`` when the machine is the only option (always present). ``busy`` is
    the setup plus processing interval used for no-overlap with calendars; ``processing`` the
    interval that draws power.
    """

    op: int
    machine: int
    duration: int
    presence: cp_model.IntVar | None
    processing: cp_model.IntervalVar
    busy: cp_model.IntervalVar
    setup: cp_model.IntVar | int
    busy_start: cp_model.IntVar | None


@dataclass
class Variables:
    """All variables of one model, indexed by global operation and machine indices."""

    start: dict[int, cp_model.IntVar] = field(default_factory=dict)
    end: dict[int, cp_model.IntVar] = field(default_factory=dict)
    options: dict[int, list[Option]] = field(default_factory=dict)
    by_machine: dict[int, list[Option]] = field(default_factory=dict)
    arcs: dict[int, dict[tuple[int, int], cp_model.IntVar]] = field(default_factory=dict)
    """Per machine with setups: circuit arcs between nodes (0 = boundary, i+1 = i-th option)."""


def machine_setup_values(
    data: ProblemData, sub: SubProblem, machine: int, family: int
) -> list[int]:
    """Every setup time a free operation of ``family`` may need on ``machine``."""
    values = {int(v) for v in data.setup_times[machine, :, family]}
    prefix = sub.prefix.get(machine)
    if prefix is None or prefix.family < 0:
        values.add(int(data.initial_setup[machine, family]))
    else:
        values.add(int(data.setup_times[machine, prefix.family, family]))
    return sorted(values)


def create_variables(model: cp_model.CpModel, data: ProblemData, sub: SubProblem) -> Variables:
    """Start, end and per-machine options for every free operation."""
    v = Variables()
    horizon = sub.horizon
    setups = data.machine_has_setups
    for o in sub.free:
        options = data.op_options[o]
        min_duration = min(d for _, d in options)
        head = sub.head.get(o, 0)
        latest = min(horizon - min_duration, sub.latest_start.get(o, horizon))
        start = model.new_int_var(head, max(head, latest), f"start_{o}")
        last_end = min(horizon, sub.latest_end.get(o, horizon))
        end = model.new_int_var(head + min_duration, max(head + min_duration, last_end), f"end_{o}")
        v.start[o], v.end[o] = start, end
        single = len(options) == 1
        made: list[Option] = []
        for m, duration in options:
            presence = None if single else model.new_bool_var(f"on_{o}_{m}")
            processing = (
                model.new_interval_var(start, duration, end, f"proc_{o}_{m}")
                if presence is None
                else model.new_optional_fixed_size_interval_var(
                    start, duration, presence, f"proc_{o}_{m}"
                )
            )
            setup: cp_model.IntVar | int = 0
            busy_start = None
            busy = processing
            if setups[m]:
                values = machine_setup_values(data, sub, m, data.op_family[o])
                domain = values if presence is None else sorted({0, *values})
                setup = model.new_int_var_from_domain(
                    cp_model.Domain.from_values(domain), f"setup_{o}_{m}"
                )
                busy_start = model.new_int_var(0, horizon, f"busy_{o}_{m}")
                if presence is None:
                    busy = model.new_interval_var(busy_start, setup + duration, end, f"b_{o}_{m}")
                else:
                    busy = model.new_optional_interval_var(
                        busy_start, setup + duration, end, presence, f"b_{o}_{m}"
                    )
                    model.add(setup == 0).only_enforce_if(~presence)
            option = Option(o, m, duration, presence, processing, busy, setup, busy_start)
            made.append(option)
            v.by_machine.setdefault(m, []).append(option)
        v.options[o] = made
        if single:
            model.add(end == start + options[0][1])
        else:
            model.add_exactly_one(opt.presence for opt in made if opt.presence is not None)
            model.add(
                end
                == start
                + sum(opt.duration * opt.presence for opt in made if opt.presence is not None)
            )
    return v
