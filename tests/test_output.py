"""Output folders: safe names, and no run replaces anything it did not create."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.cli import main
from planner.model.errors import InvalidInputError
from planner.report.output import check_target, folder_name

SMALL = Path(__file__).parent / "data" / "small"


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("", "scenario"),
        (".", "scenario"),
        ("..", "scenario"),
        ("../../etc", "etc"),
        ("a/b", "a-b"),
        ("week 10 (DE)", "week-10-DE"),
        ("ok_name-1.2", "ok_name-1.2"),
        (".hidden", "hidden"),
    ],
)
def test_folder_names_are_safe(name: str, folder: str) -> None:
    assert folder_name(name) == folder


def test_only_missing_empty_or_own_folders_are_replaced(tmp_path: Path) -> None:
    check_target(tmp_path / "missing", "a")
    empty = tmp_path / "empty"
    empty.mkdir()
    check_target(empty, "a")
    own = tmp_path / "own"
    own.mkdir()
    (own / "status.json").write_text(json.dumps({"status": "ok", "scenario": "a"}))
    check_target(own, "a")
    check_target(own, None)
    with pytest.raises(InvalidInputError, match="the run of scenario 'a'"):
        check_target(own, "b")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("years of work")
    with pytest.raises(InvalidInputError, match="--force") as caught:
        check_target(foreign, "a")
    assert caught.value.issues[0].path == "--out"
    check_target(foreign, "a", force=True)
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(InvalidInputError, match="is a file"):
        check_target(afile, "a")


def _small_copy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "small"
    shutil.copytree(SMALL, folder)
    scenario = folder / "scenario.yaml"
    text = scenario.read_text().replace("name: small", f"name: {json.dumps(name)}", 1)
    scenario.write_text(text)
    return scenario


def test_a_scenario_with_an_empty_name_writes_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = _small_copy(tmp_path, "")
    other = tmp_path / "out" / "other"
    other.mkdir(parents=True)
    (other / "plan.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(scenario), "--no-charts", "--json"]) == 0
    assert (other / "plan.json").read_text() == "{}"  # the other scenario's result is intact
    assert (tmp_path / "out" / "scenario" / "plan.json").is_file()


def test_run_refuses_a_folder_of_other_files_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = _small_copy(tmp_path, "small")
    out = tmp_path / "results"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["run", str(scenario), "--out", str(out), "--no-charts", "--json"]) == 2
    assert "--out" in capsys.readouterr().out
    assert (out / "keep.txt").read_text() == "mine"
    # a re-run into its own previous result is fine; forcing replaces a foreign folder
    assert main(["run", str(scenario), "--out", str(out), "--no-charts", "--force"]) == 0
    assert not (out / "keep.txt").exists()
    assert main(["run", str(scenario), "--out", str(out), "--no-charts", "--json"]) == 0
    assert (out / "plan.json").is_file()
