"""Production-plan optimisation: forecast demand, size lots, sequence them, check the plan.

The public API::

    import planner
    plan = planner.plan("scenarios/default/scenario.yaml", time_limit=30)
    plan.schedule, plan.lots, plan.forecast, plan.kpis, plan.explain(), plan.to_json()
    again = planner.load_plan("out/default/plan.json")   # the saved plan, back in memory

Lower-level entry points: :func:`planner.solve` for a scheduling problem,
:func:`planner.lotsizing.solve_lots` for lot sizing, :func:`planner.whatif.whatif` for
what-if comparisons, :func:`planner.batch.run_batch` for many scenarios.

Names are loaded on first use, so ``import planner.model`` stays light (no solver, no torch).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.model import InvalidInputError, Problem
    from planner.pipeline import plan
    from planner.plans import Plan, load_plan
    from planner.scenario import Scenario, load_scenario
    from planner.scheduling import Result, solve

_EXPORTS = {
    "InvalidInputError": "planner.model",
    "Problem": "planner.model",
    "plan": "planner.pipeline",
    "Plan": "planner.plans",
    "load_plan": "planner.plans",
    "Scenario": "planner.scenario",
    "load_scenario": "planner.scenario",
    "Result": "planner.scheduling",
    "solve": "planner.scheduling",
}

__all__ = [
    "InvalidInputError",
    "Plan",
    "Problem",
    "Result",
    "Scenario",
    "load_plan",
    "load_scenario",
    "plan",
    "solve",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
