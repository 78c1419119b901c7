"""Where a benchmark writes its table: ``results/NAME.csv`` and ``results/NAME.md``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"


def write_table(table: pd.DataFrame, name: str, title: str) -> Path:
    """Write ``table`` as CSV and as a Markdown page headed ``title``; the Markdown path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    table.to_csv(RESULTS / f"{name}.csv", index=False)
    page = RESULTS / f"{name}.md"
    page.write_text(f"# {title}\n\n" + table.to_markdown(index=False) + "\n")
    return page
