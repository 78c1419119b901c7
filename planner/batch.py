"""Many scenarios at once: locally or on a Dask cluster, resumable, with atomic writes.

Each scenario's files go to ``OUT/<name>/``, written atomically (a complete folder or none);
``OUT/<name>/status.json`` says ``ok`` or ``failed`` with the error. A re-run skips scenarios
whose status is ``ok`` and never replaces a complete result with a failed or partial one.
``OUT/summary.csv`` has one row per scenario.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from planner.model.errors import InvalidInputError, NoFeasiblePlanError
from planner.report.output import folder_name, write_atomic

SUMMARY_COLUMNS = [
    "scenario",
    "path",
    "status",
    "error",
    "objective",
    "weighted_tardiness",
    "late_jobs",
    "energy_cost",
    "setup_minutes",
    "on_time_jobs_pct",
    "lot_cost",
    "runtime_s",
]


def scenario_names(paths: Sequence[str | Path]) -> list[str]:
    """Unique folder names: the file's stem, or its folder's name for ``scenario.yaml``."""
    names: list[str] = []
    for path in paths:
        p = Path(path)
        base = folder_name(p.parent.name if p.stem in ("scenario", "problem") else p.stem)
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def run_one(path: str, time_limit: float | None = None, charts: bool = True) -> dict[str, Any]:
    """Plan one scenario file; return its output files (as text) and a summary row. Never
    raises: failures come back as a row with the error."""
    from planner.pipeline import plan
    from planner.report.output import plan_files

    started = time.perf_counter()
    row: dict[str, Any] = {"path": str(path)}
    try:
        result = plan(path, time_limit=time_limit)
        files = plan_files(result, charts=charts)
        k = result.kpis
        row.update(
            status="ok",
            objective=k.objective,
            weighted_tardiness=k.schedule.total_weighted_tardiness,
            late_jobs=k.schedule.late_jobs,
            energy_cost=k.schedule.energy_cost,
            setup_minutes=k.schedule.total_setup_time,
            on_time_jobs_pct=k.service.on_time_jobs_pct,
            lot_cost=None if k.lot_sizing is None else k.lot_sizing.cost,
        )
    except (InvalidInputError, NoFeasiblePlanError) as error:
        files = {}
        found = error.issues if isinstance(error, InvalidInputError) else error.reasons
        row.update(
            status="failed" if isinstance(error, InvalidInputError) else "infeasible",
            error="; ".join(str(i) for i in found)[:2000],
            issues=error.to_list(),
        )
    except Exception as error:  # record and carry on with the other scenarios
        files = {}
        row.update(
            status="failed",
            error=f"{type(error).__name__}: {error}"[:2000],
            trace=traceback.format_exc()[-4000:],
        )
    row["runtime_s"] = round(time.perf_counter() - started, 3)
    return {"row": row, "files": files}


def is_complete(folder: Path) -> bool:
    status = folder / "status.json"
    if not status.is_file():
        return False
    try:
        return bool(json.loads(status.read_text()).get("status") == "ok")
    except (OSError, json.JSONDecodeError):
        return False


def run_batch(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    time_limit: float | None = None,
    charts: bool = True,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> pd.DataFrame:
    """Plan every scenario; returns the summary (also written to ``out/summary.csv``).

    Parameters
    ----------
    workers
        Local worker processes (a Dask ``LocalCluster``) when greater than 1.
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:8786``) to run on instead.
    on_done
        Called with each finished row (for progress displays).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = scenario_names(paths)
    rows: dict[str, dict[str, Any]] = {}
    todo = []
    for name, path in zip(names, paths, strict=True):
        folder = out / name
        if is_complete(folder):
            row = json.loads((folder / "status.json").read_text())
            row["status"] = "ok"
            row["skipped"] = True
            rows[name] = row
            if on_done:
                on_done(row)
        else:
            todo.append((name, str(path)))

    def finish(name: str, outcome: dict[str, Any]) -> None:
        row = {"scenario": name, **outcome["row"]}
        folder = out / name
        if row["status"] == "ok":
            write_atomic(folder, outcome["files"], extra=row)
        elif not is_complete(folder):
            write_atomic(folder, {}, extra=row)
        rows[name] = row
        if on_done:
            on_done(row)

    if todo and (workers > 1 or scheduler):
        _run_dask(todo, workers, scheduler, time_limit, charts, finish)
    else:
        for name, path in todo:
            finish(name, run_one(path, time_limit, charts))
    summary = pd.DataFrame(
        [{c: rows[n].get(c) for c in SUMMARY_COLUMNS} | {"scenario": n} for n in names]
    )
    summary = summary[SUMMARY_COLUMNS]
    tmp = out / ".summary.csv.tmp"
    summary.to_csv(tmp, index=False)
    tmp.replace(out / "summary.csv")
    return summary


WORKER_DEATH_TIMEOUT = "20s"
"""A local worker process whose scheduler is gone (the batch was killed) closes after this."""


def _run_dask(
    todo: list[tuple[str, str]],
    workers: int,
    scheduler: str | None,
    time_limit: float | None,
    charts: bool,
    finish: Callable[[str, dict[str, Any]], None],
) -> None:
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            _collect(client, todo, time_limit, charts, finish)
        return
    # the cluster and its worker processes end with the block, also on SIGTERM (turned into
    # an exception so the block unwinds); workers that lose their scheduler to a SIGKILL
    # close themselves after WORKER_DEATH_TIMEOUT
    with (
        _terminate_as_exit(),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            death_timeout=WORKER_DEATH_TIMEOUT,
        ) as cluster,
        Client(cluster) as client,
    ):
        _collect(client, todo, time_limit, charts, finish)


def _collect(
    client: Any,
    todo: list[tuple[str, str]],
    time_limit: float | None,
    charts: bool,
    finish: Callable[[str, dict[str, Any]], None],
) -> None:
    from dask.distributed import as_completed

    futures = {
        client.submit(run_one, path, time_limit, charts, pure=False): name for name, path in todo
    }
    for future in as_completed(futures):
        name = futures[future]
        try:
            outcome = future.result()
        except Exception as error:  # a worker died: record it
            outcome = {
                "row": {
                    "path": dict(todo)[name],
                    "status": "failed",
                    "error": f"worker failed: {error}",
                },
                "files": {},
            }
        finish(name, outcome)


@contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """Within the block, SIGTERM raises ``SystemExit(143)`` (so clean-up code runs) instead
    of ending the process on the spot; the previous handler comes back after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
