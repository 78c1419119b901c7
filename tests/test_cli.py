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


def test_a_valid_scenario_without_a_feasible_plan_exits_1_and_says_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import yaml

    import planner

    small = ROOT / "tests" / "data" / "small" / "scenario.yaml"
    raw = planner.load_scenario(small).raw()
    raw["lot_sizing"]["shortage"] = "none"  # every unit must be made, on time
    order = dict(raw["demand"]["orders"][0], id="HUGE", quantity=1_000_000)
    raw["demand"]["orders"].append(order)
    for key in ("history_csv",):
        raw["demand"][key] = str(small.parent / raw["demand"][key])
    raw["tariff"]["prices_csv"] = str(small.parent / raw["tariff"]["prices_csv"])
    if raw.get("production_log_csv"):
        raw["production_log_csv"] = str(small.parent / raw["production_log_csv"])
    scenario = tmp_path / "impossible.yaml"
    scenario.write_text(yaml.safe_dump(raw))
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "run", str(scenario), "--json", "--out", str(out))
    assert code == 1
    payload = json.loads(stdout)
    assert payload["status"] == "no_feasible_plan"
    assert payload["reasons"][0]["path"] == "lot_sizing"
    assert "no lot plan" in payload["reasons"][0]["message"]
    assert not out.exists()  # nothing written for a plan that does not exist
    code, _, err = run(capsys, "run", str(scenario), "--out", str(out))
    assert code == 1 and "no feasible plan" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "flags",
    [
        ("--time-limit", "-1"),
        ("--time-limit", "0"),
        ("--time-limit", "nan"),
        ("--time-limit", "inf"),
        ("--time-limit", "700000"),  # over a week
        ("--workers", "0"),
        ("--workers", "65"),
        ("--seed", "-1"),
        ("--seed", str(2**64)),
    ],
)
def test_unusable_flags_exit_2_before_any_work(
    capsys: pytest.CaptureFixture[str], instances: Path, flags: tuple[str, str]
) -> None:
    ft06 = str(instances / "jobshop/fisher-thompson/ft06.txt")
    with pytest.raises(SystemExit) as info:
        main(["solve-instance", ft06, "--progress", "none", *flags])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert flags[0] in err and "Traceback" not in err


def test_schedule_out_into_a_missing_folder_fails_before_the_solve(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, instances: Path
) -> None:
    problem = tmp_path / "p.json"
    problem.write_text(
        json.dumps(
            {
                "machines": [{"id": "M1"}],
                "jobs": [
                    {
                        "id": "J1",
                        "operations": [{"id": "a", "machines": [{"machine": "M1", "duration": 5}]}],
                    }
                ],
            }
        )
    )
    missing = tmp_path / "nowhere" / "s.csv"
    code, out, _ = run(capsys, "solve", str(problem), "--json", "--schedule-out", str(missing))
    assert code == 2
    assert json.loads(out)[0]["path"] == "--schedule-out"
    mine = tmp_path / "mine.csv"
    mine.write_text("kept\n")
    code, out, _ = run(capsys, "solve", str(problem), "--json", "--schedule-out", str(mine))
    assert code == 2  # a file already there is the user's: not replaced without --force
    assert "--force" in json.loads(out)[0]["message"]
    assert mine.read_text() == "kept\n"
    args = ("solve", str(problem), "--json", "--schedule-out", str(mine), "--force")
    code, _, _ = run(capsys, *args, "--time-limit", "2")
    assert code == 0 and mine.read_text().startswith("job")
