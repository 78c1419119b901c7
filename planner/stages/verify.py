"""Re-verify a saved plan (or a hand-edited schedule) against its scenario: the check an MES
runs after a manual change, before it releases the plan to the shop floor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.check import CheckReport, check
from planner.io.scenario_files import read_scenario_files
from planner.io.tables import read_table
from planner.model import ProblemData
from planner.scenario import load_scenario
from planner.stages.inputs import planning_inputs
from planner.stages.jobs import scenario_jobs
from planner.stages.previous import from_file
from planner.stages.sequence import scheduling_problem

SCHEDULE_COLUMNS = ("job", "operation", "machine", "start", "end")
"""What an edited schedule must have (``setup_before`` is optional)."""


def verify_plan(
    scenario: str | Path, plan: str | Path, schedule_csv: str | Path | None = None
) -> tuple[ProblemData, CheckReport]:
    """Rebuild the scheduling problem of a saved plan (the scenario's factory and rules, the
    plan's lots) and check the plan's schedule, or ``schedule_csv`` instead (``job,
    operation, machine, start, end`` and optionally ``setup_before``), against it.

    Raises
    ------
    InvalidInputError
        When the scenario, the plan or the schedule cannot be read.
    """
    loaded = load_scenario(scenario)
    inputs = planning_inputs(loaded.scenario, read_scenario_files(loaded))
    saved = from_file(plan)
    data = scheduling_problem(inputs, scenario_jobs(inputs, saved.lots)).build()
    schedule = (
        saved.schedule
        if schedule_csv is None
        else read_table(schedule_csv, str(schedule_csv), SCHEDULE_COLUMNS, "schedule")
    )
    return data, check(data, schedule)


def violations_table(data: ProblemData, report: CheckReport) -> list[dict[str, Any]]:
    """Each violation with the operations it involves, by job and operation id."""
    return [
        {
            **violation.to_dict(),
            "operations": [
                f"{data.job_ids[data.op_job[o]]}/{data.op_ids[o]}" for o in violation.operations
            ],
        }
        for violation in report.violations
    ]
