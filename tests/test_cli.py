"""The CLI: JSON shape, exit codes, errors as a JSON list, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_solve_instance_json(capsys: pytest.CaptureFixture[str], instances: Path) -> None:
    code, out, _ = run(
        capsys,
        "solve-instance",
        str(instances / "jobshop/fisher-thompson/ft06.txt"),
        "--format",
        "jsp",
        "--time-limit",
        "20",
        "--workers",
        "2",
        "--seed",
        "1",
        "--json",
        "--progress",
        "none",
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["makespan"] == 55
    assert payload["lower_bound"] == 55
    assert payload["status"] == "optimal"
    assert payload["feasible"] is True
    assert payload["runtime_s"] >= 0
    assert payload["kpis"]["makespan"] == 55


def test_solve_instance_with_setups_between_operations(
    capsys: pytest.CaptureFixture[str], instances: Path
) -> None:
    # Fattahi_setup_05: small enough for the full model to prove its optimum (126, as
    # PyJobShop also proves); the schedule carries the setups between operations
    code, out, _ = run(
        capsys,
        "solve-instance",
        str(instances / "fjsp-sdst/fattahi-setup/Fattahi_setup_05.fjs"),
        "--format",
        "fjs-sdst",
        "--time-limit",
        "20",
        "--json",
        "--progress",
        "none",
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["feasible"] is True
    assert payload["makespan"] == 126
    assert payload["status"] == "optimal"


def test_progress_json_lines(capsys: pytest.CaptureFixture[str], instances: Path) -> None:
    code, _, err = run(
        capsys,
        "solve-instance",
        str(instances / "fjsp/brandimarte/mk01.txt"),
        "--format",
        "fjs",
        "--time-limit",
        "5",
        "--progress",
        "json",
        "--json",
    )
    assert code == 0
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines and {"time_s", "objective", "bound", "source"} <= set(lines[0])


def test_bad_file_exits_2_with_json_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "solve-instance", str(tmp_path / "nope.txt"), "--json")
    assert code == 2
    problems = json.loads(out)
    assert isinstance(problems, list) and "cannot read" in problems[0]["message"]
    assert "Traceback" not in err


def test_invalid_problem_file_lists_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "machines: [{id: M1}]\n"
        "jobs:\n"
        "  - id: J1\n"
        "    operations:\n"
        "      - {id: a, machines: [{machine: M9, duration: 3}]}\n"
        "      - {id: b, machines: [{machine: M1, duration: -1}]}\n"
    )
    code, out, _ = run(capsys, "solve", str(bad), "--json")
    assert code == 2
    paths = {p["path"] for p in json.loads(out)}
    assert "jobs[0].operations[1].machines[0].duration" in paths
    bad.write_text(
        "machines: [{id: M1}]\njobs:\n  - id: J1\n    operations:\n"
        "      - {id: a, machines: [{machine: M9, duration: 3}]}\n"
    )
    code, out, _ = run(capsys, "solve", str(bad), "--json")
    assert code == 2
    assert json.loads(out)[0]["path"] == "jobs[0].operations[0].machines[0].machine"


def test_malformed_yaml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("machines: [{id: M1}\njobs: ]\n")
    code, _, err = run(capsys, "solve", str(bad))
    assert code == 2
    assert "malformed YAML" in err and "Traceback" not in err


def test_solve_problem_file_and_schedule_csv(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    problem = tmp_path / "p.json"
    problem.write_text(
        json.dumps(
            {
                "machines": [{"id": "M1", "power_kw": 10}],
                "jobs": [
                    {
                        "id": "J1",
                        "operations": [{"id": "a", "machines": [{"machine": "M1", "duration": 5}]}],
                    },
                    {
                        "id": "J2",
                        "operations": [{"id": "a", "machines": [{"machine": "M1", "duration": 3}]}],
                    },
                ],
                "solver": {"time_limit_s": 5},
            }
        )
    )
    out_csv = tmp_path / "s.csv"
    code, out, _ = run(capsys, "solve", str(problem), "--json", "--schedule-out", str(out_csv))
    assert code == 0
    assert json.loads(out)["makespan"] == 8
    assert out_csv.read_text().startswith("job,operation")


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["solve-instance"])
    assert info.value.code == 2


def test_forecast_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.forecasting.conftest import seasonal_panel

    history = tmp_path / "h.csv"
    seasonal_panel(series=3, length=36).to_csv(history, index=False)
    out = tmp_path / "f.csv"
    code, stdout, _ = run(
        capsys,
        "forecast",
        str(history),
        "--horizon",
        "4",
        "--out",
        str(out),
        "--quantiles",
        "0.1,0.5,0.9",
        "--season",
        "12",
        "--model",
        "seasonal_naive",
        "--json",
    )
    assert code == 0
    assert json.loads(stdout)["rows"] == 12
    written = __import__("pandas").read_csv(out)
    assert list(written.columns) == ["unique_id", "ds", "q10", "q50", "q90"]


def test_forecast_command_bad_history(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    history = tmp_path / "h.csv"
    history.write_text("unique_id,ds\nA,2020-01-01\n")
    code, stdout, _ = run(
        capsys,
        "forecast",
        str(history),
        "--horizon",
        "3",
        "--out",
        str(tmp_path / "f.csv"),
        "--json",
    )
    assert code == 2
    assert "missing column" in json.loads(stdout)[0]["message"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("planner ") and len(out.split()) >= 2


def test_the_default_factory_ships_inside_the_package() -> None:
    import planner
    from planner.cli.run import DEFAULT_SCENARIO, SCENARIOS
    from planner.scenario import load_scenario

    package = Path(planner.__file__).resolve().parent
    assert DEFAULT_SCENARIO.resolve().is_relative_to(package)
    scenario = load_scenario(DEFAULT_SCENARIO)
    assert scenario.scenario.name == "default"
    # the data files it names are package data too (the wheel's package-data globs cover them)
    for name in ("default/data/demand_history.csv", "data/prices/DE-LU_2024.csv"):
        assert (SCENARIOS / name).is_file()
