"""The default factory before and after a change of the scheduler: same jobs, same seeds.

``capture`` runs under the *old* code (a worktree of the commit to compare against on
``PYTHONPATH``): it plans that code's default factory, keeps the sequencing problem of the
plan's last round (its jobs, lots included) and solves it again for each seed. ``solve`` runs
under the current code on the kept problem with the same budget and seeds. Both append rows to
``results/<tag>.jsonl``; ``table`` writes the before/after table.

    git worktree add /tmp/before 891bbd0
    PYTHONPATH=/tmp/before python benchmarks/bench_factory_before_after.py capture /tmp/before
    python benchmarks/bench_factory_before_after.py solve
    python benchmarks/bench_factory_before_after.py table
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _row(label: str, seed: int, result: Any) -> dict[str, Any]:
    k = result.kpis
    return {
        "solver": label,
        "seed": seed,
        "objective": round(float(result.objective), 2),
        "weighted_tardiness": k.total_weighted_tardiness,
        "late_jobs": k.late_jobs,
        "changeover_min": k.total_setup_time,
        "energy_cost": round(k.energy_cost, 2),
        "strategy": result.strategy,
    }


def _commit(root: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def capture(tree: Path, seeds: list[int], limit: float, tag: str) -> None:
    import planner
    from planner.model import Problem

    built: list[Any] = []
    original = Problem.build

    def keep(self: Any) -> Any:
        built.append(self)
        return original(self)

    Problem.build = keep  # type: ignore[method-assign]
    planner.plan(tree / "scenarios" / "default" / "scenario.yaml", time_limit=limit)
    problem = built[-1]
    payload = json.loads(problem.model_dump_json())
    payload.pop("solver", None)  # settings lived in the problem before they moved beside it
    (RESULTS / f"{tag}_problem.json").write_text(json.dumps(payload))
    label = f"before ({_commit(tree)})"
    _solve_all(problem, label, seeds, limit, tag)


def solve(seeds: list[int], limit: float, tag: str) -> None:
    from planner.model import Problem

    problem = Problem.model_validate_json((RESULTS / f"{tag}_problem.json").read_text())
    _solve_all(problem, f"after ({_commit(HERE)})", seeds, limit, tag)


def _solve_all(problem: Any, label: str, seeds: list[int], limit: float, tag: str) -> None:
    import planner

    with (RESULTS / f"{tag}.jsonl").open("a") as out:
        for seed in seeds:
            result = planner.solve(problem.build(), time_limit=limit, workers=2, seed=seed)
            row = _row(label, seed, result)
            out.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


def table(tag: str) -> None:
    import pandas as pd
    from results_table import write_table

    rows = [json.loads(line) for line in (RESULTS / f"{tag}.jsonl").read_text().splitlines()]
    frame = pd.DataFrame(rows)
    means = frame.groupby("solver", sort=False).mean(numeric_only=True).round(1).reset_index()
    means["seed"] = "mean"
    write_table(
        pd.concat([frame, means], ignore_index=True),
        tag,
        "The default factory before and after, same jobs and seeds",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("capture", "solve", "table"))
    parser.add_argument("tree", nargs="?", type=Path, help="the old worktree (capture)")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--tag", default="factory_before_after")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.command == "capture":
        if args.tree is None:
            sys.exit("capture needs the old worktree")
        capture(args.tree, seeds, args.time_limit, args.tag)
    elif args.command == "solve":
        solve(seeds, args.time_limit, args.tag)
    else:
        table(args.tag)


if __name__ == "__main__":
    main()
