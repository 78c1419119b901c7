"""Problem data in the planner's language (pydantic v2, frozen) and its compiled index form."""

from planner.model.bom import BillLine, Component
from planner.model.data import ProblemData
from planner.model.energy import EnergyTariff
from planner.model.errors import InputIssue, InvalidInputError
from planner.model.factory import Machine, SetupRule, Unavailability
from planner.model.jobs import ComponentJob, Job, MachineOption, Operation, Pinned
from planner.model.problem import Problem
from planner.model.settings import (
    LotSolverSettings,
    ObjectiveWeights,
    SearchTuning,
    SolverSettings,
)

__all__ = [
    "BillLine",
    "Component",
    "ComponentJob",
    "EnergyTariff",
    "InputIssue",
    "InvalidInputError",
    "Job",
    "LotSolverSettings",
    "Machine",
    "MachineOption",
    "ObjectiveWeights",
    "Operation",
    "Pinned",
    "Problem",
    "ProblemData",
    "SearchTuning",
    "SetupRule",
    "SolverSettings",
    "Unavailability",
]
