"""The plant's electrical load against the energy price, over the horizon."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner.model.data import ProblemData


def load_profile(schedule: pd.DataFrame, data: ProblemData, step: int = 15) -> pd.DataFrame:
    """Average site draw (kW) per ``step`` minutes: idle draw of every machine plus the extra
    draw of each running operation; and the price per MWh in force."""
    end = int(schedule["end"].max()) if len(schedule) else 0
    minutes = np.zeros(end + 1)
    index = {m: i for i, m in enumerate(data.machine_ids)}
    for machine, start, stop in zip(
        schedule["machine"], schedule["start"], schedule["end"], strict=True
    ):
        m = index[str(machine)]
        minutes[int(start) : int(stop)] += data.extra_power_kw[m]
    minutes += data.idle_power_total_kw
    bins = np.arange(0, end + 1, step)
    load = [float(minutes[b : b + step].mean()) for b in bins]
    price = (
        data.price_per_minute(0, end + 1)[bins]
        if data.hourly_prices is not None
        else np.full(len(bins), np.nan)
    )
    return with_time(pd.DataFrame({"minute": bins, "load_kw": load, "price_per_mwh": price}), data)


def with_time(frame: pd.DataFrame, data: ProblemData) -> pd.DataFrame:
    """``frame`` with a ``time`` column for its ``minute`` column, when the problem has a
    horizon start."""
    if data.horizon_start is not None:
        frame["time"] = pd.Timestamp(data.horizon_start) + pd.to_timedelta(
            frame["minute"], unit="min"
        )
    return frame


def energy_figure(
    schedule: pd.DataFrame, data: ProblemData, title: str = "Load and energy price"
) -> go.Figure:
    profile = load_profile(schedule, data)
    x = profile["time"] if "time" in profile else profile["minute"]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Scatter(
            x=x, y=profile["load_kw"], name="plant load (kW)", line={"shape": "hv"}, fill="tozeroy"
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=profile["price_per_mwh"],
            name=f"price ({data.currency}/MWh)",
            line={"shape": "hv", "color": "#E45756"},
        ),
        secondary_y=True,
    )
    if data.peak_power_kw is not None:
        fig.add_hline(y=data.peak_power_kw, line_dash="dot", annotation_text="site limit")
    fig.update_layout(title=title, height=450)
    fig.update_yaxes(title_text="kW", secondary_y=False)
    fig.update_yaxes(title_text=f"{data.currency}/MWh", secondary_y=True)
    return fig
