"""Write a plan's files into a folder, atomically: a complete folder or none, and never over
anything the run did not create."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.model.errors import InputIssue, InvalidInputError
from planner.plans import Plan

if TYPE_CHECKING:
    import plotly.graph_objects as go

FILES = (
    "plan.json",
    "schedule.csv",
    "lots.csv",
    "forecast.csv",
    "kpis.json",
    "gantt.html",
    "energy.html",
)


def folder_name(name: str) -> str:
    """A safe folder name for a scenario: letters, digits, ``.``, ``_`` and ``-`` kept, any
    other run of characters turned into ``-``; never empty, hidden, ``.`` or ``..``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return slug or "scenario"


def check_target(folder: Path, scenario: str | None, force: bool = False) -> None:
    """Refuse to replace ``folder`` unless it is missing, empty, or holds a previous run of
    ``scenario`` (its ``status.json`` names it; ``None``: of any scenario), or ``force``."""
    if force or not folder.exists():
        return
    if not folder.is_dir():
        raise InvalidInputError(
            [InputIssue("--out", f"{folder} is a file, not a folder; choose another --out")]
        )
    if not any(folder.iterdir()):
        return
    owner = _previous_run(folder)
    if owner is not None and (scenario is None or owner == scenario):
        return
    what = "files of its own" if owner is None else f"the run of scenario {owner!r}"
    raise InvalidInputError(
        [
            InputIssue(
                "--out",
                f"{folder} holds {what}, which this run would replace; choose another --out, "
                "or pass --force to replace it",
            )
        ]
    )


def _previous_run(folder: Path) -> str | None:
    try:
        status = json.loads((folder / "status.json").read_text())
    except (OSError, ValueError):
        return None
    scenario = status.get("scenario") if isinstance(status, dict) else None
    return str(scenario) if scenario is not None else None


def plan_files(plan: Plan, charts: bool = True) -> dict[str, str]:
    """The output files of a plan as ``name -> text``."""
    files = {
        "plan.json": plan.to_json(),
        "schedule.csv": plan.schedule.to_csv(index=False),
        "lots.csv": plan.lots.to_csv(index=False),
        "forecast.csv": plan.forecast.to_csv(index=False),
        "orders.csv": plan.orders.to_csv(index=False),
        "kpis.json": plan.kpis.model_dump_json(indent=2),
    }
    if not plan.throughput.empty:
        files["throughput.csv"] = plan.throughput.to_csv(index=False)
    if charts and plan.data is not None:  # a plan read from plan.json has no problem data
        from planner.report.energy import energy_figure
        from planner.report.gantt import gantt_figure

        gantt = gantt_figure(
            plan.schedule, plan.data, f"{plan.scenario}: schedule", late_orders=late_orders(plan)
        )
        files["gantt.html"] = _page(gantt, _pool_figure(plan))
        files["energy.html"] = energy_figure(
            plan.schedule, plan.data, f"{plan.scenario}: load and price"
        ).to_html(include_plotlyjs=True)
    return files


def _pool_figure(plan: Plan) -> go.Figure | None:
    """The resource-load chart under the Gantt chart, where the plan has pools."""
    if plan.data is None or not plan.data.pool_ids or plan.schedule is None:
        return None
    from planner.report.resources import resource_figure

    return resource_figure(plan.schedule, plan.data, f"{plan.scenario}: resource pools")


def _page(*figures: go.Figure | None) -> str:
    """One HTML page with the figures one below the other (plotly's script included once)."""
    shown = [f for f in figures if f is not None]
    parts = [f.to_html(full_html=False, include_plotlyjs=k == 0) for k, f in enumerate(shown)]
    return '<html><head><meta charset="utf-8"></head><body>' + "".join(parts) + "</body></html>"


def late_orders(plan: Plan) -> list[str]:
    """The ids of the plan's orders that complete after they are due."""
    orders = plan.orders
    if orders.empty:
        return []
    return [str(o) for o in orders.loc[orders["lateness_min"].astype(float).fillna(0) > 0, "order"]]


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
