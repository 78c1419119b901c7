"""Problems found in user input, reported all at once with the path to each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InputIssue:
    """One problem found in the input.

    Parameters
    ----------
    path
        Where the problem is, e.g. ``jobs[3].operations[1].machines``.
    message
        What is wrong and, where possible, what to do about it.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class InvalidInputError(ValueError):
    """Raised when input cannot be used; carries every problem found, not only the first."""

    def __init__(self, issues: Sequence[InputIssue], what: str = "input") -> None:
        self.issues: tuple[InputIssue, ...] = tuple(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"invalid {what}: {len(self.issues)} problem(s)\n{lines}")

    def to_list(self) -> list[dict[str, str]]:
        return [issue.to_dict() for issue in self.issues]


def format_loc(loc: Iterable[Any]) -> str:
    """Turn a pydantic-style location tuple into ``a.b[3].c``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def issues_from_pydantic(error: Any, prefix: str = "") -> list[InputIssue]:
    """Convert a :class:`pydantic.ValidationError` into input issues with paths."""
    issues = []
    for item in error.errors(include_url=False):
        if item["type"] == "too_short" and len(item.get("input") or ()) > 0:
            continue  # a cascade: the items were given but one of them failed
        loc = [p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        path = format_loc(loc)
        if prefix:
            path = f"{prefix}.{path}" if path and not path.startswith("[") else prefix + path
        message = str(item["msg"])
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        issues.append(InputIssue(path, message))
    return issues


def index_ids(ids: Iterable[str], path: str, what: str) -> tuple[dict[str, int], list[InputIssue]]:
    """The first position of each id, and one issue per repeated id.

    ``path`` is the list's path (``"machines"``); a repeat at position ``k`` is reported at
    ``{path}[k].id`` and names where the id first appeared.
    """
    index: dict[str, int] = {}
    issues: list[InputIssue] = []
    for k, item in enumerate(ids):
        if item in index:
            issues.append(
                InputIssue(
                    f"{path}[{k}].id",
                    f"duplicate {what} id {item!r} (also {path}[{index[item]}]): make ids unique",
                )
            )
        else:
            index[item] = k
    return index, issues


def under_field(error: Any, field: str, what: str = "scenario") -> InvalidInputError:
    """An error from another package (the forecasting package's input errors: anything with
    ``issues`` of ``path`` and ``message``) as the planner's, each problem reported under the
    user's own ``field`` (``production_log_csv (log.minutes)``)."""
    return InvalidInputError(
        [
            InputIssue(f"{field} ({i.path})" if field and i.path else field or i.path, i.message)
            for i in error.issues
        ],
        what,
    )


class NoFeasiblePlanError(RuntimeError):
    """Raised when the input is valid but no feasible plan exists, or none was found within
    the time limit: for example demand beyond capacity with ``shortage: none``, or pinned
    operations that collide. ``reasons`` say which stage failed and why (``path`` names the
    stage: ``lot_sizing``, ``sequencing``); the CLI exits with code 1, not 2."""

    def __init__(self, reasons: Sequence[InputIssue]) -> None:
        self.reasons: tuple[InputIssue, ...] = tuple(reasons)
        lines = "\n".join(f"  - {reason}" for reason in self.reasons)
        super().__init__(f"no feasible plan:\n{lines}")

    def to_list(self) -> list[dict[str, str]]:
        return [reason.to_dict() for reason in self.reasons]
