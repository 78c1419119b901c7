"""``planner backtest``: what each forecast would have cost the plant."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from planner.cli.common import EXIT_OK, guarded, print_json, seconds, steps
from planner.model.errors import InputIssue, InvalidInputError

if TYPE_CHECKING:
    from planner.backtest import BacktestResult


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "backtest",
        help="value of forecast: plan past months with each forecast and play them against "
        "the demand that came",
        description=(
            "For each of the last K months of the scenario's demand history and each method, "
            "forecast from the history before it, size lots, make the first month and play "
            "it against the demand that came; report realised cost, fill rate and the share "
            "of product-months served on time. 'perfect' knows the demand (the bound)."
        ),
    )
    p.add_argument("scenario", type=Path)
    p.add_argument("--origins", type=steps, default=12, help="months to play (default 12)")
    p.add_argument(
        "--methods",
        help=(
            "comma-separated forecasters, 'two_stage_' and a forecaster, and 'perfect' "
            "(default: combined, neural, seasonal_naive, moving_average, perfect)"
        ),
    )
    p.add_argument("--horizon", type=steps, default=3, help="months each plan looks ahead")
    p.add_argument(
        "--scenarios",
        type=steps,
        default=20,
        help="demand scenarios of the two-stage methods (two_stage_neural, ...)",
    )
    p.add_argument("--forecast-budget", type=seconds, help="seconds per neural fit")
    p.add_argument("--time-limit", type=seconds, default=10.0, help="seconds per lot sizing")
    p.add_argument("--out", type=Path, help="write backtest.csv, summary and backtest.html here")
    p.add_argument("--force", action="store_true", help="replace what --out holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_backtest)


def _backtest(args: argparse.Namespace) -> int:
    from planner.backtest import backtest_scenario
    from planner.backtest.scenario import DEFAULT_METHODS
    from planner.report.output import check_target
    from planner.scenario import load_scenario

    with guarded(args.json) as code:
        given = args.methods.split(",") if args.methods is not None else DEFAULT_METHODS
        methods = [m.strip() for m in given if m.strip()]
        if not methods:
            raise InvalidInputError([InputIssue("--methods", "name at least one method")])
        loaded = load_scenario(args.scenario)
        if args.out is not None:
            check_target(args.out, loaded.scenario.name, args.force)
        result = backtest_scenario(
            loaded,
            origins=args.origins,
            methods=methods,
            horizon=args.horizon,
            forecast_budget_s=args.forecast_budget,
            time_limit_s=args.time_limit,
            scenarios=args.scenarios,
        )
        if args.out is not None:
            _write(args.out, result, loaded.scenario.name)
        if args.json:
            print_json(result.to_dict())
        else:
            print(result.summary.to_string(index=False))
        code[0] = EXIT_OK
    return code[0]


def _write(folder: Path, result: BacktestResult, scenario: str) -> None:
    from planner.report.backtest import backtest_figure
    from planner.report.output import write_atomic

    files = {
        "backtest.csv": result.months.to_csv(index=False),
        "backtest_summary.csv": result.summary.to_csv(index=False),
        "backtest.html": backtest_figure(result.months).to_html(include_plotlyjs=True),
    }
    write_atomic(folder, files, {"scenario": scenario, "kind": "backtest"})
    sys.stderr.write(f"backtest written to {folder}\n")
