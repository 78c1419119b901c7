"""``planner forecast``: train on a history CSV and write quantile forecasts."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from forecasting.names import DEFAULT_MODEL
from planner.cli.common import EXIT_OK, guarded, print_json, seed, steps
from planner.io.tables import read_table
from planner.model.errors import InputIssue, InvalidInputError


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "forecast",
        help="forecast demand quantiles from a history CSV (unique_id, ds, y)",
        description="Train a forecaster on HISTORY.csv and write unique_id, ds, q10, q50, q90.",
    )
    p.add_argument("history", type=Path)
    p.add_argument("--horizon", type=steps, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--quantiles", default="0.1,0.5,0.9", help="comma-separated levels")
    p.add_argument("--season", type=steps, default=1, help="season length (12 for monthly)")
    p.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="combined, neural, seasonal_naive, naive, moving_average, croston, sba, tsb",
    )
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--distribution", choices=("quantile", "negbin"), default="quantile")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_forecast)


def _parse_quantiles(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(q) for q in text.split(",") if q.strip())
    except ValueError:
        raise InvalidInputError(
            [InputIssue("--quantiles", f"not a list of numbers: {text!r}")]
        ) from None


def _forecast(args: argparse.Namespace) -> int:
    from forecasting.models import make_forecaster

    with guarded(args.json) as code:
        quantiles = _parse_quantiles(args.quantiles)
        history = read_table(args.history, str(args.history))
        started = time.perf_counter()
        model = make_forecaster(
            args.model,
            horizon=args.horizon,
            season=args.season,
            seed=args.seed,
            distribution=args.distribution,
            field="--model",
        )
        forecast = model.forecast(history, args.horizon, quantiles)
        forecast.to_csv(args.out, index=False)
        summary = {
            "model": args.model,
            "series": int(forecast["unique_id"].nunique()),
            "horizon": args.horizon,
            "rows": len(forecast),
            "columns": list(forecast.columns),
            "out": str(args.out),
            "runtime_s": round(time.perf_counter() - started, 2),
        }
        if args.json:
            print_json(summary)
        else:
            sys.stderr.write(
                f"{summary['series']} series x {args.horizon} steps written to {args.out} "
                f"({summary['runtime_s']} s, model {args.model})\n"
            )
        code[0] = EXIT_OK
    return code[0]
