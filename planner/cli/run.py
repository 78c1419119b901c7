"""``planner run``, ``whatif``, ``batch``, ``check`` and ``schema``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from planner.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    count,
    guarded,
    moment,
    print_json,
    seconds,
    seed,
)
from planner.model.errors import InputIssue, InvalidInputError

SCENARIOS = Path(str(resources.files("planner").joinpath("scenarios")))
"""The scenarios shipped inside the package (``scenarios/`` in the repository links here)."""
DEFAULT_SCENARIO = SCENARIOS / "default" / "scenario.yaml"
SCHEMAS = {
    "scenario": ("planner.scenario", "scenario_schema"),
    "plan": ("planner.plan_file", "plan_schema"),
    "lots": ("planner.cli.lots", "lot_problem_schema"),
}
"""What ``planner schema KIND`` prints: the module and function that make each schema."""


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="forecast, size lots and schedule a scenario (the embedded default factory if none)",
        description="Plan a scenario end to end and write plan.json, schedule.csv, lots.csv, "
        "forecast.csv, kpis.json, gantt.html and energy.html.",
    )
    p.add_argument(
        "scenario", nargs="?", type=Path, help="scenario file (default: the embedded factory)"
    )
    p.add_argument(
        "--out",
        type=Path,
        help="output folder (default: out/<scenario name>); refused when it holds anything but "
        "a previous run of the same scenario, unless --force",
    )
    p.add_argument(
        "--force", action="store_true", help="replace --out even if it holds other files"
    )
    p.add_argument(
        "--time-limit",
        type=seconds,
        help="seconds for the whole run, split across forecasting, lot sizing and sequencing "
        "(default: each stage's limit from the scenario)",
    )
    p.add_argument("--seed", type=seed)
    p.add_argument("--workers", type=count)
    p.add_argument(
        "--previous",
        type=Path,
        help="a saved plan.json to start from: its schedule warm-starts this one and moves are "
        "counted in the stability KPIs",
    )
    p.add_argument(
        "--frozen-until",
        type=moment,
        help="with --previous: keep its lots, and its operations that started before this "
        "moment (ISO 8601 with a UTC offset, or minutes from the horizon start) where they are",
    )
    p.add_argument(
        "--actuals",
        type=Path,
        help="with --previous and --frozen-until (now): a CSV of what the shop floor did "
        "(job or order, operation, machine, status done/running/cancelled, actual_start, "
        "actual_end); done and running work stays at its actual times, cancelled work is "
        "removed",
    )
    p.add_argument("--no-charts", action="store_true", help="skip gantt.html and energy.html")
    p.add_argument("--json", action="store_true", help="print the KPIs as JSON")
    p.set_defaults(handler=_run)

    p = sub.add_parser(
        "whatif",
        help="compare a scenario with a changed variant (JSON out)",
        description="Plan BASE and BASE+CHANGE (warm-started from the base) and print their KPIs, "
        'deltas and changed assignments. Without --base, reads {"base": ..., "change": ...} '
        "from standard input.",
    )
    p.add_argument("--base", type=Path)
    p.add_argument("--change", type=Path, help="merge patch or list of named edits (JSON/YAML)")
    p.add_argument("--time-limit", type=seconds, help="seconds for each of the two runs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_whatif)

    p = sub.add_parser(
        "batch",
        help="plan many scenarios, locally or on a Dask cluster",
        description="Plan every scenario into OUT/<name>/ and write OUT/summary.csv. Finished "
        "scenarios are skipped on re-runs; a failing one is recorded and the rest carry on.",
    )
    p.add_argument("scenarios", nargs="+", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--workers", type=count, default=1, help="local worker processes")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--time-limit", type=seconds, help="seconds for each scenario's whole run")
    p.add_argument("--no-charts", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_batch)

    p = sub.add_parser(
        "check",
        help="re-verify a saved plan (or an edited schedule.csv) against its scenario",
        description="Rebuild the plan's scheduling problem from SCENARIO and PLAN.json and check "
        "the schedule; every violation is listed with its operations. Exit 0 when it holds, "
        "1 when it does not, 2 for unreadable input.",
    )
    p.add_argument("scenario", type=Path)
    p.add_argument("plan", type=Path)
    p.add_argument("--schedule", type=Path, help="check this schedule.csv instead of the plan's")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_check)

    p = sub.add_parser(
        "schema",
        help=(
            "print the JSON Schema of scenario files (with 'plan': of plan.json; with 'lots': "
            "of lot-sizing problem files)"
        ),
    )
    p.add_argument("kind", nargs="?", choices=tuple(SCHEMAS), default="scenario")
    p.add_argument("--out", type=Path)
    p.set_defaults(handler=_schema)


def _run(args: argparse.Namespace) -> int:
    from planner.pipeline import plan
    from planner.report.output import check_target, folder_name, plan_files, write_atomic

    with guarded(args.json) as code:
        scenario = args.scenario or DEFAULT_SCENARIO
        if not Path(scenario).is_file():
            raise InvalidInputError(
                [
                    InputIssue(
                        "scenario",
                        f"{scenario} not found; pass a scenario file (examples: {SCENARIOS})",
                    )
                ]
            )
        if args.out is not None:
            check_target(args.out, None, args.force)  # before the work: a foreign folder
        result = plan(
            scenario,
            time_limit=args.time_limit,
            seed=args.seed,
            workers=args.workers,
            previous_plan=args.previous,
            frozen_until=args.frozen_until,
            actuals=args.actuals,
        )
        out = args.out or Path("out") / folder_name(result.scenario)
        check_target(out, result.scenario, args.force)
        write_atomic(
            out,
            plan_files(result, charts=not args.no_charts),
            extra={"status": "ok", "scenario": result.scenario},
        )
        if args.json:
            print_json(
                {
                    "out": str(out),
                    "kpis": result.kpis.model_dump(mode="json"),
                    "late_jobs": result.explain()[:10],
                }
            )
        else:
            _print_summary(result, out)
        code[0] = EXIT_OK if result.feasible else EXIT_FAILED
    return code[0]


def _print_summary(result: Any, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    k = result.kpis.model_dump()
    s = k["schedule"]
    table = Table(title=f"Plan for {result.scenario}", show_header=True)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    rows = [
        ("status", k["status"]),
        ("jobs / operations", f"{k['service']['jobs']} / {k['service']['operations']}"),
        ("on-time jobs", f"{k['service']['on_time_jobs_pct']:.1f} %"),
        ("late jobs (max minutes late)", f"{s['late_jobs']} ({s['max_tardiness']})"),
        ("weighted tardiness", f"{s['total_weighted_tardiness']:.0f}"),
        ("energy", f"{s['energy_cost']:.2f} {result.data.currency} ({s['energy_kwh']:.0f} kWh)"),
        ("peak power", f"{s['peak_power_kw']:.0f} kW"),
        ("changeovers", f"{s['total_setup_time']} min"),
        ("end of last operation", f"{s['makespan']} min"),
    ]
    if k["stability"]:
        moved = k["stability"]
        rows.append(
            (
                "moved against the previous plan",
                f"{moved['moved_operations']} of {moved['compared_operations']} operations",
            )
        )
    if k["lot_sizing"]:
        lot = k["lot_sizing"]
        rows.append(
            (
                "lots (units planned / demanded)",
                f"{lot['batches']} ({lot['units_planned']:.0f} / {lot['units_demanded']:.0f})",
            )
        )
        rows.append(("lot-sizing cost", f"{lot['cost']:.0f}"))
    rows.append(("runtime", f"{k['runtime_s']['total']:.1f} s"))
    for name, value in rows:
        table.add_row(name, str(value))
    console = Console()
    console.print(table)
    console.print(
        f"outputs in {out}/ (plan.json, schedule.csv, lots.csv, forecast.csv, kpis.json, "
        "gantt.html, energy.html)"
    )


def _whatif(args: argparse.Namespace) -> int:
    from planner.whatif import load_change, whatif

    with guarded(args.json) as code:
        time_limit = args.time_limit
        if args.base is None:
            try:
                request = json.loads(sys.stdin.read())
            except json.JSONDecodeError as error:
                raise InvalidInputError(
                    [
                        InputIssue(
                            "stdin", f"malformed JSON request: {error.msg} (line {error.lineno})"
                        )
                    ]
                ) from None
            if not isinstance(request, dict) or "base" not in request or "change" not in request:
                raise InvalidInputError(
                    [InputIssue("stdin", 'the request needs "base" and "change"')]
                )
            base, change = request["base"], request["change"]
            if "time_limit" in request:
                try:
                    time_limit = seconds(str(request["time_limit"]))
                except argparse.ArgumentTypeError as error:
                    raise InvalidInputError([InputIssue("time_limit", str(error))]) from None
        else:
            if args.change is None:
                raise InvalidInputError([InputIssue("--change", "give the change file")])
            base, change = args.base, load_change(args.change)
        result = whatif(base, change, time_limit=time_limit)
        payload = result.to_dict()
        if args.json:
            print_json(payload)
        else:
            print(
                json.dumps(
                    {"delta": payload["delta"], "changed_count": payload["changed_count"]},
                    indent=2,
                    default=str,
                )
            )
        code[0] = EXIT_OK if result.variant.feasible else EXIT_FAILED
    return code[0]


def _batch(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from planner.batch import run_batch

    with guarded(args.json) as code:
        with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("scenarios", total=len(args.scenarios))
            summary = run_batch(
                args.scenarios,
                args.out,
                workers=args.workers,
                scheduler=args.scheduler,
                time_limit=args.time_limit,
                charts=not args.no_charts,
                on_done=lambda row: bar.advance(task),
            )
        failed = int((summary["status"] != "ok").sum())
        if args.json:
            print_json(
                {
                    "out": str(args.out),
                    "scenarios": len(summary),
                    "failed": failed,
                    "summary": summary.to_dict(orient="records"),
                }
            )
        else:
            print(
                summary[
                    ["scenario", "status", "objective", "late_jobs", "energy_cost", "error"]
                ].to_string(index=False)
            )
        code[0] = EXIT_OK if failed == 0 else EXIT_FAILED
    return code[0]


def _check(args: argparse.Namespace) -> int:
    from planner.stages.verify import verify_plan, violations_table

    with guarded(args.json) as code:
        data, report = verify_plan(args.scenario, args.plan, args.schedule)
        table = violations_table(data, report)
        if args.json:
            print_json(
                {"feasible": report.feasible, "violations": table, "kpis": report.kpis.model_dump()}
            )
        elif report.feasible:
            print(f"the plan holds: {data.num_operations} operations, no violation")
        else:
            print(f"{len(table)} violation(s):")
            for row in table:
                print(f"  - {row['kind']}: {row['message']} ({', '.join(row['operations'])})")
        code[0] = EXIT_OK if report.feasible else EXIT_FAILED
    return code[0]


def _schema(args: argparse.Namespace) -> int:
    module, function = SCHEMAS[args.kind]
    schema = getattr(importlib.import_module(module), function)()
    text = json.dumps(schema, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    else:
        print(text)
    return EXIT_OK
