"""Lot sizing: production quantities per product and period as a MILP on HiGHS."""

from planner.lotsizing.aggregate import group_capacity, lot_problem
from planner.lotsizing.model import (
    Demand,
    GroupLoad,
    LotProduct,
    LotSizingData,
    LotSizingProblem,
    Period,
)
from planner.lotsizing.solve import LotPlan, solve_lots
from planner.lotsizing.two_stage import DemandScenarios, sample_scenarios
from planner.model.periods import PlanningPeriod

__all__ = [
    "Demand",
    "DemandScenarios",
    "GroupLoad",
    "LotPlan",
    "LotProduct",
    "LotSizingData",
    "LotSizingProblem",
    "Period",
    "PlanningPeriod",
    "group_capacity",
    "lot_problem",
    "sample_scenarios",
    "solve_lots",
]
