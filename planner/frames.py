"""Small helpers for handing DataFrames to JSON."""

from __future__ import annotations

from typing import Any

import pandas as pd


def missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` as object dtype with every missing value replaced by ``None``.

    JSON has no NaN or NaT; ``None`` becomes ``null``.
    """
    missing: Any = None
    return frame.astype(object).where(frame.notna(), missing)
