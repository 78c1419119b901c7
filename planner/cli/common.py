"""Shared CLI plumbing: exit codes, error output, JSON printing, progress display."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from forecasting.errors import InvalidInputError as ForecastInputError
from planner.model.errors import InputIssue, InvalidInputError, NoFeasiblePlanError
from planner.model.time import parse_moment

EXIT_OK = 0
EXIT_FAILED = 1
"""The input was valid but no feasible plan exists or was found (the reasons are printed)."""
EXIT_INVALID = 2
"""The input was rejected: bad arguments, unreadable or invalid files."""


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON on stdout (NaN and infinities become null)."""
    sys.stdout.write(json.dumps(_clean(payload), indent=2, default=str) + "\n")
    sys.stdout.flush()


def check_output_file(path: Path | None, flag: str, force: bool) -> None:
    """Refuse, before any work, to write a command's CSV to ``path`` (given as ``flag``) when
    its folder is missing, or when a file is already there and ``--force`` does not allow
    replacing it (a run never overwrites what it did not create).

    Raises
    ------
    InvalidInputError
    """
    if path is None:
        return
    if not path.parent.is_dir():
        raise InvalidInputError(
            [InputIssue(flag, f"folder {path.parent} does not exist; create it first")]
        )
    if path.exists() and (not force or not path.is_file()):
        what = "a file" if path.is_file() else "something that is not a file"
        hint = "; choose another name or add --force" if path.is_file() else ""
        raise InvalidInputError([InputIssue(flag, f"{path} is already {what}{hint}")])


def report_issues(issues: tuple[InputIssue, ...] | list[InputIssue], as_json: bool) -> int:
    """Print every problem found (a JSON list with ``--json``) and return exit code 2."""
    if as_json:
        print_json([issue.to_dict() for issue in issues])
    else:
        sys.stderr.write(f"error: {len(issues)} problem(s) in the input:\n")
        for issue in issues:
            sys.stderr.write(f"  - {issue}\n")
    return EXIT_INVALID


def report_no_plan(failure: NoFeasiblePlanError, as_json: bool) -> int:
    """Print why no feasible plan exists (a JSON object with ``--json``) and return exit code
    1: the input was valid, the plant cannot do what it asks."""
    if as_json:
        print_json({"status": "no_feasible_plan", "reasons": failure.to_list()})
    else:
        sys.stderr.write("no feasible plan:\n")
        for reason in failure.reasons:
            sys.stderr.write(f"  - {reason}\n")
    return EXIT_FAILED


@contextmanager
def guarded(as_json: bool) -> Iterator[list[int]]:
    """Turn input errors into exit code 2 and anything else into a one-line error, never a
    traceback. The yielded list receives the exit code."""
    code = [EXIT_OK]
    try:
        yield code
    except InvalidInputError as error:
        code[0] = report_issues(list(error.issues), as_json)
    except ForecastInputError as foreign:
        issues = [InputIssue(i.path, i.message) for i in foreign.issues]
        code[0] = report_issues(issues, as_json)
    except NoFeasiblePlanError as failure:
        code[0] = report_no_plan(failure, as_json)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code[0] = 130


class Progress:
    """Shows the search's progress: a rich progress bar on a terminal, JSON lines on stderr
    with ``--progress json``, nothing with ``--progress none``."""

    def __init__(self, mode: str, time_limit: float, label: str = "solving") -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "none"
        self.mode = mode
        self.time_limit = time_limit
        self.label = label
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.mode == "bar":
            from rich.console import Console
            from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=self.time_limit, status="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def event(self, payload: dict[str, Any]) -> None:
        if self.mode == "json":
            sys.stderr.write(json.dumps(_clean(payload)) + "\n")
            sys.stderr.flush()
        elif self._bar is not None:
            bound = payload.get("bound")
            text = f"best {payload.get('objective')}" + (
                f"  bound {bound}" if bound is not None else ""
            )
            self._bar.update(
                self._task, completed=min(self.time_limit, payload.get("time_s", 0)), status=text
            )

    def callback(self) -> Callable[[Any], None]:
        return lambda event: self.event(event.to_dict())


MAX_SECONDS = 7 * 24 * 3600.0
"""Longest time limit a command accepts (a week): anything longer is a typo or ``inf``."""
MAX_SEED = 2**31 - 1
"""Largest seed (the solvers' random seeds are 32-bit)."""


def seconds(text: str) -> float:
    """An argparse type: a finite, positive number of seconds, at most :data:`MAX_SECONDS`."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (0 < value <= MAX_SECONDS):  # also rejects nan
        raise argparse.ArgumentTypeError(
            f"{text} is not a usable time limit; give seconds above 0 and at most {MAX_SECONDS:.0f}"
        )
    return value


def whole(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (``what`` it counts, for the
    help text)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range; give {low} to {high}")
        return value

    parse.__doc__ = f"{what}: a whole number from {low} to {high}"
    return parse


count = whole(1, 64, "workers or processes")
seed = whole(0, MAX_SEED, "a random seed (the solvers' seeds are 32-bit)")
steps = whole(1, 10_000, "steps (horizons, seasons)")


def moment(text: str) -> datetime | int:
    """An argparse type: an ISO 8601 moment with a UTC offset, or whole minutes from the
    horizon start."""
    try:
        return parse_moment(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
