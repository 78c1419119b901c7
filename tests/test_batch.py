"""Batch runs: results per scenario, failures recorded, resume, atomic writes, Dask."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from planner.batch import run_batch
from planner.report.output import write_atomic

SMALL = Path(__file__).parent / "data" / "small"


def scenarios(tmp_path: Path) -> list[Path]:
    good = tmp_path / "good"
    shutil.copytree(SMALL, good)
    bad = tmp_path / "bad"
    shutil.copytree(SMALL, bad)
    (bad / "scenario.yaml").write_text(
        (bad / "scenario.yaml").read_text().replace("machine: PAINT", "machine: NOPE", 1)
    )
    return [good / "scenario.yaml", bad / "scenario.yaml"]


def test_batch_records_failures_and_resumes(tmp_path: Path) -> None:
    paths = scenarios(tmp_path)
    out = tmp_path / "out"
    summary = run_batch(paths, out, time_limit=2, charts=False)
    assert list(summary["scenario"]) == ["good", "bad"]
    assert list(summary["status"]) == ["ok", "failed"]
    assert "unknown machine 'NOPE'" in summary.loc[1, "error"]
    for name in (
        "plan.json",
        "schedule.csv",
        "lots.csv",
        "forecast.csv",
        "kpis.json",
        "status.json",
    ):
        assert (out / "good" / name).is_file()
    assert json.loads((out / "bad" / "status.json").read_text())["status"] == "failed"
    assert (out / "summary.csv").is_file()
    stamp = (out / "good" / "plan.json").stat().st_mtime_ns
    # fix the bad one and run again: the good one is skipped, the bad one now runs
    (paths[1]).write_text(paths[1].read_text().replace("machine: NOPE", "machine: PAINT"))
    again = run_batch(paths, out, time_limit=2, charts=False)
    assert list(again["status"]) == ["ok", "ok"]
    assert (out / "good" / "plan.json").stat().st_mtime_ns == stamp


def test_a_failed_write_never_replaces_a_complete_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "result"
    write_atomic(target, {"a.txt": "complete"})

    class BoomError(Exception):
        pass

    original = Path.write_text

    def failing(self: Path, text: str, *args: object, **kwargs: object) -> int:
        if self.name == "b.txt":
            raise BoomError
        return original(self, text)

    monkeypatch.setattr(Path, "write_text", failing)
    with pytest.raises(BoomError):
        write_atomic(target, {"a.txt": "new", "b.txt": "half"})
    monkeypatch.undo()
    assert (target / "a.txt").read_text() == "complete"
    assert not (target / "b.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["result"]


def test_batch_on_a_dask_local_cluster(tmp_path: Path) -> None:
    paths = scenarios(tmp_path)
    summary = run_batch(paths, tmp_path / "out", workers=2, time_limit=2, charts=False)
    assert list(summary["status"]) == ["ok", "failed"]
    assert (tmp_path / "out" / "good" / "kpis.json").is_file()


def _session_processes(session: int) -> list[int]:
    """Live processes of a session (Linux: /proc/<pid>/stat field 6)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("kill", ["SIGTERM", "SIGKILL"])
def test_a_killed_batch_leaves_no_worker_processes(tmp_path: Path, kill: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    paths = scenarios(tmp_path)
    command = [sys.executable, "-m", "planner.cli", "batch", *map(str, paths), "--out"]
    command += [str(tmp_path / "out"), "--workers", "2", "--time-limit", "60", "--no-charts"]
    batch = subprocess.Popen(command, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_session_processes(batch.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)  # the batch and its worker processes are up
    assert len(_session_processes(batch.pid)) >= 3
    time.sleep(3)
    batch.send_signal(getattr(signal, kill))
    batch.wait(timeout=60)
    deadline = time.monotonic() + 60  # after a SIGKILL the workers notice their scheduler is gone
    while _session_processes(batch.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _session_processes(batch.pid) == []


def test_a_scenario_without_a_feasible_plan_is_recorded_as_infeasible(tmp_path: Path) -> None:
    good, _ = scenarios(tmp_path)
    impossible = tmp_path / "impossible"
    shutil.copytree(SMALL, impossible)
    text = (impossible / "scenario.yaml").read_text()
    assert "backlog_cost" in text
    # shortage is free: lot sizing plans nothing, so there is no plan to make
    text = re.sub(r"backlog_cost: [0-9.]+", "backlog_cost: 0", text)
    (impossible / "scenario.yaml").write_text(text)
    summary = run_batch(
        [good, impossible / "scenario.yaml"], tmp_path / "out", time_limit=3, charts=False
    )
    assert list(summary["status"]) == ["ok", "infeasible"]
    status = json.loads((tmp_path / "out" / "impossible" / "status.json").read_text())
    assert status["status"] == "infeasible" and "nothing to make" in status["error"]
