"""Sequencing: dispatching rules, the CP-SAT model, large-neighbourhood search."""

from planner.scheduling.result import ProgressEvent, Result, SolutionStatus, Termination
from planner.scheduling.solve import solve

__all__ = ["ProgressEvent", "Result", "SolutionStatus", "Termination", "solve"]
