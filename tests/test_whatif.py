"""What-if changes: merge patches, named edits, deltas, the JSON CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import planner
from planner.cli import main
from planner.model import InvalidInputError
from planner.whatif import apply_change, merge_patch, whatif

SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"


def test_merge_patch_rfc7386_examples() -> None:
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}) == {"a": {"b": "d"}}
    assert merge_patch({"a": [1]}, {"a": [2]}) == {"a": [2]}
    assert merge_patch({"a": "foo"}, "bar") == "bar"
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}


def test_named_edits() -> None:
    raw = planner.load_scenario(SMALL).raw()
    edited = apply_change(
        raw,
        [
            {
                "edit": "machine_down",
                "machine": "PAINT",
                "start": "2024-03-05T06:00:00+01:00",
                "end": "2024-03-05T22:00:00+01:00",
            },
            {"edit": "demand", "percent": 20},
            {"edit": "demand", "percent": -50, "products": ["A3"]},
            {
                "edit": "rush_order",
                "product": "A2",
                "quantity": 50,
                "due": "2024-03-06T12:00:00+01:00",
            },
            {"edit": "tariff", "prices_csv": "other.csv"},
            {"edit": "extra_shift", "start": "22:00", "end": "06:00", "days": [5]},
        ],
    )
    assert edited["factory"]["calendar"]["maintenance"][-1]["machine"] == "PAINT"
    assert edited["demand"]["product_scale"]["A0"] == pytest.approx(1.2)
    assert edited["demand"]["product_scale"]["A3"] == pytest.approx(0.6)
    assert edited["demand"]["orders"][-1]["product"] == "A2"
    assert edited["tariff"]["prices_csv"] == "other.csv"
    assert len(edited["factory"]["calendar"]["shifts"]) == 3
    assert 5 in edited["factory"]["calendar"]["working_days"]
    assert raw["factory"]["calendar"].get("maintenance", []) == []  # the base is untouched
    with pytest.raises(InvalidInputError, match="unknown edit"):
        apply_change(raw, [{"edit": "teleport"}])


def test_an_extra_shift_brings_its_crew() -> None:
    """Pools given per shift get the crew the edit names for the new shift, else as many as on
    the last shift; the scenario stays valid."""
    raw = planner.load_scenario(SMALL).raw()
    raw["factory"]["resources"] = [
        {"id": "operators", "capacity": 0, "shift_capacity": [4, 2]},
        {"id": "setters", "capacity": 0, "shift_capacity": [1, 1]},
        {"id": "fixtures", "capacity": 2},
    ]
    shift = {"edit": "extra_shift", "start": "22:00", "end": "06:00", "crew": {"operators": 1}}
    edited = apply_change(raw, [shift])
    pools = {p["id"]: p for p in edited["factory"]["resources"]}
    assert pools["operators"]["shift_capacity"] == [4, 2, 1]
    assert pools["setters"]["shift_capacity"] == [1, 1, 1]
    assert "shift_capacity" not in pools["fixtures"]
    planner.load_scenario(edited, base_dir=SMALL.parent)
    with pytest.raises(InvalidInputError, match="crew names the units"):
        apply_change(raw, [shift | {"crew": [3]}])


def test_whatif_deltas_and_changed_assignments() -> None:
    base = planner.plan(SMALL)
    change = [
        {
            "edit": "machine_down",
            "machine": "CUT1",
            "start": "2024-03-04T06:00:00+01:00",
            "end": "2024-03-05T22:00:00+01:00",
        }
    ]
    result = whatif(SMALL, change, base_plan=base)
    payload = result.to_dict()
    b, v, d = payload["base"]["kpis"], payload["variant"]["kpis"], payload["delta"]
    for key in ("energy_cost", "total_weighted_tardiness", "total_setup_time"):
        assert d["schedule"][key] == pytest.approx(v["schedule"][key] - b["schedule"][key])
    assert (result.variant.schedule["machine"] == "CUT1").sum() < (
        base.schedule["machine"] == "CUT1"
    ).sum() or payload["changed_count"] > 0
    moved = [r for r in payload["changed_assignments"] if r["change"] == "moved"]
    assert all(
        {"job", "operation", "machine_base", "machine_variant", "start_base", "start_variant"}
        <= set(r)
        for r in moved
    )
    assert "stability" in v  # warm-started from the base


def test_whatif_cli_with_files_and_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    change = tmp_path / "change.json"
    change.write_text(json.dumps({"demand": {"product_scale": {"A1": 1.5}}}))
    code = main(
        ["whatif", "--base", str(SMALL), "--change", str(change), "--json", "--time-limit", "3"]
    )
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"base", "variant", "delta", "changed_assignments"} <= set(payload)
    request = {"base": str(SMALL), "change": [{"edit": "demand", "percent": -30}], "time_limit": 3}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(request)))
    code = main(["whatif", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (
        payload["variant"]["kpis"]["lot_sizing"]["units_demanded"]
        < payload["base"]["kpis"]["lot_sizing"]["units_demanded"]
    )


def test_whatif_cli_bad_request(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("{not json"))
    assert main(["whatif", "--json"]) == 2
    assert "malformed JSON" in json.loads(capsys.readouterr().out)[0]["message"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"edit": "demand", "percent": float("nan")}, "percent must be a number"),
        ({"edit": "demand", "percent": -100}, "above -100"),
        ({"edit": "demand", "percent": 20, "products": ["NOPE"]}, "unknown product"),
    ],
)
def test_a_demand_edit_that_cannot_apply_is_an_error_not_a_no_op(
    edit: dict[str, object], message: str
) -> None:
    raw = planner.load_scenario(SMALL).raw()
    with pytest.raises(InvalidInputError, match=message) as info:
        apply_change(raw, [edit])
    assert info.value.issues[0].path == "change[0]"


@pytest.mark.parametrize("limit", [0, -1, "nan", 1e300])
def test_a_request_time_limit_that_cannot_be_used_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, limit: object
) -> None:
    request = {"base": str(SMALL), "change": {}, "time_limit": limit}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(request)))
    assert main(["whatif", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)[0]["path"] == "time_limit"
