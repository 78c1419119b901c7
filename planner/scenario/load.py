"""Reading scenario files: YAML or JSON, validated, with paths relative to the file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.io.problem_file import read_structured
from planner.model.errors import InputIssue, InvalidInputError, issues_from_pydantic
from planner.scenario.model import Scenario, check_references


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and the folder its relative paths resolve against."""

    scenario: Scenario
    base_dir: Path
    source: str

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else (self.base_dir / p)

    def raw(self) -> dict[str, Any]:
        """The scenario as plain JSON data (for merge patches and reports)."""
        data: dict[str, Any] = json.loads(self.scenario.model_dump_json(exclude_defaults=False))
        return data


def load_scenario(
    source: str | Path | Mapping[str, Any] | Scenario | LoadedScenario,
    base_dir: str | Path | None = None,
) -> LoadedScenario:
    """Read and validate a scenario from a file, a mapping, or a :class:`Scenario`.

    Raises
    ------
    InvalidInputError
        Listing every problem: unreadable or malformed file, schema violations with their
        paths, unknown references, missing data files.
    """
    if isinstance(source, LoadedScenario):
        return source
    if isinstance(source, Scenario):
        loaded = LoadedScenario(source, Path(base_dir or "."), source.name)
    elif isinstance(source, Mapping):
        loaded = LoadedScenario(
            _validate(source), Path(base_dir or "."), str(source.get("name", "scenario"))
        )
    else:
        file = Path(source)
        raw = read_structured(file)
        if not isinstance(raw, Mapping):
            raise InvalidInputError(
                [InputIssue(file.name, "the top level must be a mapping of sections")], "scenario"
            )
        raw = dict(raw)
        raw.setdefault("name", file.stem if file.stem != "scenario" else file.parent.name)
        loaded = LoadedScenario(
            _validate(raw), Path(base_dir) if base_dir else file.parent, str(file)
        )
    issues = check_references(loaded.scenario) + _missing_files(loaded)
    if issues:
        raise InvalidInputError(issues, "scenario")
    return loaded


def _validate(raw: Mapping[str, Any]) -> Scenario:
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        raise InvalidInputError(issues_from_pydantic(error), "scenario") from None


def _missing_files(loaded: LoadedScenario) -> list[InputIssue]:
    s = loaded.scenario
    files = {
        "demand.history_csv": s.demand.history_csv,
        "tariff.prices_csv": s.tariff.prices_csv if s.tariff else None,
        "production_log_csv": s.production_log_csv,
    }
    return [
        InputIssue(
            path,
            f"file not found: {loaded.path(value)} (paths resolve against the scenario's folder)",
        )
        for path, value in files.items()
        if value is not None and not loaded.path(value).is_file()
    ]


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Production planning scenario"
    return schema
