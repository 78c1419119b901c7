"""Scheduling benchmark: the planner against PyJobShop (CP-SAT) on standard instances.

For every instance of the chosen sets, both solvers get the same time limit and worker count,
one after the other on the same machine, each in its own process. Each result is verified by
the planner's independent checker (PyJobShop's schedule too) and its gap to the best known
upper bound (``bounds.json``) is recorded.

    python benchmarks/bench_scheduling.py --sets taillard --time-limit 60 --workers 2

Writes ``results/scheduling_<tag>.csv`` (one row per instance and solver; a rerun skips rows
already there) and ``results/scheduling_<tag>.md`` (per-instance table and per-set summary).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
INSTANCES = HERE / "instances"
SETS = {
    "taillard": ("jobshop/taillard", "jsp"),
    "lawrence": ("jobshop/lawrence", "jsp"),
    "fisher-thompson": ("jobshop/fisher-thompson", "jsp"),
    "large": ("jobshop/large", "jsp"),
    "brandimarte": ("fjsp/brandimarte", "fjs"),
    "hurink-edata": ("fjsp/hurink-edata", "fjs"),
    "fattahi-setup": ("fjsp-sdst/fattahi-setup", "fjs-sdst"),
}
FIELDS = [
    "set",
    "instance",
    "solver",
    "time_limit",
    "workers",
    "makespan",
    "lower_bound",
    "best_known",
    "gap_pct",
    "status",
    "feasible",
    "runtime_s",
    "peak_memory_mb",
    "error",
]


def natural(name: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def run_planner(path: Path, fmt: str, limit: float, workers: int) -> dict[str, object]:
    cmd = [
        sys.executable,
        "-m",
        "planner.cli",
        "solve-instance",
        str(path),
        "--format",
        fmt,
        "--time-limit",
        str(limit),
        "--workers",
        str(workers),
        "--json",
        "--progress",
        "none",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit * 3 + 120)
    payload = json.loads(done.stdout)
    return {
        "makespan": payload["makespan"],
        "lower_bound": payload["lower_bound"],
        "status": payload["status"],
        "feasible": payload["feasible"],
        "runtime_s": payload["runtime_s"],
        "peak_memory_mb": payload["peak_memory_mb"],
    }


def run_pyjobshop(path: Path, fmt: str, limit: float, workers: int) -> dict[str, object]:
    from planner.check import check
    from planner.io import read_instance

    cmd = [
        sys.executable,
        str(HERE / "peers" / "pyjobshop_peer.py"),
        str(path),
        fmt,
        str(limit),
        str(workers),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit * 3 + 120)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    payload = json.loads(done.stdout)
    data = read_instance(path, fmt).build()
    report = check(data, pd.DataFrame(payload["schedule"]))
    return {
        "makespan": payload["makespan"],
        "lower_bound": payload["lower_bound"],
        "status": payload["status"],
        "feasible": report.feasible,
        "runtime_s": round(payload["runtime_s"], 3),
        "peak_memory_mb": round(payload["peak_memory_mb"], 1),
    }


RUNNERS = {"planner": run_planner, "pyjobshop": run_pyjobshop}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="taillard,lawrence,brandimarte,hurink-edata")
    parser.add_argument("--instances", default="", help="regex on instance names")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--solvers", default="planner,pyjobshop")
    parser.add_argument("--tag", default=None, help="name of the result files")
    args = parser.parse_args(argv)
    tag = args.tag or f"{args.sets.replace(',', '-')}_{int(args.time_limit)}s_w{args.workers}"
    out_csv = HERE / "results" / f"scheduling_{tag}.csv"
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out_csv.exists():
        for row in csv.DictReader(out_csv.open()):
            done.add((row["set"], row["instance"], row["solver"]))  # edata reuses la names
    new_file = not out_csv.exists()
    with out_csv.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new_file:
            writer.writeheader()
        for name in args.sets.split(","):
            folder, fmt = SETS[name]
            known = INSTANCES / folder / "bounds.json"  # FJSP-SDST has no published bounds
            bounds = json.loads(known.read_text()) if known.exists() else {}
            files = sorted(
                (p for p in (INSTANCES / folder).iterdir() if p.suffix in (".txt", ".fjs")),
                key=lambda p: natural(p.stem),
            )
            for path in files:
                if args.instances and not re.search(args.instances, path.stem):
                    continue
                best = bounds.get(path.stem, {}).get("upper_bound")
                for solver in args.solvers.split(","):
                    if (name, path.stem, solver) in done:
                        continue
                    row: dict[str, object] = {
                        "set": name,
                        "instance": path.stem,
                        "solver": solver,
                        "time_limit": args.time_limit,
                        "workers": args.workers,
                        "best_known": best,
                    }
                    try:
                        row.update(RUNNERS[solver](path, fmt, args.time_limit, args.workers))
                        if best and row.get("makespan") is not None:
                            row["gap_pct"] = round(100 * (float(row["makespan"]) - best) / best, 3)  # type: ignore[arg-type]
                    except Exception as error:  # record and carry on
                        row["error"] = f"{type(error).__name__}: {error}"[:300]
                    writer.writerow(row)
                    handle.flush()
                    print(json.dumps(row), flush=True)
    write_markdown(out_csv)


def write_markdown(out_csv: Path) -> Path:
    frame = pd.read_csv(out_csv)
    lines = [f"# Scheduling benchmark `{out_csv.stem}`", ""]
    summary = (
        frame.groupby(["set", "solver"])
        .agg(
            instances=("instance", "count"),
            mean_gap_pct=("gap_pct", "mean"),
            feasible=("feasible", "sum"),
            mean_runtime_s=("runtime_s", "mean"),
            max_memory_mb=("peak_memory_mb", "max"),
        )
        .round(2)
        .reset_index()
    )
    lines += ["## Summary", "", summary.to_markdown(index=False), ""]
    # an instance without a best known value keeps its row (pivot_table drops missing keys)
    known = frame.assign(best_known=frame["best_known"].fillna("-"))
    wide = known.pivot_table(
        index=["set", "instance", "best_known"], columns="solver", values="makespan"
    ).reset_index()
    lines += ["## Per instance (makespan)", "", wide.to_markdown(index=False), ""]
    md = out_csv.with_suffix(".md")
    md.write_text("\n".join(lines))
    return md


if __name__ == "__main__":
    main()
