"""Rescheduling against what the shop floor did (``actuals.csv``): done and running work stays
at its actual machine and times, cancelled work disappears, nothing new starts before now,
and rows that contradict the scenario or each other are reported all together."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import planner
from planner.cli import main
from planner.model import InputIssue, InvalidInputError

SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"


def _scenario() -> planner.scenario.LoadedScenario:
    raw = planner.load_scenario(SMALL).raw()
    raw["solver"].update(workers=1, seed=1, strategy="lns", lns_max_iterations=10)
    raw["solver"]["time_limit_s"] = 120
    due = "2024-03-06T14:00:00+01:00"
    raw["demand"]["orders"].append({"id": "O2", "product": "A2", "quantity": 10, "due": due})
    return planner.load_scenario(raw, base_dir=SMALL.parent)


SCENARIO = _scenario()


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[planner.Plan, Path]:
    """The small scenario's plan, reproducible (one worker, capped search), with a second
    order that one job serves (O1 is served by two)."""
    plan = planner.plan(SCENARIO)
    path = tmp_path_factory.mktemp("old") / "plan.json"
    path.write_text(plan.to_json())
    return plan, path


def _now(plan: planner.Plan) -> int:
    """Ten minutes into the operation at the middle of the schedule, or the first after it
    that runs longer and could run 2 minutes later (the running operation of :func:`_facts`)."""
    s = plan.schedule.sort_values("start")
    later = s.iloc[len(s) // 2 :]
    can_slip = _two_minutes_later(plan)
    fits = [r for r in later.itertuples() if r.end - r.start > 12 and can_slip(r)]
    return int(fits[0].start) + 10


def _rejected(path: Path, now: int, actuals: pd.DataFrame) -> list[InputIssue]:
    """The problems re-planning from the saved plan at ``now`` finds in ``actuals``."""
    with pytest.raises(InvalidInputError) as info:
        planner.plan(SCENARIO, time_limit=5, previous_plan=path, frozen_until=now, actuals=actuals)
    return list(info.value.issues)


def _two_minutes_later(plan: planner.Plan) -> Callable[[Any], bool]:
    """Whether the operation of a schedule row could run 2 minutes later: clear of its
    machine's off-shift time and maintenance, and of the next operation there."""
    from datetime import datetime

    from planner.stages.inputs import machines_with_calendars

    s = plan.schedule
    start = datetime.fromisoformat(plan.horizon_start)
    until = int(s["end"].max()) + 2
    windows = {
        m.id: [(int(w.start), int(w.end)) for w in m.unavailable]
        for m in machines_with_calendars(SCENARIO.scenario, start, until)
    }

    def fits(row: Any) -> bool:
        late = (row.start + 2, row.end + 2)
        off = any(a < late[1] and b > late[0] for a, b in windows[row.machine])
        after = s[(s["machine"] == row.machine) & (s["start"] >= row.end)]
        return not off and (after.empty or int(after["start"].min()) >= late[1])

    return fits


def _facts(plan: planner.Plan) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """An actuals table: the first operation that ended before now is done 5 minutes early,
    one running across now started 2 minutes late, one future job cancelled whole, and one
    future operation of another job cancelled."""
    s = plan.schedule.sort_values("start")
    now = _now(plan)
    done = s[s["end"] + 5 <= now].iloc[0]
    late = s[(s["start"] + 2 < now) & (s["end"] > now) & (s["job"] != done["job"])]
    can_slip = _two_minutes_later(plan)
    running = late[[can_slip(row) for row in late.itertuples()]].iloc[0]
    future = s[s["start"] > now]
    whole = future[~future["job"].isin([done["job"], running["job"]])].iloc[-1]
    one = future[~future["job"].isin([done["job"], running["job"], whole["job"]])].iloc[-1]
    rows = [
        {
            "job": done["job"],
            "operation": done["operation"],
            "machine": done["machine"],
            "status": "done",
            "actual_start": int(done["start"]),
            "actual_end": int(done["end"]) - 5,
        },
        {
            "job": running["job"],
            "operation": running["operation"],
            "machine": running["machine"],
            "status": "running",
            "actual_start": int(running["start"]) + 2,
        },
        {"job": whole["job"], "operation": "", "status": "cancelled"},
        {"job": one["job"], "operation": one["operation"], "status": "cancelled"},
    ]
    picked = {"done": done, "running": running, "whole": whole, "one": one}
    return pd.DataFrame(rows), picked


def test_done_running_and_cancelled_work(saved: tuple[planner.Plan, Path]) -> None:
    old, path = saved
    now = _now(old)
    table, picked = _facts(old)
    new = planner.plan(SCENARIO, time_limit=5, previous_plan=path, frozen_until=now, actuals=table)
    assert new.feasible  # the independent checker agrees
    at = new.schedule.set_index(["job", "operation"])
    done, running = picked["done"], picked["running"]
    row = at.loc[(done["job"], done["operation"])]
    assert (row["machine"], row["start"], row["end"]) == (
        done["machine"],
        done["start"],
        done["end"] - 5,
    )
    row = at.loc[(running["job"], running["operation"])]
    assert row["machine"] == running["machine"] and row["start"] == running["start"] + 2
    assert row["end"] >= max(now, running["end"] + 2)  # still running now
    assert picked["whole"]["job"] not in set(new.schedule["job"])
    assert (picked["one"]["job"], picked["one"]["operation"]) not in at.index
    assert (new.schedule["job"] == picked["one"]["job"]).any()  # the rest of its job stays
    # nothing starts before now unless it had started: per the old plan or the actuals
    before = old.schedule.set_index(["job", "operation"])
    facts = {(done["job"], done["operation"]), (running["job"], running["operation"])}
    for key, r in at[at["start"] < now].iterrows():
        assert key in facts or (
            r["start"] == before.loc[key, "start"] and r["machine"] == before.loc[key, "machine"]
        ), key


def test_an_order_names_the_job_that_serves_it(saved: tuple[planner.Plan, Path]) -> None:
    old, path = saved
    now = _now(old)
    jobs_of = old.orders.set_index("order")["jobs"].astype(str)
    assert ";" not in jobs_of["O2"] and ";" in jobs_of["O1"]
    table = pd.DataFrame([{"order": "O2", "operation": "", "status": "cancelled"}])
    new = planner.plan(SCENARIO, time_limit=5, previous_plan=path, frozen_until=now, actuals=table)
    assert jobs_of["O2"] not in set(new.schedule["job"])
    # an order served by several jobs does not say which one: name the job
    table = pd.DataFrame([{"order": "O1", "operation": "", "status": "cancelled"}])
    with pytest.raises(InvalidInputError, match="several jobs"):
        planner.plan(SCENARIO, time_limit=5, previous_plan=path, frozen_until=now, actuals=table)


def test_contradictions_are_listed_together(saved: tuple[planner.Plan, Path]) -> None:
    old, path = saved
    now = _now(old)
    s = old.schedule.sort_values("start")
    a, b = s[s["end"] <= now].iloc[0], s[s["end"] <= now].iloc[1]
    rows = [
        {"job": "NOPE", "operation": "x", "status": "done"},
        {"job": a["job"], "operation": "nope", "status": "done"},
        {"job": a["job"], "operation": a["operation"], "status": "finished"},
        {
            "job": a["job"],
            "operation": a["operation"],
            "machine": a["machine"],
            "status": "done",
            "actual_start": 50,
            "actual_end": 40,
        },
        {  # two operations on one machine at once
            "job": a["job"],
            "operation": a["operation"],
            "machine": a["machine"],
            "status": "done",
            "actual_start": 100,
            "actual_end": 200,
        },
        {
            "job": b["job"],
            "operation": b["operation"],
            "machine": a["machine"],
            "status": "done",
            "actual_start": 150,
            "actual_end": 160,
        },
        {
            "job": b["job"],
            "operation": b["operation"],
            "machine": b["machine"],
            "status": "running",
            "actual_start": now + 60,
        },
    ]
    issues = _rejected(path, now, pd.DataFrame(rows))
    distinct = {(i.path, i.message.split(")")[0]) for i in issues}
    paths = [i.path for i in issues]
    assert "actuals[0].job" in paths
    assert "actuals[1].operation" in paths
    assert "actuals[2].status" in paths
    assert "actuals[3].actual_end" in paths  # end before start
    assert "actuals[6].actual_start" in paths  # started in the future
    assert any("overlaps" in i.message for i in issues)  # rows 4 and 5
    assert len(distinct) >= 6


def test_actuals_need_a_previous_plan_and_now(saved: tuple[planner.Plan, Path]) -> None:
    with pytest.raises(InvalidInputError) as info:
        planner.plan(SMALL, actuals=pd.DataFrame({"job": [], "operation": [], "status": []}))
    assert [i.path for i in info.value.issues] == ["actuals"]


def test_the_cli_reschedules_with_actuals(
    saved: tuple[planner.Plan, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, path = saved
    table, picked = _facts(old)
    csv = tmp_path / "actuals.csv"
    table.to_csv(csv, index=False)
    now = str(_now(old))
    base = ["run", str(SMALL), "--previous", str(path), "--frozen-until", now, "--no-charts"]
    out = tmp_path / "new"
    assert main([*base, "--actuals", str(csv), "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    schedule = pd.read_csv(out / "schedule.csv")
    assert picked["whole"]["job"] not in set(schedule["job"])
    # a contradicting file: exit 2, every problem as JSON
    table.loc[0, "actual_end"] = table.loc[0, "actual_start"] - 1
    table.loc[1, "machine"] = "NOPE"
    table.to_csv(csv, index=False)
    assert main([*base, "--actuals", str(csv), "--out", str(tmp_path / "bad"), "--json"]) == 2
    paths = {issue["path"] for issue in json.loads(capsys.readouterr().out)}
    assert {"actuals[0].actual_end", "actuals[1].machine"} <= paths


def test_reported_work_implies_its_predecessors_ran(saved: tuple[planner.Plan, Path]) -> None:
    """A later step reported running while the plan had not started the steps before it is a
    contradiction to report, not a plan to guess."""
    old, path = saved
    s = old.schedule
    for _, row in s[s["operation"] != "cut"].sort_values("start").iterrows():
        now = int(row["start"]) + 1
        later = s[(s["operation"] == row["operation"]) & (s["start"] > now)]
        unstarted = [j for j in later["job"] if (s[s["job"] == j]["start"] > now).all()]
        if unstarted:
            break
    table = pd.DataFrame(
        [
            {
                "job": unstarted[0],
                "operation": row["operation"],
                "machine": row["machine"],
                "status": "running",
                "actual_start": int(row["start"]),
            }
        ]
    )
    issues = _rejected(path, now, table)
    assert any("must have run before" in i.message for i in issues), issues


def test_a_cancelled_step_hands_its_predecessors_to_its_successors() -> None:
    from planner.model import Job, MachineOption, Operation
    from planner.stages.actuals import Actual, apply_actuals

    def step(name: str, *before: str) -> Operation:
        return Operation(
            id=name,
            machines=(MachineOption(machine="M", duration=10),),
            predecessors=before,
        )

    job = Job(id="J", operations=(step("a"), step("b", "a"), step("c", "b")))
    (kept,) = apply_actuals([job], [Actual(0, "J", "b", "cancelled")])
    assert [op.id for op in kept.operations] == ["a", "c"]
    assert kept.operations[1].predecessors == ("a",)
    assert apply_actuals([job], [Actual(0, "J", None, "cancelled")]) == []


def test_actuals_win_over_the_plans_pins(saved: tuple[planner.Plan, Path]) -> None:
    """Work reported done later than planned frees the planned pin it now overlaps on its
    machine; that operation is re-planned after it."""
    old, path = saved
    now = _now(old)
    s = old.schedule.sort_values(["machine", "start"])
    for (_, x), (_, y) in zip(s.iloc[:-1].iterrows(), s.iloc[1:].iterrows(), strict=True):
        same = x["machine"] == y["machine"] and x["job"] != y["job"]
        if same and y["end"] + 5 < now and y["start"] < x["end"] + 10 <= now:
            break
    row = {
        "job": x["job"],
        "operation": x["operation"],
        "machine": x["machine"],
        "status": "done",
        "actual_start": int(x["start"]),
        "actual_end": int(x["end"]) + 10,
    }
    new = planner.plan(
        SCENARIO, time_limit=5, previous_plan=path, frozen_until=now, actuals=pd.DataFrame([row])
    )
    assert new.feasible
    at = new.schedule.set_index(["job", "operation"])
    assert at.loc[(x["job"], x["operation"]), "end"] == x["end"] + 10
    assert at.loc[(y["job"], y["operation"]), "start"] >= x["end"] + 10


def test_more_contradictions_are_named(saved: tuple[planner.Plan, Path]) -> None:
    old, path = saved
    now = _now(old)
    s = old.schedule
    job = s[s["start"] < now]["job"].iloc[0]
    steps = s[s["job"] == job].sort_values("start")
    first, second = steps.iloc[0], steps.iloc[1]
    rows = [
        {  # done, but ends after now
            "job": first["job"],
            "operation": first["operation"],
            "machine": first["machine"],
            "status": "done",
            "actual_start": now - 5,
            "actual_end": now + 30,
        },
        {  # at night: the machine is off shift (shifts start at 06:00)
            "job": second["job"],
            "operation": second["operation"],
            "machine": second["machine"],
            "status": "done",
            "actual_start": 60,
            "actual_end": 90,
        },
    ]
    issues = _rejected(path, now, pd.DataFrame(rows))
    messages = [(i.path, i.message) for i in issues]
    assert any(p == "actuals[0].actual_end" and "after now" in m for p, m in messages)
    assert any(p == "actuals[1].actual_start" and "unavailable" in m for p, m in messages)


def test_a_step_reported_before_its_predecessor_ended_is_named(
    saved: tuple[planner.Plan, Path],
) -> None:
    old, path = saved
    now = _now(old)
    s = old.schedule.sort_values("start")
    steps = next(
        group
        for _, group in s.groupby("job", sort=False)
        if len(group) > 1 and group["end"].iloc[0] <= now and group["start"].iloc[1] < now
    )
    p, q = steps.iloc[0], steps.iloc[1]
    job = p["job"]
    rows = [
        {
            "job": job,
            "operation": p["operation"],
            "machine": p["machine"],
            "status": "done",
            "actual_start": int(p["start"]),
            "actual_end": int(p["end"]),
        },
        {
            "job": job,
            "operation": q["operation"],
            "machine": q["machine"],
            "status": "running",
            "actual_start": int(p["start"]) + 1,
        },
    ]
    issues = _rejected(path, now, pd.DataFrame(rows))
    assert any(
        i.path == "actuals[1].actual_start" and "before its predecessor" in i.message
        for i in issues
    ), issues
