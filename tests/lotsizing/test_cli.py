"""``planner lots`` and ``planner schema lots``: the lot-sizing stage on its own file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from planner.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "lots" / "two_products.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_shipped_example_is_solved_to_its_hand_checked_optimum(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # cabinets: Thursday's 480 minutes cannot hold both products' Thursday demand (50 x 6 + 45
    # and 120 x 3 + 30), so cabinets run Monday (40) and Wednesday (110, 50 held a day: 100);
    # one Monday batch of 150 would hold 540 instead of a second setup's 400. Shelves: 90 on
    # Tuesday (5 held two days) and 120 on Thursday (5 left): 15. Setups 2 x 400 + 2 x 150.
    lots_csv = tmp_path / "lots.csv"
    code, out, err = run(capsys, "lots", str(EXAMPLE), "--json", "--lots-out", str(lots_csv))
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "optimal"
    assert result["objective"] == pytest.approx(1215.0)
    assert result["bound"] == pytest.approx(1215.0, rel=1e-3)
    assert result["gap"] <= 1e-3
    assert result["costs"]["setup"] == pytest.approx(1100.0)
    assert {"build_s", "solve_s", "termination"} <= set(result)
    lots = pd.read_csv(lots_csv)
    assert len(lots) == 8  # two products x four periods
    assert lots.loc[lots["product"] == "shelf", "quantity"].sum() % 10 == 0


def test_text_output_names_status_cost_bound_gap_and_runtime(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "lots", str(EXAMPLE), "--time-limit", "5")
    assert code == 0
    for word in ("status", "cost", "bound", "gap", "runtime"):
        assert word in out


def test_bad_input_exits_2_listing_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["products"][0]["holding_cost"] = -1
    raw["demand"].append({"product": "table", "period": "mon", "quantity": 5})
    raw["solver"] = {"time_limit_s": 0}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    code, out, err = run(capsys, "lots", str(bad), "--json")
    assert code == 2
    paths = {issue["path"] for issue in json.loads(out)}
    assert {"products[0].holding_cost", "solver.time_limit_s"} <= paths
    assert "Traceback" not in err
    del raw["products"][0]["holding_cost"]
    raw["solver"] = {}
    bad.write_text(yaml.safe_dump(raw))
    code, out, _ = run(capsys, "lots", str(bad), "--json")
    assert code == 2  # the unknown product, found once the fields are valid
    assert [issue["path"] for issue in json.loads(out)] == ["demand[5].product"]


def test_a_valid_problem_without_a_plan_exits_1_and_says_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["shortage"] = "none"
    raw["demand"].append({"product": "cabinet", "period": "mon", "quantity": 500})
    tight = tmp_path / "tight.json"
    tight.write_text(json.dumps(raw))
    code, out, _ = run(capsys, "lots", str(tight), "--json")
    assert code == 1
    result = json.loads(out)
    assert result["status"] == "no_feasible_plan"
    assert any("cabinet" in reason["message"] for reason in result["reasons"])


def test_an_existing_lots_file_is_not_overwritten_without_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mine = tmp_path / "lots.csv"
    mine.write_text("my own notes\n")
    code, out, _ = run(capsys, "lots", str(EXAMPLE), "--json", "--lots-out", str(mine))
    assert code == 2
    assert json.loads(out)[0]["path"] == "--lots-out"
    assert mine.read_text() == "my own notes\n"
    code, _, _ = run(capsys, "lots", str(EXAMPLE), "--json", "--lots-out", str(mine), "--force")
    assert code == 0
    assert mine.read_text().startswith("product,period")


def test_the_schema_describes_the_file_the_command_reads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "schema", "lots")
    assert code == 0
    schema = json.loads(out)
    raw = yaml.safe_load(EXAMPLE.read_text())
    assert set(raw) <= set(schema["properties"])
    assert set(schema["required"]) <= set(raw)
    assert schema["additionalProperties"] is False
    solver = schema["$defs"][schema["properties"]["solver"]["$ref"].split("/")[-1]]
    assert {"time_limit_s", "mip_gap", "backend"} <= set(solver["properties"])
    typo = tmp_path / "typo.yaml"
    typo.write_text(yaml.safe_dump({**raw, "periodz": []}))
    code, out, _ = run(capsys, "lots", str(typo), "--json")
    assert code == 2  # what the schema forbids, the command refuses
    assert [issue["path"] for issue in json.loads(out)] == ["periodz"]
