"""The CP-SAT backend: variables, constraints and objective of the scheduling model."""

from planner.scheduling.cpsat.model import ModelOutcome, Placement, SchedulingModel

__all__ = ["ModelOutcome", "Placement", "SchedulingModel"]
