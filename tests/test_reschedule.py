"""Rescheduling from a saved plan: after a restart, from the CLI or the API, started
operations stay where they were and the lots are kept."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import planner
from planner.check import check
from planner.cli import main

SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[planner.Plan, Path]:
    plan = planner.plan(SMALL)
    path = tmp_path_factory.mktemp("old") / "plan.json"
    path.write_text(plan.to_json())
    return plan, path


def _frozen(plan: planner.Plan) -> int:
    return int(plan.schedule["start"].median())


def test_rescheduling_from_a_saved_plan_keeps_what_started(
    saved: tuple[planner.Plan, Path],
) -> None:
    old, path = saved
    frozen = _frozen(old)
    new = planner.plan(SMALL, previous_plan=path, frozen_until=frozen)
    assert new.feasible and check(new.data, new.result.assignment).feasible  # type: ignore[arg-type]
    keys = ["job", "operation"]
    started = old.schedule[old.schedule["start"] < frozen].set_index(keys)
    now = new.schedule.set_index(keys).loc[started.index]
    assert len(started) > 0
    assert (now["machine"] == started["machine"]).all()
    assert (now["start"] == started["start"]).all()
    # nothing else starts before the frozen moment
    early = new.schedule[new.schedule["start"] < frozen].set_index(keys)
    assert set(early.index) == set(started.index)
    # the lots are the saved plan's, and every operation is compared for stability
    lots = ["product", "period", "quantity"]
    pd.testing.assert_frame_equal(
        new.lots[lots].reset_index(drop=True), old.lots[lots].reset_index(drop=True)
    )
    assert new.kpis.stability is not None
    assert new.kpis.stability.compared_operations == len(old.schedule)


def test_the_cli_reschedules_from_a_saved_plan(
    saved: tuple[planner.Plan, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, path = saved
    start = pd.Timestamp(old.horizon_start)
    frozen = (start + pd.Timedelta(minutes=_frozen(old))).isoformat()
    out = tmp_path / "new"
    args = ["run", str(SMALL), "--previous", str(path), "--frozen-until", frozen]
    code = main([*args, "--out", str(out), "--json", "--no-charts"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["kpis"]["stability"]["compared_operations"] == len(old.schedule)
    assert (out / "plan.json").is_file() and (out / "orders.csv").is_file()


def test_frozen_until_without_a_previous_plan_is_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["run", str(SMALL), "--frozen-until", "600", "--json", "--no-charts"])
    assert code == 2
    assert json.loads(capsys.readouterr().out)[0]["path"] == "frozen_until"


@pytest.mark.parametrize("moment", ["2024-03-05T10:00:00", "tomorrow"])
def test_a_frozen_moment_needs_an_offset(
    moment: str, capsys: pytest.CaptureFixture[str], saved: tuple[planner.Plan, Path]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", str(SMALL), "--previous", str(saved[1]), "--frozen-until", moment])
    assert info.value.code == 2
    assert "--frozen-until" in capsys.readouterr().err


def test_a_previous_plan_that_is_not_a_plan_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps({"schema_version": 1, "schedule": "nope"}))
    code = main(["run", str(SMALL), "--previous", str(bad), "--json", "--no-charts"])
    assert code == 2
    paths = {issue["path"] for issue in json.loads(capsys.readouterr().out)}
    assert "schedule" in paths


def test_planner_check_accepts_the_saved_plan(
    saved: tuple[planner.Plan, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, path = saved
    assert main(["check", str(SMALL), str(path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["feasible"] and payload["violations"] == []


@pytest.mark.parametrize("edit", ["overlap", "machine", "duration"])
def test_planner_check_catches_a_hand_edited_schedule(
    saved: tuple[planner.Plan, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: str,
) -> None:
    old, path = saved
    frame = old.schedule[["job", "operation", "machine", "start", "end", "setup_before"]].copy()
    busy = frame["machine"].value_counts().index[0]  # a machine with several operations
    first, second = frame[frame["machine"] == busy].sort_values("start").index[:2]
    if edit == "overlap":  # drag the second bar onto the first
        length = frame.loc[second, "end"] - frame.loc[second, "start"]
        frame.loc[second, "start"] = frame.loc[first, "start"]
        frame.loc[second, "end"] = frame.loc[first, "start"] + length
        expected = "overlap"
    elif edit == "machine":  # a machine the routing does not allow
        frame.loc[first, "machine"] = "PACK" if frame.loc[first, "machine"] != "PACK" else "CUT1"
        expected = "eligibility"
    else:
        frame.loc[first, "end"] = frame.loc[first, "end"] + 7
        expected = "duration"
    csv = tmp_path / "schedule.csv"
    frame.to_csv(csv, index=False)
    code = main(["check", str(SMALL), str(path), "--schedule", str(csv), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 1 and not payload["feasible"]
    kinds = {v["kind"] for v in payload["violations"]}
    assert expected in kinds, kinds
    assert all(v["operations"] for v in payload["violations"] if v["kind"] == expected)


def test_planner_check_needs_a_readable_schedule(
    saved: tuple[planner.Plan, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "schedule.csv"
    csv.write_text("job,operation\nx,y\n")
    assert main(["check", str(SMALL), str(saved[1]), "--schedule", str(csv), "--json"]) == 2


def test_a_rush_order_gets_a_job_of_its_own_and_the_rest_stays(
    saved: tuple[planner.Plan, Path],
) -> None:
    from planner.whatif import apply_change

    old, path = saved
    frozen = _frozen(old)
    due = (pd.Timestamp(old.horizon_start) + pd.Timedelta(days=2)).isoformat()
    rush = [{"edit": "rush_order", "product": "A1", "quantity": 15, "due": due, "priority": 5}]
    raw = apply_change(planner.load_scenario(SMALL).raw(), rush)
    new = planner.plan(
        planner.load_scenario(raw, base_dir=SMALL.parent),
        time_limit=5,
        previous_plan=path,
        frozen_until=frozen,
    )
    assert new.feasible
    order = new.orders[new.orders["product"] == "A1"].sort_values("quantity").iloc[0]
    assert order["quantity"] == 15
    (job,) = [j for j in new.schedule["job"].unique() if str(j).endswith("+" + order["order"])]
    assert order["pegged_quantity"] == 15  # pegged to the earliest supply, maybe an old lot
    assert new.schedule[new.schedule["job"] == job]["start"].min() >= frozen
    # the previous jobs are all still there, and the lot table holds the order's units
    assert set(old.schedule["job"]) <= set(new.schedule["job"])
    assert new.lots["quantity"].sum() == pytest.approx(old.lots["quantity"].sum() + 15)
