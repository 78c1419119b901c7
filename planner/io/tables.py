"""Reading CSV tables, with every failure turned into an input error under the user's field."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from planner.model.errors import InputIssue, InvalidInputError

READ_ERRORS = (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError)
"""What reading a CSV can raise for a bad or missing file."""


def read_table(
    path: str | Path,
    field: str,
    columns: Sequence[str] = (),
    what: str = "input",
    label: str | None = None,
) -> pd.DataFrame:
    """Read a CSV; ``field`` names it in errors (``demand.history_csv``, ``--schedule``),
    ``label`` says what it holds (its path by default), ``columns`` are required.

    Raises
    ------
    InvalidInputError
        When the file cannot be read or lacks a required column.
    """
    try:
        frame = pd.read_csv(path)
    except READ_ERRORS as error:
        raise InvalidInputError(
            [InputIssue(field, f"cannot read {label or path}: {error}")], what
        ) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            [InputIssue(field, f"missing column(s) {missing}; expected {list(columns)}")], what
        )
    return frame
