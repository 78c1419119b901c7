"""One planning run, as a list of stages::

    scenario ─► files read ─► planning inputs ─► forecast ─► lots ⇄ schedule ─► plan

Each stage is a function in :mod:`planner.stages` with one input and one output type.
:func:`plan` reads the scenario and its files, forecasts, then either plans afresh (lot
sizing and sequencing with feedback, :func:`replan`) or, with a previous plan and a frozen
moment, keeps the previous lots and sequences them again around what already started
(:func:`reschedule`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from planner.demand import PeriodDemand, period_demand
from planner.io.scenario_files import read_scenario_files
from planner.io.tables import read_table
from planner.lotsizing import lot_problem
from planner.model import Job, SolverSettings
from planner.model.errors import InputIssue, InvalidInputError, NoFeasiblePlanError
from planner.model.settings import DEFAULT_STABILITY
from planner.model.time import as_utc
from planner.plans import Plan
from planner.scenario import LoadedScenario, Scenario, load_scenario
from planner.scenario.calendar import minutes
from planner.scheduling import Result
from planner.scheduling.result import ProgressEvent
from planner.stages.actuals import apply_actuals, resolve_actuals
from planner.stages.assemble import Outcome, assemble
from planner.stages.budget import Budget
from planner.stages.components import settled_links
from planner.stages.feedback import Sequencer, plan_with_feedback
from planner.stages.inputs import PlanningInputs, planning_inputs
from planner.stages.jobs import add_lots, new_order_jobs, scenario_jobs
from planner.stages.previous import PreviousPlan
from planner.stages.previous import previous_plan as previous_plan_of
from planner.stages.reschedule import (
    not_before,
    pin_started,
    warm_start_schedule,
    with_previous,
)
from planner.stages.sequence import sequence

ScenarioLike = str | Path | Mapping[str, Any] | Scenario | LoadedScenario
Progress = Callable[[ProgressEvent], None]


def plan(
    scenario: ScenarioLike,
    *,
    time_limit: float | None = None,
    previous_plan: Plan | PreviousPlan | str | Path | None = None,
    frozen_until: datetime | int | None = None,
    actuals: str | Path | pd.DataFrame | None = None,
    seed: int | None = None,
    workers: int | None = None,
    on_progress: Progress | None = None,
) -> Plan:
    """Plan a scenario: forecast demand, size lots, sequence them, check the schedule.

    Parameters
    ----------
    scenario
        A scenario file path, a mapping, a :class:`~planner.scenario.Scenario`, or a loaded one.
    time_limit
        Seconds for the whole run, split across the stages (see
        :class:`~planner.stages.budget.Budget`; the split is in ``timings``). Without it each
        stage gets the limit the scenario sets for it.
    previous_plan
        A plan to warm-start from (a :class:`~planner.plans.Plan`, or the path of a saved
        ``plan.json``); moved operations are counted in the ``stability`` KPIs, and its
        forecast is reused when its inputs are unchanged (in memory only).
    frozen_until
        With ``previous_plan``: operations that started before this moment (a datetime, or
        minutes from the horizon start) stay where they were, and the previous lots are kept
        (rescheduling, not re-planning).
    actuals
        With ``frozen_until`` (now): what the shop floor did, as ``actuals.csv`` or a table
        (see :mod:`planner.stages.actuals`): done and running work is fixed at its actual
        machine and times, cancelled work is removed.
    seed, workers
        Override the scenario's solver settings.

    Raises
    ------
    InvalidInputError
        When the scenario or its data files are invalid (every problem listed).
    NoFeasiblePlanError
        When the input is valid but lot sizing or sequencing found no feasible plan (why, per
        stage).
    """
    budget = Budget(time_limit)
    mark = budget.started
    _check_rescheduling(previous_plan, frozen_until, actuals)
    table = (
        read_table(actuals, "actuals", what="actuals")
        if isinstance(actuals, str | Path)
        else actuals
    )
    previous = previous_plan_of(previous_plan)
    inputs = scenario_inputs(scenario)
    mark = budget.record("setup", mark)
    demand = forecast(inputs, budget, previous)
    budget.record("forecast", mark)
    settings = inputs.scenario.solver.with_overrides(seed=seed, workers=workers)
    if previous is not None and frozen_until is not None:
        return reschedule(
            inputs, demand, previous, frozen_until, settings, budget, on_progress, table
        )
    return replan(inputs, demand, settings, budget, previous, on_progress)


def scenario_inputs(scenario: ScenarioLike) -> PlanningInputs:
    """A scenario loaded and validated, its data files read, as the planning inputs every
    stage works from.

    Raises
    ------
    InvalidInputError
        When the scenario or its data files are invalid (every problem listed).
    """
    loaded = load_scenario(scenario)
    return planning_inputs(loaded.scenario, read_scenario_files(loaded))


def _check_rescheduling(previous_plan: object, frozen_until: object, actuals: object) -> None:
    issues = []
    if frozen_until is not None and previous_plan is None:
        issues.append(
            InputIssue(
                "frozen_until",
                "needs a previous plan to keep (previous_plan, or --previous OLD/plan.json)",
            )
        )
    if actuals is not None and frozen_until is None:
        issues.append(
            InputIssue(
                "actuals",
                "need frozen_until (now) and a previous plan: actuals say what happened to "
                "the previous plan's operations up to now",
            )
        )
    if issues:
        raise InvalidInputError(issues)


def forecast(inputs: PlanningInputs, budget: Budget, previous: PreviousPlan | None) -> PeriodDemand:
    """Demand and safety stock per product and period, from the history and firm orders
    (reusing ``previous``'s forecast when its inputs are unchanged)."""
    s = inputs.scenario
    settings = s.demand.forecast
    limit = budget.forecast_s(settings.time_budget_s)
    if limit != settings.time_budget_s:
        settings = settings.model_copy(update={"time_budget_s": limit})
    return period_demand(
        inputs.products,
        inputs.periods,
        inputs.start,
        inputs.working,
        inputs.files.history,
        s.demand.orders,
        settings,
        reuse=None if previous is None else (previous.forecast_key, previous.forecast_raw),
    )


def replan(
    inputs: PlanningInputs,
    demand: PeriodDemand,
    settings: SolverSettings,
    budget: Budget,
    previous: PreviousPlan | None = None,
    on_progress: Progress | None = None,
) -> Plan:
    """Size lots and sequence them, re-sizing with the capacity the schedule achieved
    (feedback rounds); a ``previous`` plan warm-starts the schedule and the capacity."""
    s = inputs.scenario
    problem = lot_problem(
        inputs.products,
        inputs.machines,
        inputs.periods,
        demand.demand,
        setups=s.factory.setups,
        safety_stock=demand.safety_stock,
        shortage=s.lot_sizing.shortage,
        overtime_cost=s.lot_sizing.overtime_cost,
        safety_stock_penalty=s.lot_sizing.safety_stock_penalty,
    )
    outcome = plan_with_feedback(
        problem,
        lambda lots: scenario_jobs(inputs, lots.lots),
        _sequencer(inputs, settings, previous, on_progress),
        inputs.machines,
        inputs.periods,
        rounds=s.lot_sizing.feedback_rounds,
        settings=s.lot_sizing,
        budget=budget,
        sequencing_s=settings.time_limit_s,
        start_capacity=None if previous is None else previous.lot_capacity,
    )
    final = outcome.final
    if final.result is None and final.plan.feasible:
        why = (
            "lot sizing plans nothing to make: no demand, or every unit is cheaper to backlog "
            "or lose than to make (check demand, backlog_cost and the shortage rule)"
        )
        raise NoFeasiblePlanError([InputIssue("lot_sizing", why)])
    if final.result is None:
        reasons = "; ".join(final.plan.explanation or ("infeasible",))
        raise NoFeasiblePlanError([InputIssue("lot_sizing", f"no lot plan: {reasons}")])
    summaries = tuple(r.summary(k + 1) for k, r in enumerate(outcome.rounds))
    result = Outcome(final.result, final.plan, final.capacity, summaries)
    previous_schedule = None if previous is None else previous.schedule
    return assemble(inputs, demand, result, budget.report(), previous_schedule)


def reschedule(
    inputs: PlanningInputs,
    demand: PeriodDemand,
    previous: PreviousPlan,
    frozen_until: datetime | int,
    settings: SolverSettings,
    budget: Budget,
    on_progress: Progress | None = None,
    actuals: pd.DataFrame | None = None,
) -> Plan:
    """Keep ``previous``'s lots, pin its operations that started before ``frozen_until`` (and
    what ``actuals`` say was done or is running, at its actual times; cancelled work is
    removed), give firm orders it did not know jobs of their own, and sequence the rest again
    from ``frozen_until`` on, starting from its schedule."""
    frozen = (
        minutes(as_utc(frozen_until), inputs.start)
        if isinstance(frozen_until, datetime)
        else int(frozen_until)
    )
    if previous.lots.empty:
        raise InvalidInputError(
            [InputIssue(previous.source, "it has no lots to keep; plan without frozen_until")]
        )
    rush, rush_lots = new_order_jobs(inputs, set(previous.orders))
    jobs = settled_links(_kept_jobs(inputs, previous, frozen, actuals) + not_before(rush, frozen))
    mark = time.perf_counter()
    limit = budget.sequencing_s(settings.time_limit_s, 1, 1)
    result = _sequencer(inputs, settings, previous, on_progress)(jobs, limit, None)
    budget.record("sequencing", mark)
    lots = previous.lots if rush_lots.empty else add_lots(previous.lots, rush_lots)
    lot_plan = previous.lot_plan if rush_lots.empty else None  # the lot plan no longer holds
    outcome = Outcome(result, lot_plan, previous.lot_capacity, lots=lots)
    return assemble(inputs, demand, outcome, budget.report(), previous.schedule)


def _kept_jobs(
    inputs: PlanningInputs, previous: PreviousPlan, frozen: int, actuals: pd.DataFrame | None
) -> list[Job]:
    """The previous lots' jobs: started work pinned, the actuals applied, the rest not before
    ``frozen``."""
    jobs = pin_started(scenario_jobs(inputs, previous.lots), previous.schedule, frozen)
    if actuals is not None:
        happened = resolve_actuals(
            actuals, jobs, previous.schedule, inputs.start, frozen, inputs.machines
        )
        jobs = apply_actuals(jobs, happened)
    return not_before(jobs, frozen)


def _sequencer(
    inputs: PlanningInputs,
    settings: SolverSettings,
    previous: PreviousPlan | None,
    on_progress: Progress | None,
) -> Sequencer:
    """Sequences jobs within a time limit, warm-started from ``previous``'s schedule (whose
    places the stability term prices), else from an earlier feedback round's."""
    start_from = None if previous is None else previous.schedule
    objective = inputs.scenario.objective
    if start_from is not None and objective.stability is None:
        objective = objective.model_copy(update={"stability": DEFAULT_STABILITY})

    def run(jobs: list[Job], limit: float, earlier: pd.DataFrame | None) -> Result:
        hint = start_from if start_from is not None else earlier
        return sequence(
            inputs,
            jobs if start_from is None else with_previous(jobs, start_from),
            settings.with_overrides(time_limit_s=limit),
            objective=objective,
            warm_start=None if hint is None else (lambda data: warm_start_schedule(data, hint)),
            on_progress=on_progress,
        )

    return run
