"""Lot sizing: production quantities per product and period as a MILP on HiGHS."""

from planner.lotsizing.handoff import (
    PlanningPeriod,
    achieved_capacity,
    group_capacity,
    lot_problem,
    lots_to_jobs,
    plan_with_feedback,
)
from planner.lotsizing.model import (
    Demand,
    GroupLoad,
    LotProduct,
    LotSizingData,
    LotSizingProblem,
    Period,
)
from planner.lotsizing.solve import LotPlan, solve_lots

__all__ = [
    "Demand",
    "GroupLoad",
    "LotPlan",
    "LotProduct",
    "LotSizingData",
    "LotSizingProblem",
    "Period",
    "PlanningPeriod",
    "achieved_capacity",
    "group_capacity",
    "lot_problem",
    "lots_to_jobs",
    "plan_with_feedback",
    "solve_lots",
]
