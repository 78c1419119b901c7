"""Gantt chart of a plan: machines against time, coloured by setup family, with changeovers
and unavailability (maintenance, off-shift time) shown."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from planner.model.data import ProblemData

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#B279A2", "#E45756", "#72B7B2", "#EECA3B", "#9D755D"]


def gantt_figure(
    schedule: pd.DataFrame,
    data: ProblemData,
    title: str = "Schedule",
    late_orders: Collection[str] = (),
) -> go.Figure:
    """A plotly figure; times are datetimes when the problem has a horizon start. With an
    ``orders`` column, each bar's hover names the orders it serves, and bars that serve one of
    ``late_orders`` get a red outline (the operations a planner should look at first)."""
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
    served = (
        schedule["orders"].fillna("").astype(str)
        if "orders" in schedule
        else pd.Series("", index=schedule.index)
    )
    late = set(late_orders)
    at_risk = served.map(lambda ids: bool(late & set(ids.split(";"))) if ids else False)
    families = sorted(schedule["family"].dropna().unique())
    for k, family in enumerate(families):
        rows = schedule[schedule["family"] == family]
        risky = at_risk[rows.index]
        fig.add_trace(
            _bars(
                rows,
                at(rows["start"]),
                _length(rows["start"], rows["end"], base),
                name=str(family),
                marker={
                    "color": PALETTE[k % len(PALETTE)],
                    "line": {
                        "color": ["#D62728" if r else "white" for r in risky],
                        "width": [2.5 if r else 0.5 for r in risky],
                    },
                },
                hovertext=[
                    f"{j} / {o}<br>{p}<br>{int(s)}-{int(e)} min"
                    + (f"<br>orders {ids}" + (" (late)" if r else "") if ids else "")
                    for j, o, p, s, e, ids, r in zip(
                        rows["job"],
                        rows["operation"],
                        rows["product"],
                        rows["start"],
                        rows["end"],
                        served[rows.index],
                        risky,
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
