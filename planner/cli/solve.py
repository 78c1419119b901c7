"""``planner solve`` and ``planner solve-instance``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Progress,
    check_output_file,
    count,
    guarded,
    print_json,
    report_issues,
    seconds,
    seed,
)
from planner.io import load_problem_file, read_instance
from planner.io.benchmarks import READERS
from planner.model import Problem, SolverSettings
from planner.scheduling import Result, solve


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "solve-instance",
        help="solve a benchmark instance (job shop or flexible job shop)",
        description="Solve a benchmark instance for makespan and check the schedule.",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--format", choices=tuple(READERS), default="jsp")
    _solver_options(p)
    p.set_defaults(handler=_solve_instance)

    p = sub.add_parser(
        "solve",
        help="solve a problem file (JSON or YAML)",
        description="Solve a full problem file and check the schedule.",
    )
    p.add_argument("problem", type=Path)
    p.add_argument("--schedule-out", type=Path, help="write the schedule as CSV here")
    p.add_argument("--force", action="store_true", help="replace the --schedule-out file")
    _solver_options(p)
    p.set_defaults(handler=_solve_problem)


def _solver_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time-limit", type=seconds, help="seconds (default: the file's, else 60)")
    p.add_argument("--workers", type=count, help="CP-SAT workers (default 2)")
    p.add_argument("--seed", type=seed, help="random seed (default 0)")
    p.add_argument("--strategy", choices=("auto", "cpsat", "lns", "hybrid"), help="search strategy")
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "json", "none"),
        default="auto",
        help="progress display on stderr (json: one JSON line per improvement)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _run(problem: Problem, settings: SolverSettings, args: argparse.Namespace) -> Result:
    settings = settings.with_overrides(
        time_limit_s=args.time_limit, workers=args.workers, seed=args.seed, strategy=args.strategy
    )
    with Progress(args.progress, settings.time_limit_s) as progress:
        return solve(problem, settings, on_progress=progress.callback())


def _finish(result: Result, args: argparse.Namespace, extra: dict[str, object]) -> int:
    if result.issues:
        return report_issues(result.issues, args.json)
    payload = {**extra, **result.to_dict()}
    if args.json:
        print_json(payload)
    else:
        print(f"status     {result.status} ({result.termination.value})")
        if result.kpis is not None:
            k = result.kpis
            print(f"objective  {result.objective}   bound {result.best_bound}")
            print(f"makespan   {k.makespan}   weighted tardiness {k.total_weighted_tardiness}")
            energy = f"{k.energy_cost:.2f} ({k.energy_kwh:.1f} kWh)"
            print(f"energy     {energy}   setups {k.total_setup_time} min")
        print(f"runtime    {result.runtime_s:.2f} s   feasible (checker) {result.feasible}")
    return EXIT_OK if result.feasible else EXIT_FAILED


def _solve_instance(args: argparse.Namespace) -> int:
    with guarded(args.json) as code:
        problem = read_instance(args.file, args.format)
        result = _run(problem, SolverSettings(), args)
        code[0] = _finish(result, args, {"instance": problem.name})
    return code[0]


def _solve_problem(args: argparse.Namespace) -> int:
    with guarded(args.json) as code:
        check_output_file(args.schedule_out, "--schedule-out", args.force)
        problem, settings = load_problem_file(args.problem)
        result = _run(problem, settings, args)
        code[0] = _finish(result, args, {"problem": problem.name})
        if args.schedule_out and result.schedule is not None:
            result.schedule.to_csv(args.schedule_out, index=False)
            sys.stderr.write(f"schedule written to {args.schedule_out}\n")
    return code[0]
