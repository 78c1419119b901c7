"""What to optimise and how long to search."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.model.factory import Frozen

DEFAULT_STABILITY = 15.0
"""Objective units per moved operation when re-planning from a previous plan and the scenario
sets no weight. Chosen on the default factory's machine-breakdown and rush-order what-ifs
(``benchmarks/bench_factory.py stability``; table in ``benchmarks/README.md``, "A lower
default weight"): at 20 the breakdown's 30-s re-plans often settled on keeping the displaced
coating late (one operation moved, 3-9% dearer than the weight-0 re-plan); at 10, 12 and 15
once in 24 runs, the others moving 4-8 of its 72 untouched operations."""


class ObjectiveWeights(Frozen):
    """Weights of the objective's terms; the objective is their weighted sum.

    Parameters
    ----------
    makespan
        Per minute of makespan (end of the last operation).
    weighted_tardiness
        Per minute of lateness of a job, times the job's weight.
    energy_cost
        Per currency unit of energy bought for processing.
    setup_time
        Per minute of changeover.
    stability
        Per operation that moves against the previous plan when re-planning: to another
        machine, or its start by more than ``stability_tolerance_min``. ``None`` (the default)
        means :data:`DEFAULT_STABILITY` when there is a previous plan and 0 otherwise.
    stability_tolerance_min
        A start may move by this many minutes without counting as moved.
    """

    makespan: float = Field(default=1.0, ge=0)
    weighted_tardiness: float = Field(default=0.0, ge=0)
    energy_cost: float = Field(default=0.0, ge=0)
    setup_time: float = Field(default=0.0, ge=0)
    stability: float | None = Field(default=None, ge=0)
    stability_tolerance_min: int = Field(default=0, ge=0)

    @property
    def stability_weight(self) -> float:
        """The stability weight in force (0 when unset: the pipeline sets it when it
        re-plans from a previous plan)."""
        return self.stability or 0.0

    @model_validator(mode="after")
    def _something_to_optimise(self) -> ObjectiveWeights:
        if not any((self.makespan, self.weighted_tardiness, self.energy_cost, self.setup_time)):
            raise ValueError("every weight is 0; give at least one positive weight")
        return self


class SearchTuning(Frozen):
    """The scheduler's tuning constants, each defined here once.

    Users rarely change them; they are settings so that a benchmark can vary one without
    editing code. Each says what was measured to choose it ("set by hand" where nothing was).

    Parameters
    ----------
    dispatch_share
        Share of the time limit the dispatching rules may use for the first schedule,
        counted in operations placed at ``dispatch_rate`` per second (so that the first
        schedule is the same on any machine); the first rule always runs.
    dispatch_rate
        Operations a dispatching run places per second, as the budget counts them (measured
        on the 2-core benchmark machine with calendars and changeovers, the objective's
        evaluation included: 25,000-30,000 at 10,000 operations, 13,000 at 100,000; at 60 s
        this gives 10,000 operations fifteen runs and 100,000 one).
    dispatch_restarts
        After the rules, up to this many runs of the best one with randomly perturbed
        priorities, within the same budget (seeded by the solve's seed), on problems with
        changeovers or machine calendars only (see ``strategy.restarts_pay``). On the synthetic
        factories of 10,000 operations (makespan, changeovers, two shifts; seeds 0-2) the best
        of them was 0.6-4.2% shorter than the rule's own plan, more than the search then found
        in the rest of a minute.
    evolve_share
        Largest share of the remaining time (and of the time limit, counted in operations
        placed at ``dispatch_rate``) in which the first plan's priorities evolve
        (:mod:`planner.scheduling.evolve`) before the flexible tabu search, on problems
        beyond the full model (strategy ``lns``) with changeovers or machine calendars, when
        the searches run on the clock alone (:attr:`SolverSettings.timed_search`), and not
        when re-planning against a previous plan (the rules know nothing of it).
    tabu_share
        Largest share of the remaining time the critical-path tabu search (classical job
        shops) may use before the neighbourhood search takes over. Measured on Taillard and
        the 10,000 to 100,000-operation job shops: it is stronger than the neighbourhood
        search there, which then polishes.
    tabu_hint_share
        Largest share of the time the critical-path tabu search may use to find the full
        model's hint on small job shops (the full model needs the rest to prove).
    flexible_share
        Largest share of the remaining time the flexible tabu search gets before the full
        model (as its hint) or the neighbourhood search; it hands over earlier when its
        restarts stop finding better plans. Measured at 20 s: the 1,000-operation factory
        7,619 with 0.5 and 0.8, Brandimarte mk10 206 with 0.5 and 200-201 with 0.8.
    hybrid_full_model_share
        Share of the remaining time the ``hybrid`` strategy gives the full CP-SAT model (for
        its bound and, on small problems, its proof) before the neighbourhood search.
        Measured on Brandimarte: the neighbourhood search is stronger with machine choice,
        the full model's bound is worth about this share.
    full_model_hint_conflicts
        Conflicts CP-SAT's full-problem searches in the full model spend following its hint
        (``hint_conflict_limit``; CP-SAT's own default is 10). The hint stays the model's
        first solution either way. 0 because following a near-optimal hint slowed the proof
        on ta01 (issue 12). Measured through ``solve()`` (2 workers, idle machine, CP-SAT
        seeds 0-2, 10 against 0): ta01 at 60 s 1,240/1,231/1,231 (bounds 1,169-1,177)
        against the optimum 1,231 three times (1,177-1,181); summed over the seeds, ta11
        (60 s) 4,124 against 4,127, la21 (30 s) 3,051 against 3,048, mk06 (30 s) 174
        against 175; ta02-ta05, ta21, mk10, mk13, la40 and Fattahi_setup_19/20 equal
        (``benchmarks/README.md``, "Following the hint in the full model").
    full_model_max_size
        ``auto`` uses the full model only when it has at most this many circuit arcs and
        energy slot literals (beyond it, building alone takes seconds; set by hand).
    full_model_energy_slots, full_model_max_resolution_min
        The full model prices energy at ``energy_resolution_min``, doubled while it would hold
        more than ``full_model_energy_slots`` start-slot literals (operations times slots of
        the horizon), up to ``full_model_max_resolution_min``; the checker and every
        comparison between plans still price each minute. On the default factory (121
        operations, a two-week horizon, hourly prices; 30 s, 2 workers, three seeds) the full
        model's plans cost 1,971-2,005 priced at 30 minutes, 1,811-1,903 at 60, 1,785-1,833
        at 120 and 1,730-1,815 at 240: the coarser model is searched faster, and that gains
        more than its pricing error (up to 5% of the objective at 240) loses.
    displaced_flexible_share
        Share of the remaining time that re-planning against a previous plan with new work
        (operations the previous plan did not have) gives the flexible tabu search from the
        warm start, before the CP-SAT step on the displaced work (where the search applies).
        Without new work (the breakdown) the step alone did as well: seeds 0-5, 2,836-2,935
        with the search first against 2,754-2,951. On the default factory's rush order (weight 15,
        CP-SAT seeds 1-4) 4 s of it reached 2,311-2,342 and the CP-SAT step after it
        2,288-2,342, where the step alone for all 22 s stuck at 2,845-2,981 in about one run
        in five (``benchmarks/README.md``, "Making room first").
    displaced_focus_share
        Share of the remaining time that re-planning against a previous plan (a stability
        weight) gives one CP-SAT step on the work the warm start moved or added and what runs
        beside it, before the other searches (:mod:`planner.scheduling.displaced`). Measured
        on the default factory's breakdown and rush order (weight 20, 27 s of sequencing,
        2 workers, CP-SAT seeds 0-3): the step alone reached 2,921-3,176 and 2,560-3,673
        with 0.4 (the warm starts: 4,391 and 4,408), 3,112-3,938 and 3,059-4,351 with 0.2.
        Whole re-plans (30 s, CP-SAT seeds 0-5, ``benchmarks/README.md``, "More time for the
        settling step"): with 0.8 the breakdown cost 2,613 on average (the weight-0 re-plans
        2,622) against 2,773 with 0.4, the rush order 2,348 against 2,487; the step was
        still improving at 0.4 and the full model after it rarely did.
    restore_share
        Share of the time limit that re-planning against a previous plan keeps back from
        the searches for putting moved operations back where that costs nothing, last
        (:mod:`planner.scheduling.restore`; it gets what the searches leave, at least this).
        Set by hand: on the default factory the step takes well under a second of 30.
    first_plan_share
        When no dispatching rule finds a feasible plan (maximum lags can defeat them), the
        share of the remaining time the full model gets to find one before the neighbourhood
        search improves it (set by hand).
    lns_subproblem_time_s
        Time limit of one neighbourhood sub-problem (set by hand; the search adapts the
        neighbourhood size to what solves within it).
    lns_grow, lns_shrink
        Factor by which the neighbourhood grows after a sub-problem solved to optimality
        fast, and shrinks after one that timed out (set by hand).
    lns_explode_shrink
        Factor by which the neighbourhood shrinks when the chosen operations drag in too many
        others (set by hand).
    lns_equal_reward
        Reward, against 1 for an improvement, of a neighbourhood whose sub-problem was
        accepted without improving (set by hand).
    lns_min_score
        Least score of a neighbourhood operator, so none is ever abandoned (set by hand).
    """

    dispatch_share: float = Field(default=0.1, ge=0, le=1)
    dispatch_rate: float = Field(default=25_000, gt=0)
    dispatch_restarts: int = Field(default=20, ge=0)
    evolve_share: float = Field(default=0.5, ge=0, le=1)
    tabu_share: float = Field(default=0.8, ge=0, le=1)
    tabu_hint_share: float = Field(default=0.3, ge=0, le=1)
    flexible_share: float = Field(default=0.8, ge=0, le=1)
    hybrid_full_model_share: float = Field(default=0.3, ge=0, le=1)
    full_model_hint_conflicts: int = Field(default=0, ge=0)
    full_model_max_size: int = Field(default=20_000, ge=0)
    full_model_energy_slots: int = Field(default=12_000, ge=0)
    full_model_max_resolution_min: int = Field(default=240, ge=1, le=1440)
    displaced_flexible_share: float = Field(default=0.15, ge=0, le=1)
    displaced_focus_share: float = Field(default=0.8, ge=0, le=1)
    restore_share: float = Field(default=0.02, ge=0, le=1)
    first_plan_share: float = Field(default=0.5, ge=0, le=1)
    lns_subproblem_time_s: float = Field(default=0.2, gt=0, le=60)
    lns_grow: float = Field(default=1.1, ge=1, le=10)
    lns_shrink: float = Field(default=1.1, ge=1, le=10)
    lns_explode_shrink: float = Field(default=1.2, ge=1, le=10)
    lns_equal_reward: float = Field(default=0.2, ge=0, le=1)
    lns_min_score: float = Field(default=0.05, gt=0, le=1)


class SolverSettings(Frozen):
    """How the scheduler searches: passed to :func:`planner.solve` next to the problem.

    Parameters
    ----------
    time_limit_s
        Wall-clock budget for the whole solve, model building included.
    workers
        CP-SAT worker threads.
    seed
        Random seed; the same seed and ``workers=1`` give the same schedule.
    strategy
        ``"auto"`` picks the full CP-SAT model (``"cpsat"``) for small job shops and small
        problems that price energy or stability, ``"hybrid"`` (the full model for part of the
        budget, then large-neighbourhood search) for other small problems with machine
        choice, and ``"lns"`` otherwise.
    energy_resolution_min
        Slot length, in minutes, at which the CP-SAT models price energy (the checker always
        prices every minute); the full model coarsens it when its slots would be too many
        (``SearchTuning.full_model_energy_slots``). See
        :mod:`planner.scheduling.cpsat.objective` for the error bound.
    full_model_max_operations
        ``"auto"`` uses the full CP-SAT model up to this many operations.
    lns_max_iterations
        Stop the large-neighbourhood search after this many steps. With ``workers=1`` and a
        fixed seed the search is then reproducible (each step runs on a deterministic budget).
    tabu_max_steps
        Stop the tabu search (the critical-path one on classical job shops, the flexible one
        on other problems it applies to) after this many steps per worker instead of after
        its share of the time limit; it also stops when several restarts in a row find
        nothing better. With ``lns_max_iterations`` a run is then reproducible.
    log_search
        Print CP-SAT's search log.
    tuning
        The search's tuning constants (see :class:`SearchTuning`).
    """

    time_limit_s: float = Field(default=60.0, gt=0)
    workers: int = Field(default=2, ge=1, le=64)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    strategy: Literal["auto", "cpsat", "lns", "hybrid"] = "auto"
    energy_resolution_min: int = Field(default=30, ge=1, le=1440)
    full_model_max_operations: int = Field(default=400, ge=0)
    lns_max_iterations: int | None = Field(default=None, ge=1)
    tabu_max_steps: int | None = Field(default=None, ge=0)
    log_search: bool = False
    tuning: SearchTuning = SearchTuning()

    @property
    def timed_search(self) -> bool:
        """Whether the searches run on the clock alone (no step or iteration cap, which a
        repeatable run sets)."""
        return self.lns_max_iterations is None and self.tabu_max_steps is None

    def with_overrides(self, **values: object) -> SolverSettings:
        """These settings with the given fields replaced (``None`` values are ignored),
        validated again."""
        update = {k: v for k, v in values.items() if v is not None}
        if not update:
            return self
        return SolverSettings.model_validate({**self.model_dump(), **update})


class LotSolverSettings(Frozen):
    """How the lot-sizing MILP is solved: passed to
    :func:`planner.lotsizing.solve_lots` next to the problem.

    Parameters
    ----------
    time_limit_s
        HiGHS time limit per solve, in seconds.
    mip_gap
        Relative MIP gap at which HiGHS stops; the plan is optimal within it.
    backend
        ``"highspy"`` builds the model from arrays (fast); ``"pyomo"`` builds the same model
        in Pyomo (readable).
    """

    time_limit_s: float = Field(default=20.0, gt=0)
    mip_gap: float = Field(default=1e-3, ge=0)
    backend: Literal["highspy", "pyomo"] = "highspy"
