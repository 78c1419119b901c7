"""Default-factory benchmarks: the energy/lateness trade-off, and warm against cold what-ifs.

``pareto``: plans the default week once (forecast, lots), then sequences the same jobs with
the energy weight at 0, 0.25, 1, 4 and 16 (lateness and changeover weights fixed), in
increasing order, each starting from the previous weight's schedule (a continuation, so that
neighbouring points differ by what the weight buys rather than by search noise), and records
energy cost, end of the last operation, weighted tardiness and changeovers, all from the
checker.

``stability``: for the machine-breakdown and rush-order what-ifs, reschedules the changed
week from the base plan at the moment of the change (Tuesday 06:00, when the machine breaks
and the rush order arrives: the base's lots kept, started work pinned, the rush order a job
of its own) with each stability weight (``objective.stability``), same budget, and reports
the share of the operations the change does not touch that move anyway (another machine or
another start; untouched: in both plans, not started, not in the broken machine's window)
and the objective without the stability term, against the reschedule with weight 0. The
same for the week unchanged: what a re-plan gains by searching the base's week again.

``whatif``: for a machine breakdown, plans the variant cold (from scratch) and warm (from the
base plan, as ``planner whatif`` does), same budget, and reports how fast each reaches its
quality.

    python benchmarks/bench_factory.py pareto --time-limit 20
    python benchmarks/bench_factory.py whatif --time-limit 20
    python benchmarks/bench_factory.py stability --time-limit 30 --weights 0,20,100
    python benchmarks/bench_factory.py stability --time-limit 30 --polish 90 --tolerances 0
    python benchmarks/bench_factory.py stability --time-limit 30 --polish 90 --tolerances 0 \
        --save-base /tmp/base.json --whatifs machine_breakdown --seeds 0,1 --tag NAME
    python benchmarks/bench_factory.py stability --base /tmp/base.json ...

With ``--save-base`` the (polished) base plan is written to a new file, and ``--base`` reads
one back instead of planning it, so that weights, seeds and commits compare on one base week.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
from results_table import write_table

import planner
from planner.stages.reschedule import stability_kpis, warm_start_schedule
from planner.whatif import apply_change, load_change

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT = ROOT / "scenarios" / "default" / "scenario.yaml"
NOW = "2024-03-05T06:00:00+01:00"
"""When the stability benchmark's machine breaks and its rush order arrives."""


def pareto(time_limit: float, weights: list[float]) -> pd.DataFrame:
    """Plan the default week once (forecast, lots); then sequence the same jobs with each
    energy weight, in increasing order, each from the previous weight's schedule."""
    base = planner.plan(DEFAULT, time_limit=time_limit)
    data = base.data
    assert data is not None and base.result is not None
    rows = []
    start = base.result.assignment
    for weight in sorted(weights):
        objective = data.objective.model_copy(update={"energy_cost": weight})
        weighted = dataclasses.replace(data, objective=objective)
        started = time.perf_counter()
        # continuation: each weight starts from the previous weight's plan, so a point differs
        # from its neighbour only where pricing energy pays under the new weight
        result = planner.solve(weighted, time_limit=time_limit, initial=start)
        start = result.assignment
        assert result.kpis is not None
        k = result.kpis
        rows.append(
            {
                "energy_weight": weight,
                "energy_cost_usd": round(k.energy_cost, 2),
                "energy_kwh": round(k.energy_kwh, 1),
                "end_of_last_operation_h": round(k.makespan / 60, 1),
                "weighted_tardiness": k.total_weighted_tardiness,
                "late_jobs": k.late_jobs,
                "changeover_min": k.total_setup_time,
                "peak_kw": round(k.peak_power_kw, 1),
                "runtime_s": round(time.perf_counter() - started, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    table = pd.DataFrame(rows)
    title = (
        f"Energy against lateness on the default factory ({time_limit:.0f} s per weight, same "
        "jobs, each weight from the previous weight's plan)"
    )
    write_table(table, "factory_pareto", title)
    return table


def _reach(result: Any, target: float) -> float | None:
    """Seconds into the final sequencing run until the objective was within 1% of ``target``."""
    for event in result.progress:
        if event.objective <= target * 1.01 + 1e-9:
            return round(float(event.time_s), 2)
    return None


def whatif_timing(time_limit: float, change_file: Path) -> pd.DataFrame:
    """Plan the base, then the changed scenario cold and warm (from the base, as ``planner
    whatif`` does); then, to separate the warm start from everything else, sequence the cold
    variant's own jobs once more from scratch and once from the base's schedule."""
    base_loaded = planner.load_scenario(DEFAULT)
    base = planner.plan(base_loaded, time_limit=time_limit)
    raw = apply_change(base_loaded.raw(), load_change(change_file))
    variant = planner.load_scenario(raw, base_dir=base_loaded.base_dir)
    rows = []
    plans = {}
    for mode in ("cold", "warm"):
        started = time.perf_counter()
        result = planner.plan(
            variant, time_limit=time_limit, previous_plan=base if mode == "warm" else None
        )
        plans[mode] = result
        rows.append(
            {
                "run": f"whole plan, {mode}",
                "runtime_s": round(time.perf_counter() - started, 1),
                "forecast_s": result.timings.get("forecast"),
                "first_objective": _first(result.result),
                "final_objective": round(result.kpis.objective or 0.0, 2),
                "feedback_rounds": len(result.rounds),
                **_moved(base, result.schedule),
                "result": result.result,
            }
        )
    # same jobs: the cold variant's problem, sequenced from scratch and from the base's plan
    data = plans["cold"].data
    assert data is not None
    for mode in ("cold", "warm"):
        initial = warm_start_schedule(data, base.schedule) if mode == "warm" else None
        started = time.perf_counter()
        solved = planner.solve(data, time_limit=time_limit, initial=initial)
        rows.append(
            {
                "run": f"sequencing only (same jobs), {mode}",
                "runtime_s": round(time.perf_counter() - started, 1),
                "forecast_s": None,
                "feedback_rounds": None,
                "first_objective": _first(solved),
                "final_objective": round(solved.objective or 0.0, 2),
                **_moved(base, solved.schedule),
                "result": solved,
            }
        )
    for pair in (rows[:2], rows[2:]):
        best = min(r["final_objective"] for r in pair)
        for row in pair:
            row["s_to_within_1pct_of_best"] = _reach(row.pop("result"), best)
            print(json.dumps(row), flush=True)
    table = pd.DataFrame(rows)
    title = f"What-if ({change_file.name}): warm start against a cold run, {time_limit:.0f} s"
    write_table(table, "factory_whatif", title)
    return table


def _moved(base: planner.Plan, schedule: pd.DataFrame | None) -> dict[str, Any]:
    """Operations moved against the base plan, and how many the two share."""
    if schedule is None:
        return {"moved_operations": None, "compared_operations": None}
    kpis = stability_kpis(base.schedule, schedule)
    return {
        "moved_operations": kpis.moved_operations,
        "compared_operations": kpis.compared_operations,
    }


def _first(result: Any) -> float | None:
    return round(result.progress[0].objective, 2) if result.progress else None


@dataclasses.dataclass(frozen=True)
class BaseWeek:
    """Where the stability benchmark's base plan comes from: planned (and polished for
    ``polish_s``), then saved to ``save`` if given; or read from ``load``."""

    polish_s: float = 0.0
    load: Path | None = None
    save: Path | None = None


def stability(
    time_limit: float,
    weights: list[float],
    changes: list[Path | None],
    tolerances: list[int],
    base_week: BaseWeek | None = None,
    seeds: tuple[int, ...] = (0,),
    tag: str = "factory_stability",
) -> pd.DataFrame:
    """Moved untouched operations and objective cost per stability weight and what-if
    (``None``: the base scenario unchanged, which shows what a re-plan finds by searching
    the same week longer), for each of ``seeds``. With ``polish_s``, the base week is
    sequenced again for that long from its own plan (same lots, nothing pinned, no stability
    weight) before the what-ifs, as a weekly plan that had time to converge."""
    base_loaded = planner.load_scenario(DEFAULT)
    base = _base_week(base_loaded, time_limit, base_week or BaseWeek())
    now = pd.Timestamp(NOW)
    frozen = int((now - pd.Timestamp(base.horizon_start)) / pd.Timedelta(minutes=1))
    rows = []
    for change_file in changes:
        change = [] if change_file is None else load_change(change_file)
        name = "unchanged" if change_file is None else change_file.stem
        raw = apply_change(base_loaded.raw(), change)
        for tolerance, weight, seed in itertools.product(tolerances, weights, seeds):
            weighted = copy.deepcopy(raw)
            weighted.setdefault("objective", {})["stability"] = weight
            weighted["objective"]["stability_tolerance_min"] = tolerance
            variant = planner.plan(
                planner.load_scenario(weighted, base_dir=base_loaded.base_dir),
                time_limit=time_limit,
                previous_plan=base,
                frozen_until=now.to_pydatetime(),
                seed=seed,
            )
            untouched, moved = _untouched_moves(base, variant, change, frozen, tolerance)
            k = variant.kpis
            rows.append(
                {
                    "what-if": name,
                    "stability weight": weight,
                    "tolerance min": tolerance,
                    "seed": seed,
                    "untouched operations": untouched,
                    "moved": moved,
                    "moved %": round(100 * moved / max(1, untouched), 1),
                    "objective without stability": round(
                        (k.objective or 0.0) - weight * k.schedule.moved_operations, 1
                    ),
                    "weighted tardiness": round(k.schedule.total_weighted_tardiness, 1),
                    "energy cost": round(k.schedule.energy_cost, 1),
                    "changeover min": k.schedule.total_setup_time,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    table = pd.DataFrame(rows)
    keys = ["what-if", "tolerance min", "seed"]
    free = table[table["stability weight"] == 0].set_index(keys)["objective without stability"]
    table["vs weight 0 %"] = [
        round(100 * (row["objective without stability"] / free[tuple(row[keys])] - 1), 2)
        if tuple(row[keys]) in free.index
        else None
        for _, row in table.iterrows()
    ]
    title = f"Stability weight against objective, default factory, {time_limit:.0f} s per plan"
    write_table(table, tag, title)
    return table


def _base_week(loaded: Any, time_limit: float, week: BaseWeek) -> planner.Plan:
    """The base plan: read back from ``week.load``, or planned (and polished), then saved to
    ``week.save`` (a new file: an existing one is not overwritten)."""
    if week.load is not None:
        return planner.load_plan(week.load)
    if week.save is not None and week.save.exists():
        raise SystemExit(f"{week.save} exists; choose a new file for --save-base")
    base = planner.plan(loaded, time_limit=time_limit)
    if week.polish_s:
        base = _polished(loaded, base, week.polish_s)
    if week.save is not None:
        week.save.write_text(base.to_json())
    return base


def _polished(loaded: Any, base: planner.Plan, seconds: float) -> planner.Plan:
    """``base`` re-sequenced from its own schedule for ``seconds``: its lots kept, nothing
    pinned (frozen at the horizon's start), no stability weight."""
    raw = copy.deepcopy(loaded.raw())
    raw.setdefault("objective", {})["stability"] = 0
    again = planner.plan(
        planner.load_scenario(raw, base_dir=loaded.base_dir),
        time_limit=seconds,
        previous_plan=base,
        frozen_until=0,
    )
    better = (again.kpis.objective or 0.0) < (base.kpis.objective or 0.0)
    print(json.dumps({"base": base.kpis.objective, "polished": again.kpis.objective}), flush=True)
    return again if better else base


def _untouched_moves(
    base: planner.Plan, variant: planner.Plan, change: Any, frozen: int, tolerance: int
) -> tuple[int, int]:
    """Operations in both plans, not started at ``frozen`` and not forced to move by the
    change (for a breakdown: work on the broken machine from the window's start on, and what
    follows it in its job), and how many of them moved (another machine, or a start more than
    ``tolerance`` minutes away)."""
    keys = ["job", "operation"]
    both = base.schedule.merge(variant.schedule, on=keys, suffixes=("_base", "_new"))
    same = both["start_base"] >= frozen
    start = pd.Timestamp(base.horizon_start)
    for edit in change:
        if edit.get("edit") == "machine_down":
            lo = (pd.Timestamp(edit["start"]) - start) / pd.Timedelta(minutes=1)
            hit = (both["machine_base"] == edit["machine"]) & (both["end_base"] > lo)
            first = both[hit].groupby("job")["start_base"].min()
            after = both["job"].map(first)
            same &= ~(after.notna() & (both["start_base"] >= after))
    untouched = both[same]
    moved = (untouched["machine_base"] != untouched["machine_new"]) | (
        (untouched["start_base"] - untouched["start_new"]).abs() > tolerance
    )
    return len(untouched), int(moved.sum())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=("pareto", "whatif", "stability"))
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--tolerances", default="0,60", help="stability tolerances, minutes")
    parser.add_argument(
        "--polish", type=float, default=0.0, help="stability: seconds to re-sequence the base"
    )
    parser.add_argument("--weights", default="0,0.25,1,4,16")
    parser.add_argument("--seeds", default="0", help="stability: solver seeds per weight")
    parser.add_argument("--base", type=Path, help="stability: a saved base plan to start from")
    parser.add_argument("--save-base", type=Path, help="stability: save the base plan (new file)")
    parser.add_argument(
        "--whatifs",
        default="machine_breakdown,rush_order,unchanged",
        help="stability: what-ifs in scenarios/whatif, and 'unchanged'",
    )
    parser.add_argument("--tag", default="factory_stability", help="stability: results name")
    parser.add_argument(
        "--change", type=Path, default=ROOT / "scenarios" / "whatif" / "machine_breakdown.json"
    )
    args = parser.parse_args(argv)
    if args.what == "stability":
        whatifs = ROOT / "scenarios" / "whatif"
        changes: list[Path | None] = [
            None if name == "unchanged" else whatifs / f"{name}.json"
            for name in args.whatifs.split(",")
        ]
        weights = [float(w) for w in args.weights.split(",")]
        tolerances = [int(t) for t in args.tolerances.split(",")]
        seeds = tuple(int(k) for k in args.seeds.split(","))
        week = BaseWeek(args.polish, args.base, args.save_base)
        table = stability(args.time_limit, weights, changes, tolerances, week, seeds, args.tag)
        print(table.to_string(index=False))
    elif args.what == "pareto":
        print(
            pareto(args.time_limit, [float(w) for w in args.weights.split(",")]).to_string(
                index=False
            )
        )
    else:
        print(whatif_timing(args.time_limit, args.change).to_string(index=False))


if __name__ == "__main__":
    main()
