"""Lot-sizing benchmark: Trigeiro-style capacitated instances at three sizes.

Instances follow the structure of Trigeiro, Thomas & McClain (1989): normally distributed
demand around 100 units, setup times of 10-50 minutes, holding costs of 1-5, setup costs set
from a time between orders (TBO) of 1, 2 or 4 periods (``s = h * d * TBO^2 / 2``), and a
capacity that makes the resource about 85% loaded, setups included.

For each size the model is built in Pyomo and directly in highspy (both timed, in this run),
then solved with HiGHS through the highspy build; on large instances (from
``highs_model.LAGRANGE_MIN_SETUPS`` products times periods) twice in the same run: the MILP
from the greedy start alone (``textbook``), and as the planner does it, with the Lagrangian
bound and its repaired plan first (``lagrangian``):

    python benchmarks/bench_lotsizing.py --time-limit 60
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
from results_table import write_table

from planner.lotsizing import LotSizingData, LotSizingProblem, highs_model, pyomo_model, solve_lots

SIZES = [(20, 20), (100, 52), (500, 52)]


def trigeiro(
    products: int, periods: int, seed: int = 0, utilisation: float = 0.85
) -> LotSizingProblem:
    rng = np.random.default_rng(seed)
    demand = np.maximum(0, rng.normal(100, 35, size=(products, periods))).round()
    demand[:, : max(1, periods // 10)] *= rng.random((products, max(1, periods // 10))) < 0.5
    setup_minutes = rng.uniform(10, 50, products).round()
    holding = rng.uniform(1, 5, products).round(2)
    tbo = rng.choice([1, 2, 4], products)
    setup_cost = (holding * demand.mean(axis=1) * tbo**2 / 2).round()
    load = demand.sum(axis=0).mean() + (setup_minutes / tbo).sum()
    capacity = float(np.ceil(load / utilisation))
    return LotSizingProblem.from_dict(
        {
            "products": [
                {
                    "id": f"P{i}",
                    "loads": [
                        {
                            "group": "R",
                            "minutes_per_unit": 1.0,
                            "setup_minutes": float(setup_minutes[i]),
                        }
                    ],
                    "setup_cost": float(setup_cost[i]),
                    "holding_cost": float(holding[i]),
                    "backlog_cost": float(holding[i] * 20),
                }
                for i in range(products)
            ],
            "periods": [
                {
                    "id": f"T{t}",
                    "start": t * 1440,
                    "end": (t + 1) * 1440,
                    "capacity": {"R": capacity},
                }
                for t in range(periods)
            ],
            "demand": [
                {"product": f"P{i}", "period": f"T{t}", "quantity": float(demand[i, t])}
                for i in range(products)
                for t in range(periods)
                if demand[i, t] > 0
            ],
        }
    )


def _solve(data: LotSizingData, method: str, time_limit: float) -> dict[str, object]:
    """``textbook``: the MILP from the greedy start alone; ``lagrangian``: what the planner
    does on large problems (the Lagrangian bound and its repaired plan first)."""
    saved = highs_model.LAGRANGE_MIN_SETUPS
    if method == "textbook":
        highs_model.LAGRANGE_MIN_SETUPS = 2**62
    try:
        started = time.perf_counter()
        plan = solve_lots(data, time_limit=time_limit, mip_gap=1e-4, backend="highspy")
        total = time.perf_counter() - started
    finally:
        highs_model.LAGRANGE_MIN_SETUPS = saved
    return {
        "method": method,
        "solve_s": round(plan.solve_s, 2),
        "total_s": round(total, 2),
        "termination": plan.termination.value,
        "objective": None if plan.objective is None else round(plan.objective, 1),
        "bound": None if plan.bound is None else round(plan.bound, 1),
        "mip_gap_pct": None if plan.gap is None else round(100 * plan.gap, 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args(argv)
    rows = []
    for products, periods in SIZES:
        for seed in range(args.seeds):
            data = trigeiro(products, periods, seed).build()
            started = time.perf_counter()
            pyomo_model.build(data)
            pyomo_build = time.perf_counter() - started
            started = time.perf_counter()
            highs_model.build(data)
            highs_build = time.perf_counter() - started
            methods = ["textbook"]
            if products * periods >= highs_model.LAGRANGE_MIN_SETUPS:
                methods.append("lagrangian")
            for method in methods:
                row = _solve(data, method, args.time_limit) | {
                    "size": f"{products}x{periods}",
                    "seed": seed,
                    "binaries": products * periods,
                    "pyomo_build_s": round(pyomo_build, 3),
                    "highspy_build_s": round(highs_build, 3),
                    "build_ratio_pyomo_over_highspy": round(pyomo_build / highs_build, 1),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    frame = pd.DataFrame(rows)

    title = f"Lot-sizing benchmark ({args.time_limit:.0f} s per instance)"
    write_table(frame, f"lotsizing_{int(args.time_limit)}s", title)


if __name__ == "__main__":
    main()
