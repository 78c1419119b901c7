"""Summaries of scheduling benchmark CSVs for benchmarks/README.md: mean gap per set and size
class, planner beside PyJobShop (same instances, same run, same budget)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd


def size_class(row: pd.Series) -> str:
    if row["set"] == "taillard":
        k = int(re.sub(r"\D", "", row["instance"]))
        first = (k - 1) // 10 * 10 + 1
        return f"ta{first:02d}-ta{first + 9:02d}"
    return str(row["set"])


def summarize(paths: list[Path]) -> str:
    frame = pd.concat([pd.read_csv(p) for p in paths])
    frame["class"] = frame.apply(size_class, axis=1)
    frame["ok"] = frame["feasible"].astype(str).str.lower() == "true"
    pivot = frame.pivot_table(
        index="class", columns="solver", values="gap_pct", aggfunc="mean"
    ).round(2)
    counts = frame.pivot_table(index="class", columns="solver", values="ok", aggfunc="sum")
    wins = frame.pivot_table(
        index=["class", "instance"], columns="solver", values="makespan"
    ).dropna()
    better = (wins["planner"] < wins["pyjobshop"]).groupby(level=0).sum()
    worse = (wins["planner"] > wins["pyjobshop"]).groupby(level=0).sum()
    table = pd.DataFrame(
        {
            "instances": frame[frame.solver == "planner"].groupby("class").size(),
            "planner mean gap %": pivot.get("planner"),
            "PyJobShop mean gap %": pivot.get("pyjobshop"),
            "planner better / worse": better.astype(int).astype(str)
            + " / "
            + worse.astype(int).astype(str),
            "checked feasible (planner / PyJobShop)": counts.get("planner").astype(int).astype(str)
            + " / "
            + counts.get("pyjobshop").astype(int).astype(str),
        }
    )
    overall = frame.groupby("solver")["gap_pct"].mean().round(2)
    text = table.to_markdown()
    planner, peer = overall.get("planner"), overall.get("pyjobshop")
    text += f"\n\nOverall mean gap: planner {planner} %, PyJobShop {peer} %.\n"
    return text


if __name__ == "__main__":
    print(summarize([Path(p) for p in sys.argv[1:]]))
