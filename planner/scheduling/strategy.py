"""Which search runs on a problem, and how large its full CP-SAT model would be: the choices
:func:`planner.scheduling.solve` makes before it starts, each measured (the figures are in the
docstrings and in ``benchmarks/README.md``)."""

from __future__ import annotations

from planner.model import ProblemData, SolverSettings


def restarts_pay(data: ProblemData) -> bool:
    """Whether the first plan gets restarts (``SearchTuning.dispatch_restarts``): with
    changeovers or machine calendars, where the rule's plan leaves gaps the search does not
    close (measured on the synthetic factories); not on job shops without them, where they
    made three Brandimarte plans worse (mk05 176, mk13 400, mk15 337 against 173, 395, 333
    without, 60 s)."""
    return data.has_setups or data.has_calendars


def choose_strategy(data: ProblemData, settings: SolverSettings) -> str:
    """What ``auto`` resolves to.

    Up to ``full_model_max_operations`` operations (and a model of moderate size): the full
    CP-SAT model for the whole budget when every operation has a single machine (a job shop:
    there the full model beats neighbourhood search at this size, measured on Taillard) or when
    energy or stability is priced (measured on the default factory and its reschedules), else
    ``hybrid`` (the full model for part of the budget for its bound, then neighbourhood search,
    which is stronger with machine choice, measured on Brandimarte). Beyond that, ``lns``. The
    full model prices energy at a coarser resolution than the neighbourhood search when its
    slots would be too many (:func:`full_model_resolution`).

    On a classical job shop (see :func:`~planner.scheduling.tabu.tabu_applies`) a tabu search
    on the critical path runs first: for up to 30% of the budget as the full model's hint, or
    for up to 80% of it before the neighbourhood search (the shares are
    :class:`~planner.model.settings.SearchTuning` fields), stopping earlier when its restarts
    stop finding better schedules (measured on Taillard and the 10,000 to 100,000-operation
    instances: compiled, it reaches the best known makespan of most 50- and 100-job Taillard
    instances within a second, and it is stronger than the neighbourhood search on large ones).
    On flexible shops judged by their makespan (with or without changeovers,
    :func:`~planner.scheduling.reroute.reroute_applies`), ``hybrid`` runs one round of the
    rerouting search before the full model, so that small problems are proved at once, and
    more rounds after it, before the neighbourhood search (measured on FJSP-SDST, Hurink and
    Brandimarte; see ``benchmarks/README.md``).
    """
    chosen = settings.strategy
    if chosen != "auto":
        return chosen
    small = data.num_operations <= settings.full_model_max_operations
    if not small or full_model_size(data, settings) > settings.tuning.full_model_max_size:
        return "lns"
    flexible = any(len(options) > 1 for options in data.op_options)
    return "hybrid" if flexible and not _non_regular(data) else "cpsat"


def _non_regular(data: ProblemData) -> bool:
    """Whether the objective prices energy or stability: moving work later can pay, which the
    neighbourhood search's small windows barely exploit. On the default factory (energy,
    changeovers, calendars, machine choice; 121 operations) the full model for the whole
    budget gave 1,730-1,815 at 30 s against 1,801-1,817 for ``hybrid`` with 70% for the full
    model and 1,911-1,937 for the neighbourhood search alone; on its machine-breakdown and
    rush-order reschedules (stability priced, started work pinned) 3,286-3,394 and
    2,094-2,112 against 3,795 and 2,171; on the fixed problem of the before/after table, 9.7%
    better on the mean of three seeds (``benchmarks/README.md``). On the saved base week of the
    stability benchmark the rush order's model is just over ``full_model_max_size`` (20,194),
    so that re-plan runs ``lns`` after its settling step; forced to the full model it was no
    better (seeds 0-3: 2,289-2,904 against 2,237-2,909)."""
    return data.energy_priced or data.stability_priced


def full_model_size(data: ProblemData, settings: SolverSettings) -> int:
    """Rough size of the full CP-SAT model: circuit arcs on machines with setups, plus one
    literal per operation and start slot when energy is priced (at the full model's
    resolution, :func:`full_model_resolution`)."""
    per_machine = [0] * data.num_machines
    for options in data.op_options:
        for m, _ in options:
            per_machine[m] += 1
    size = sum(k * k if data.machine_has_setups[m] else k for m, k in enumerate(per_machine))
    if data.energy_priced:
        size += _energy_slots(data, full_model_resolution(data, settings))
    return size


def full_model_resolution(data: ProblemData, settings: SolverSettings) -> int:
    """Slot length at which the full model prices energy: ``energy_resolution_min``, doubled
    while the model would hold more than ``full_model_energy_slots`` start-slot literals, up
    to ``full_model_max_resolution_min`` (see :class:`~planner.model.settings.SearchTuning`).
    The neighbourhood search's small models keep ``energy_resolution_min``."""
    tuning = settings.tuning
    resolution = settings.energy_resolution_min
    if not data.energy_priced:
        return resolution
    while (
        _energy_slots(data, resolution) > tuning.full_model_energy_slots
        and resolution * 2 <= tuning.full_model_max_resolution_min
    ):
        resolution *= 2
    return resolution


def _energy_slots(data: ProblemData, resolution: int) -> int:
    return data.num_operations * (data.horizon // resolution + 1)


def exact_objective(data: ProblemData, settings: SolverSettings) -> bool:
    """Whether CP-SAT's objective is the exact one (energy priced at minute resolution in the
    full model, and so in the neighbourhood search's models, or not priced at all), so that
    its bounds are bounds on the checker's objective."""
    return not data.energy_priced or full_model_resolution(data, settings) == 1
