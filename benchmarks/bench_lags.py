"""Time lags, transfer batches and operators: synthetic factories at 1k and 10k operations.

Each problem is :func:`planner.io.synthetic.synthetic_problem` with ``lags=True`` (a fifth of
the steps wait 30-240 min after the step before, a tenth must start within 8 hours of it, a
fifth overlap it in transfer batches), sequence-dependent setups, makespan; with
``--operators`` every operation also needs one operator of a pool (60% of the machines on
the early shift, 40% on the late one, none at night; without calendars half the machines at
any time); with ``--components`` every fourth job assembles what the one or two jobs before
it make (its first step 30-120 min after they end). Two settings:

* ``factory``: with the two-shift calendars and maintenance. The planner alone (PyJobShop has
  no machine calendars): time to the first checked plan, the plan after the budget, the
  600-s reference with ``--reference``, peak memory.
* ``no-calendar``: the same without calendars, the planner and PyJobShop (CP-SAT backend,
  ``benchmarks/peers/pyjobshop_peer.py``) on the same problem file with the same budget and
  workers, in the same run; both plans go through the planner's checker.

Each run is a separate process, one at a time.

    python benchmarks/bench_lags.py [--sizes 1k,10k] [--limit 60] [--reference] [--operators]
                                    [--components] [--tag NAME]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from results_table import write_table

HERE = Path(__file__).resolve().parent
SIZES = {"1k": (100, 20, 10), "10k": (1000, 100, 10)}
OBJECTIVE = {"makespan": 1.0, "weighted_tardiness": 0.0, "setup_time": 0.0, "energy_cost": 0.0}


def problem(size: str, calendars: bool, seed: int, operators: bool, components: bool):  # type: ignore[no-untyped-def]
    from planner.io.synthetic import synthetic_problem

    jobs, machines, ops = SIZES[size]
    made = synthetic_problem(
        jobs, machines, ops, seed=seed, energy=False, due_dates=False, calendars=calendars,
        lags=True, operators=operators, components=components,
    )  # fmt: skip
    return made.model_copy(update={"objective": made.objective.model_copy(update=OBJECTIVE)})


def planner_run(
    size: str, setting: str, limit: float, seed: int, operators: bool, components: bool
) -> dict[str, object]:
    from planner.scheduling import solve

    data = problem(size, setting == "factory", seed, operators, components).build()
    result = solve(data, time_limit=limit, workers=2, seed=seed)
    first = result.progress[0] if result.progress else None
    return {
        "solver": "planner",
        "first_feasible_s": round(first.time_s, 2) if first else None,
        "first_plan": first.objective if first else None,
        "makespan": result.objective,
        "lower_bound": result.best_bound,
        "feasible": result.feasible,
        "runtime_s": round(result.runtime_s, 2),
        "peak_memory_mb": round(result.peak_memory_mb, 1),
        "strategy": result.strategy,
        "max_lags": sum(x is not None for x in data.op_max_lag),
    }


def pyjobshop_run(
    size: str, limit: float, seed: int, operators: bool, components: bool
) -> dict[str, object]:
    from planner.check import check

    made = problem(size, False, seed, operators, components)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "problem.json"
        path.write_text(made.model_dump_json())
        cmd = [sys.executable, str(HERE / "peers" / "pyjobshop_peer.py"), str(path), "problem"]
        started = time.perf_counter()
        done = subprocess.run(
            [*cmd, str(limit), "2"], capture_output=True, text=True, timeout=limit * 4 + 600
        )
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        return {"solver": "pyjobshop", "error": last, "runtime_s": time.perf_counter() - started}
    payload = json.loads(done.stdout)
    report = check(made.build(), pd.DataFrame(payload["schedule"]))
    return {
        "solver": "pyjobshop",
        "makespan": payload["makespan"] if report.feasible else None,
        "lower_bound": payload["lower_bound"],
        "feasible": report.feasible,
        "runtime_s": round(payload["runtime_s"], 2),
        "peak_memory_mb": round(payload["peak_memory_mb"], 1),
        "status": payload["status"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1k,10k")
    parser.add_argument("--limit", type=float, default=60.0)
    parser.add_argument("--reference", action="store_true", help="add 600-s planner runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--operators", action="store_true", help="every operation needs one")
    parser.add_argument("--components", action="store_true", help="a bill of materials")
    parser.add_argument("--tag", default="lags_60s", help="name of the result files")
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    flags = (args.operators, args.components)
    if args.one:
        solver, size, setting, limit = args.one
        if solver == "planner":
            row = planner_run(size, setting, float(limit), args.seed, *flags)
        else:
            row = pyjobshop_run(size, float(limit), args.seed, *flags)
        print(json.dumps(row))
        return
    runs = []
    for size in args.sizes.split(","):
        runs.append(("planner", size, "factory", args.limit))
        if args.reference:
            runs.append(("planner", size, "factory", 600.0))
        runs += [("planner", size, "no-calendar", args.limit)]
        runs += [("pyjobshop", size, "no-calendar", args.limit)]
    rows = []
    for solver, size, setting, limit in runs:
        cmd = [sys.executable, __file__, "--one", solver, size, setting, str(limit)]
        cmd += ["--operators"] if args.operators else []
        cmd += ["--components"] if args.components else []
        done = subprocess.run(
            [*cmd, "--seed", str(args.seed)], capture_output=True, text=True,
            timeout=limit * 5 + 900,
        )  # fmt: skip
        head = {"size": size, "setting": setting, "time_limit_s": limit}
        if done.returncode != 0:
            rows.append(head | {"solver": solver, "error": done.stderr.strip()[-300:]})
        else:
            rows.append(head | json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    title = (
        f"Time lags and transfer batches{' with operators' if args.operators else ''}"
        f"{' and a bill of materials' if args.components else ''} (synthetic, setups, makespan)"
    )
    write_table(pd.DataFrame(rows), args.tag, title)


if __name__ == "__main__":
    main()
