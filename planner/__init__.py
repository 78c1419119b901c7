"""Production-plan optimisation: forecast demand, size lots, sequence them, check the plan.

The public API::

    import planner
    plan = planner.plan("scenarios/default/scenario.yaml", time_limit=30)
    plan.schedule, plan.lots, plan.forecast, plan.kpis, plan.explain(), plan.to_json()

Lower-level entry points: :func:`planner.scheduling.solve` for a scheduling problem,
:func:`planner.lotsizing.solve_lots` for lot sizing, :func:`planner.whatif.whatif` for
what-if comparisons, :func:`planner.batch.run_batch` for many scenarios.
"""

from planner.check import check
from planner.model import InvalidInputError, Problem
from planner.pipeline import plan
from planner.plan import Plan
from planner.scenario import Scenario, load_scenario
from planner.scheduling import Result, solve

__all__ = [
    "InvalidInputError",
    "Plan",
    "Problem",
    "Result",
    "Scenario",
    "check",
    "load_scenario",
    "plan",
    "solve",
]
__version__ = "0.1.0"
