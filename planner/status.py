"""Solver-neutral status: why a solver stopped, kept apart from how good its answer is."""

from __future__ import annotations

from enum import StrEnum


class Termination(StrEnum):
    """Why the solver stopped."""

    OPTIMAL = "optimal"
    """It proved the returned plan optimal (within the requested gap)."""
    TIME_LIMIT = "time_limit"
    """It ran out of time (a plan may still have been found)."""
    ITERATION_LIMIT = "iteration_limit"
    """It made the steps it was allowed (``lns_max_iterations``) before the time ran out."""
    INFEASIBLE = "infeasible"
    """It proved that no plan satisfies the constraints."""
    INVALID_INPUT = "invalid_input"
    """The input was rejected before solving."""
    INTERRUPTED = "interrupted"
    """A callback asked it to stop."""
    UNKNOWN = "unknown"
    """It stopped for another reason without a proof."""


class SolutionStatus(StrEnum):
    """How good the returned plan is."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    NO_SOLUTION = "no_solution"
