"""Stage 5b: sequence a set of jobs on the factory: the scheduling problem from the planning
inputs, solved with the scenario's solver settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from planner.model import Job, ObjectiveWeights, Problem, ProblemData, SolverSettings
from planner.schedule import Schedule
from planner.scheduling import Result, solve
from planner.scheduling.result import ProgressEvent
from planner.stages.inputs import PlanningInputs

WarmStart = Callable[[ProblemData], Schedule | None]
"""Gives a schedule of the problem to start from (or ``None``)."""


def scheduling_problem(
    inputs: PlanningInputs, jobs: Sequence[Job], objective: ObjectiveWeights | None = None
) -> Problem:
    """The scheduling problem of ``jobs`` on the scenario's factory (with the scenario's
    objective unless another is given)."""
    s = inputs.scenario
    return Problem(
        name=s.name,
        horizon_start=inputs.start,
        horizon_minutes=inputs.schedule_minutes,
        machines=inputs.machines,
        jobs=tuple(jobs),
        setups=s.factory.setups,
        tariff=inputs.tariff,
        peak_power_kw=s.factory.peak_power_kw,
        resources=inputs.resources,
        objective=objective or s.objective,
    )


def sequence(
    inputs: PlanningInputs,
    jobs: Sequence[Job],
    settings: SolverSettings,
    *,
    warm_start: WarmStart | None = None,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    objective: ObjectiveWeights | None = None,
) -> Result:
    """Sequence ``jobs`` within ``settings.time_limit_s`` and check the schedule.

    Raises
    ------
    InvalidInputError
        When the jobs do not make a valid problem (every problem listed).
    """
    data = scheduling_problem(inputs, jobs, objective).build()
    initial = warm_start(data) if warm_start is not None else None
    return solve(data, settings, initial=initial, on_progress=on_progress)
