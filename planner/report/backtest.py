"""The value-of-forecast backtest as a chart: realised cost and fill rate per method."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PARTS = ("setup", "holding", "shortage", "overtime")


def backtest_figure(months: pd.DataFrame, title: str = "Value of forecast") -> go.Figure:
    """Left: each method's realised cost over the window, by part. Right: its fill rate (share
    of the month's demand served within the month) per origin."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("realised cost over the window", "fill rate per origin"),
    )
    totals = months.groupby("method", sort=False)[list(PARTS)].sum()
    for part in PARTS:
        fig.add_trace(go.Bar(x=totals.index, y=totals[part], name=part), row=1, col=1)
    for method, rows in months.groupby("method", sort=False):
        share = rows["on_time"] / rows["demand"].where(rows["demand"] > 0)
        fig.add_trace(
            go.Scatter(x=rows["month"], y=share, name=f"{method} fill rate", mode="lines+markers"),
            row=1,
            col=2,
        )
    fig.update_layout(barmode="stack", title=title, yaxis2={"tickformat": ".0%"})
    return fig
