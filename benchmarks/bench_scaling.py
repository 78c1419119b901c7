"""Scaling benchmark: synthetic factories with setups and calendars, 1k to 100k operations.

Each problem (``planner.io.synthetic``: flexible routings over machine groups, sequence-
dependent setups, two shifts a day and weekly maintenance) minimises the makespan, or with
``--objective tardiness`` the weighted tardiness against due dates, or with
``--objective tardiness-energy`` that plus the energy bill (machines draw power, priced per
minute on an hourly tariff). For each size and budget
this records the time to the first feasible schedule (the dispatching rule's), how much better
the final plan is, and its gap to the lower bound (``planner.scheduling.bounds``), plus peak
memory. Each run is a separate process.

    python benchmarks/bench_scaling.py [--objective tardiness|tardiness-energy] [--tag NAME]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import pandas as pd
from results_table import write_table

SIZES = {"1k": (100, 20, 10), "10k": (1000, 100, 10), "100k": (5000, 200, 20)}


OBJECTIVES = {
    "makespan": {"makespan": 1.0, "weighted_tardiness": 0.0, "setup_time": 0.0},
    "tardiness": {"makespan": 0.0, "weighted_tardiness": 1.0, "setup_time": 0.0},
    # the plant's bill beside its lateness: energy priced per minute at day-ahead prices
    "tardiness-energy": {
        "makespan": 0.0,
        "weighted_tardiness": 1.0,
        "setup_time": 0.0,
        "energy_cost": 1.0,
    },
}


def one(size: str, limit: float, seed: int, objective: str) -> dict[str, object]:
    from planner.check import compute_kpis
    from planner.io.synthetic import synthetic_problem
    from planner.scheduling import solve
    from planner.scheduling.bounds import objective_lower_bound
    from planner.scheduling.construct import best_dispatch

    jobs, machines, ops = SIZES[size]
    started = time.perf_counter()
    energy = objective == "tardiness-energy"
    problem = synthetic_problem(
        jobs, machines, ops, seed=seed, energy=energy, due_dates=objective != "makespan"
    )
    weights = problem.objective.model_copy(update=OBJECTIVES[objective])
    data = problem.model_copy(update={"objective": weights}).build()
    build_s = time.perf_counter() - started
    bound = objective_lower_bound(data) or 0.0
    rule_alone = compute_kpis(data, best_dispatch(data, budget=0)[0]).objective
    result = solve(data, time_limit=limit, workers=2, seed=seed)
    first = result.progress[0] if result.progress else None
    value = result.objective
    return {
        "size": size,
        "objective_kind": objective,
        "operations": data.num_operations,
        "machines": data.num_machines,
        "time_limit_s": limit,
        "build_s": round(build_s, 2),
        "first_feasible_s": round(first.time_s, 2) if first else None,
        "rule_alone": rule_alone,
        "dispatch": first.objective if first else None,
        "objective": value,
        "lower_bound": bound,
        "gap_pct": round(100 * (value - bound) / bound, 2) if value and bound > 0 else None,
        "vs_dispatch_pct": (
            round(100 * (first.objective - value) / first.objective, 2)
            if first and value is not None and first.objective
            else None
        ),
        "feasible": result.feasible,
        "runtime_s": round(result.runtime_s, 2),
        "peak_memory_mb": round(result.peak_memory_mb, 1),
        "strategy": result.strategy,
        "evolve_runs": result.stats.get("evolve_runs"),
        "flex_steps": result.stats.get("flex_steps"),
        "lns_iterations": result.stats.get("lns_iterations"),
        "energy_cost": result.kpis.energy_cost if result.kpis else None,
        "weighted_tardiness": result.kpis.total_weighted_tardiness if result.kpis else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1k,10k,100k")
    parser.add_argument("--limits", default="10,60")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tag", default="scaling", help="name of the result files")
    parser.add_argument("--objective", choices=tuple(OBJECTIVES), default="makespan")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one[0], float(args.one[1]), args.seed, args.objective)))
        return
    rows = []
    for size in args.sizes.split(","):
        for limit in args.limits.split(","):
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    size,
                    limit,
                    "--seed",
                    str(args.seed),
                    "--objective",
                    args.objective,
                ],
                capture_output=True,
                text=True,
                timeout=float(limit) * 4 + 600,
            )
            if done.returncode != 0:
                rows.append(
                    {
                        "size": size,
                        "time_limit_s": float(limit),
                        "error": done.stderr.strip().splitlines()[-1],
                    }
                )
            else:
                rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    title = f"Scaling (synthetic, setups and calendars, {args.objective})"
    write_table(pd.DataFrame(rows), args.tag, title)


if __name__ == "__main__":
    main()
