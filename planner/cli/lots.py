"""``planner lots``: the lot-sizing stage alone, on a lot-sizing problem file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import Field

from planner.cli.common import (
    EXIT_OK,
    check_output_file,
    guarded,
    print_json,
    seconds,
    seed,
)
from planner.io import read_with_solver_section
from planner.lotsizing import LotPlan, LotSizingProblem, solve_lots
from planner.model import LotSolverSettings
from planner.model.errors import InputIssue, NoFeasiblePlanError


class LotSizingFile(LotSizingProblem):
    """What a lot-sizing problem file holds: the problem, and how to solve it."""

    solver: LotSolverSettings = Field(
        default_factory=LotSolverSettings, description="how to solve it (optional)"
    )


def load_lot_problem_file(path: str | Path) -> tuple[LotSizingProblem, LotSolverSettings]:
    """Read a lot-sizing problem file (:class:`~planner.lotsizing.LotSizingProblem`, JSON or
    YAML) and the settings of its optional ``solver`` section
    (:class:`~planner.model.LotSolverSettings`). Every problem in both, references between
    products, periods and demand included, is reported at once.

    Raises
    ------
    InvalidInputError
    """
    return read_with_solver_section(path, _checked, LotSolverSettings, "lot-sizing problem")


def _checked(raw: dict[str, Any]) -> LotSizingProblem:
    problem = LotSizingProblem.from_dict(raw)
    problem.build()  # unknown products or periods, safety-stock lengths
    return problem


def lot_problem_schema() -> dict[str, Any]:
    """The JSON Schema of lot-sizing problem files (``planner schema lots``)."""
    schema = LotSizingFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Lot-sizing problem"
    return schema


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "lots",
        help="solve a lot-sizing problem file (JSON or YAML)",
        description=(
            "Size production lots per product and period (the LotSizingProblem of "
            "'planner schema lots') and print status, cost, bound, gap and runtime."
        ),
    )
    p.add_argument("problem", type=Path)
    p.add_argument("--time-limit", type=seconds, help="seconds (default: the file's, else 20)")
    p.add_argument("--mip-gap", type=_gap, help="relative gap at which to stop (default 0.001)")
    p.add_argument("--backend", choices=("highspy", "pyomo"), help="model builder")
    p.add_argument("--seed", type=seed, help="HiGHS random seed (default 0)")
    p.add_argument("--lots-out", type=Path, help="write the lots (product x period) as CSV here")
    p.add_argument("--force", action="store_true", help="replace the --lots-out file")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(handler=_lots)


def _gap(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a relative gap; give 0 to below 1")
    return value


def _lots(args: argparse.Namespace) -> int:
    with guarded(args.json) as code:
        check_output_file(args.lots_out, "--lots-out", args.force)
        problem, settings = load_lot_problem_file(args.problem)
        plan = solve_lots(
            problem,
            settings,
            time_limit=args.time_limit,
            mip_gap=args.mip_gap,
            backend=args.backend,
            seed=args.seed or 0,
        )
        if not plan.feasible:
            reasons = plan.explanation or (f"HiGHS stopped ({plan.termination.value})",)
            raise NoFeasiblePlanError([InputIssue("lot_sizing", why) for why in reasons])
        _print(plan, args.json)
        if args.lots_out is not None and plan.lots is not None:
            plan.lots.to_csv(args.lots_out, index=False)
            sys.stderr.write(f"lots written to {args.lots_out}\n")
        code[0] = EXIT_OK
    return code[0]


def _print(plan: LotPlan, as_json: bool) -> None:
    if as_json:
        print_json({"status": plan.solution_status.value, **plan.to_dict()})
        return
    gap = "-" if plan.gap is None else f"{100 * plan.gap:.2f}%"
    print(f"status     {plan.solution_status.value} ({plan.termination.value})")
    print(f"cost       {plan.objective:,.2f}   bound {plan.bound}   gap {gap}")
    for name, value in plan.costs.items():
        print(f"  {name:<18} {value:,.2f}")
    print(f"batches    {len(plan.batches())}")
    for entry in plan.shortfalls:
        what = "short" if entry["kind"] == "shortage" else "below safety stock"
        span = entry["from"] if entry["from"] == entry["to"] else f"{entry['from']}-{entry['to']}"
        print(f"{entry['product']} {what} by up to {entry['units']:g} in {span}:")
        for reason in entry["reasons"]:
            print(f"  - {reason}")
    print(f"runtime    build {plan.build_s:.2f} s, solve {plan.solve_s:.2f} s ({plan.backend})")
