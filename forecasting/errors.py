"""Problems found in forecasting input, reported all at once with where each one is.

The forecasting package stands alone (it imports nothing from the planner); the planner turns
these into its own input errors with the scenario's field paths in front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class InputIssue:
    """One problem: ``path`` says where (``history.y``, ``horizon``), ``message`` what is wrong
    and, where possible, what to do about it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InvalidInputError(ValueError):
    """Raised when forecasting input cannot be used; carries every problem found."""

    def __init__(self, issues: Sequence[InputIssue], what: str = "input") -> None:
        self.issues: tuple[InputIssue, ...] = tuple(issues)
        self.what = what
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"invalid {what}: {len(self.issues)} problem(s)\n{lines}")
