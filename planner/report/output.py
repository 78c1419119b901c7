"""Write a plan's files into a folder, atomically: a complete folder or none."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from planner.plans import Plan

FILES = (
    "plan.json",
    "schedule.csv",
    "lots.csv",
    "forecast.csv",
    "kpis.json",
    "gantt.html",
    "energy.html",
)


def plan_files(plan: Plan, charts: bool = True) -> dict[str, str]:
    """The output files of a plan as ``name -> text``."""
    files = {
        "plan.json": plan.to_json(),
        "schedule.csv": plan.schedule.to_csv(index=False),
        "lots.csv": plan.lots.to_csv(index=False),
        "forecast.csv": plan.forecast.to_csv(index=False),
        "kpis.json": json.dumps(plan.kpis, indent=2, default=str),
    }
    if not plan.throughput.empty:
        files["throughput.csv"] = plan.throughput.to_csv(index=False)
    if charts:
        from planner.report.energy import energy_figure
        from planner.report.gantt import gantt_figure

        files["gantt.html"] = gantt_figure(
            plan.schedule, plan.data, f"{plan.scenario}: schedule"
        ).to_html(include_plotlyjs=True)
        files["energy.html"] = energy_figure(
            plan.schedule, plan.data, f"{plan.scenario}: load and price"
        ).to_html(include_plotlyjs=True)
    return files


def write_atomic(
    folder: str | Path, files: dict[str, str], extra: dict[str, Any] | None = None
) -> Path:
    """Write ``files`` into ``folder`` via a temporary sibling folder and a rename, so a reader
    never sees a half-written result; an existing folder is replaced only once the new one is
    complete."""
    target = Path(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    staging.chmod(0o755)
    try:
        for name, text in files.items():
            (staging / name).write_text(text)
        if extra is not None:
            (staging / "status.json").write_text(json.dumps(extra, indent=2, default=str))
        if target.exists():
            retired = target.with_name(f".{target.name}.old")
            shutil.rmtree(retired, ignore_errors=True)
            os.replace(target, retired)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
