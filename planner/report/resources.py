"""How many units of each resource pool (operators, tools, fixtures) the plan holds over
time, against what the pool has."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner.model.data import ProblemData
from planner.report.energy import with_time


def pool_load(schedule: pd.DataFrame, data: ProblemData, pool: int) -> pd.DataFrame:
    """Units of ``pool`` held and available, as steps: one row per minute where either
    changes (``minute``, ``held``, ``capacity``)."""
    index = {(data.job_ids[data.op_job[o]], data.op_ids[o]): o for o in range(data.num_operations)}
    delta: dict[int, int] = {}
    for job, operation, setup_start, start, end in zip(
        schedule["job"],
        schedule["operation"],
        schedule["setup_start"],
        schedule["start"],
        schedule["end"],
        strict=True,
    ):
        o = index[(str(job), str(operation))]
        for p, lo, hi, units in data.holds(o, int(start), int(end), int(start - setup_start)):
            if p == pool:
                delta[lo] = delta.get(lo, 0) + units
                delta[hi] = delta.get(hi, 0) - units
    last = int(schedule["end"].max()) if len(schedule) else 0
    points = sorted({0, last, *delta, *(t for w in data.pool_windows[pool] for t in w[:2])})
    rows, held = [], 0
    for t in points:
        if t > last:
            break
        held += delta.get(t, 0)
        rows.append({"minute": t, "held": held, "capacity": data.pool_capacity_at(pool, t)})
    return with_time(pd.DataFrame(rows), data)


def resource_figure(
    schedule: pd.DataFrame, data: ProblemData, title: str = "Resource pools"
) -> go.Figure:
    """One chart per pool: the units the plan holds and the pool's capacity over time."""
    pools = len(data.pool_ids)
    fig = make_subplots(rows=pools, cols=1, shared_xaxes=True, subplot_titles=data.pool_ids)
    for pool in range(pools):
        load = pool_load(schedule, data, pool)
        x = load["time"] if "time" in load else load["minute"]
        for column, colour, fill in (("held", "#4C78A8", "tozeroy"), ("capacity", "#E45756", None)):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=load[column],
                    name=f"{data.pool_ids[pool]}: {column}",
                    line={"shape": "hv", "color": colour, "dash": "dot" if fill is None else None},
                    fill=fill,
                ),
                row=pool + 1,
                col=1,
            )
        fig.update_yaxes(title_text="units", row=pool + 1, col=1)
    fig.update_layout(title=title, height=max(300, 220 * pools + 100))
    return fig
