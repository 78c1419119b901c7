"""Gantt chart of a plan: machines against time, coloured by setup family, with changeovers
and unavailability (maintenance, off-shift time) shown."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from planner.model.data import ProblemData

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#B279A2", "#E45756", "#72B7B2", "#EECA3B", "#9D755D"]


def gantt_figure(schedule: pd.DataFrame, data: ProblemData, title: str = "Schedule") -> go.Figure:
    """A plotly figure; times are datetimes when the problem has a horizon start."""
    base = pd.Timestamp(data.horizon_start) if data.horizon_start else None

    def at(minutes: Any) -> Any:
        return base + pd.to_timedelta(minutes, unit="min") if base is not None else minutes

    fig = go.Figure()
    order = list(data.machine_ids)
    # unavailability first, underneath
    for kind, colour, opacity in (("off shift", "#DDDDDD", 0.6), ("maintenance", "#7F0000", 0.8)):
        xs, ys, texts = [], [], []
        for m, windows in enumerate(data.unavailable):
            for (a, b), reason in zip(windows, data.unavailable_reasons[m], strict=True):
                if (reason == "off shift") != (kind == "off shift") or a > schedule["end"].max():
                    continue
                xs += [at(a), at(b), None]
                ys += [data.machine_ids[m]] * 2 + [None]
                texts.append(reason)
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"color": colour, "width": 18},
                    opacity=opacity,
                    name=kind,
                    hoverinfo="name",
                )
            )
    setups = schedule[schedule["setup_before"] > 0]
    if len(setups):
        fig.add_trace(
            _bars(
                setups,
                at(setups["setup_start"]),
                _length(setups["setup_start"], setups["start"], base),
                name="changeover",
                marker={"color": "#444444", "pattern": {"shape": "/"}},
                hovertext=[f"changeover {int(v)} min" for v in setups["setup_before"]],
            )
        )
    families = sorted(schedule["family"].dropna().unique())
    for k, family in enumerate(families):
        rows = schedule[schedule["family"] == family]
        fig.add_trace(
            _bars(
                rows,
                at(rows["start"]),
                _length(rows["start"], rows["end"], base),
                name=str(family),
                marker={
                    "color": PALETTE[k % len(PALETTE)],
                    "line": {"color": "white", "width": 0.5},
                },
                hovertext=[
                    f"{j} / {o}<br>{p}<br>{int(s)}-{int(e)} min"
                    for j, o, p, s, e in zip(
                        rows["job"],
                        rows["operation"],
                        rows["product"],
                        rows["start"],
                        rows["end"],
                        strict=True,
                    )
                ],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        title=title,
        barmode="overlay",
        height=max(400, 40 * len(order) + 160),
        yaxis={"categoryorder": "array", "categoryarray": order[::-1], "title": "machine"},
        xaxis={"title": "time", "type": "date" if base is not None else "linear"},
        legend={"title": "family"},
    )
    return fig


def _bars(rows: pd.DataFrame, starts: Any, lengths: Any, **style: Any) -> go.Bar:
    """Horizontal bars, one per row, on the row's machine."""
    return go.Bar(base=starts, x=lengths, y=rows["machine"], orientation="h", **style)


def _length(start: pd.Series, end: pd.Series, base: pd.Timestamp | None) -> Any:
    minutes = (end - start).astype(float)
    return minutes * 60_000 if base is not None else minutes  # plotly date axes count milliseconds
