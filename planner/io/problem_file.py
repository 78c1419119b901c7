"""Problem files (JSON or YAML) and external data they point to."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from planner.io.prices import load_hourly_prices
from planner.model import Problem, SolverSettings
from planner.model.errors import InputIssue, InvalidInputError, issues_from_pydantic
from planner.model.factory import Frozen

Model = TypeVar("Model")
Settings = TypeVar("Settings", bound=Frozen)


def read_structured(path: str | Path) -> Any:
    """Parse a JSON or YAML file, turning every failure into an :class:`InvalidInputError`."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(
            [InputIssue(str(file), f"cannot read the file: {error.strerror or error}")], "file"
        ) from None
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            [
                InputIssue(
                    str(file),
                    f"not UTF-8 text (byte {error.start}); save the file as UTF-8",
                )
            ],
            "file",
        ) from None
    try:
        if file.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except RecursionError:
        raise InvalidInputError(
            [InputIssue(str(file), "nested too deeply to be a scenario or problem file")], "file"
        ) from None
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            [
                InputIssue(
                    f"{file.name}:{error.lineno}:{error.colno}", f"malformed JSON: {error.msg}"
                )
            ],
            "file",
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{file.name}:{mark.line + 1}:{mark.column + 1}" if mark else file.name
        problem = getattr(error, "problem", None) or str(error)
        raise InvalidInputError([InputIssue(where, f"malformed YAML: {problem}")], "file") from None


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file; relative paths in it resolve against its folder.

    The file's optional ``solver`` section (see :func:`load_problem_file`) is validated too.
    """
    return load_problem_file(path)[0]


def load_problem_file(path: str | Path) -> tuple[Problem, SolverSettings]:
    """Read a problem file: the problem, and the settings of its optional ``solver`` section
    (how to search it: time limit, workers, seed...), kept apart as :func:`planner.solve`
    takes them. Every problem in both is reported at once.

    Raises
    ------
    InvalidInputError
    """
    problem, settings = read_with_solver_section(path, Problem.from_dict, SolverSettings, "problem")
    return resolve_tariff(problem, base_dir=Path(path).parent), settings


def read_with_solver_section(
    path: str | Path,
    parse: Callable[[dict[str, Any]], Model],
    settings_type: type[Settings],
    what: str,
) -> tuple[Model, Settings]:
    """Read a JSON or YAML file whose optional ``solver`` section holds ``settings_type`` and
    whose other fields ``parse`` turns into a model; every problem in both is reported at
    once, under the file's own field paths.

    Raises
    ------
    InvalidInputError
    """
    file = Path(path)
    raw = read_structured(file)
    if not isinstance(raw, dict):
        raise InvalidInputError([InputIssue(file.name, "top level must be a mapping")], what)
    raw = dict(raw)
    issues: list[InputIssue] = []
    settings = settings_type()
    try:
        settings = settings_type.model_validate(raw.pop("solver", None) or {})
    except ValidationError as error:
        issues.extend(issues_from_pydantic(error, "solver"))
    try:
        model = parse(raw)
    except InvalidInputError as error:
        raise InvalidInputError([*error.issues, *issues], what) from None
    if issues:
        raise InvalidInputError(issues, what)
    return model, settings


def resolve_tariff(problem: Problem, base_dir: str | Path = ".") -> Problem:
    """Load the tariff's ``prices_csv`` (relative to ``base_dir``) into the problem."""
    tariff = problem.tariff
    if tariff is None or tariff.hourly_prices is not None or tariff.prices_csv is None:
        return problem
    csv = Path(tariff.prices_csv)
    if not csv.is_absolute():
        csv = Path(base_dir) / csv
    try:
        prices = load_hourly_prices(csv, tariff.price_column, tariff.fill_missing)
    except InvalidInputError as error:
        raise InvalidInputError(
            [InputIssue(f"tariff.prices_csv ({i.path})", i.message) for i in error.issues],
            "problem",
        ) from None
    resolved = tariff.model_copy(update={"hourly_prices": prices.prices, "start": prices.start})
    return problem.model_copy(update={"tariff": resolved})
