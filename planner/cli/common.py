"""Shared CLI plumbing: exit codes, error output, JSON printing, progress display."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from planner.model.errors import InputIssue, InvalidInputError

EXIT_OK = 0
EXIT_FAILED = 1
"""The run finished but produced no feasible plan (or an internal error occurred)."""
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


def report_issues(issues: tuple[InputIssue, ...] | list[InputIssue], as_json: bool) -> int:
    """Print every problem found (a JSON list with ``--json``) and return exit code 2."""
    if as_json:
        print_json([issue.to_dict() for issue in issues])
    else:
        sys.stderr.write(f"error: {len(issues)} problem(s) in the input:\n")
        for issue in issues:
            sys.stderr.write(f"  - {issue}\n")
    return EXIT_INVALID


@contextmanager
def guarded(as_json: bool) -> Iterator[list[int]]:
    """Turn input errors into exit code 2 and anything else into a one-line error, never a
    traceback. The yielded list receives the exit code."""
    code = [EXIT_OK]
    try:
        yield code
    except InvalidInputError as error:
        code[0] = report_issues(list(error.issues), as_json)
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
