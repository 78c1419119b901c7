"""Forecasting benchmark: the planner's neural forecaster on real data, beside the peers.

M3 monthly (1,428 series, horizon 18): sMAPE and MASE of our model, of AutoETS and AutoTheta
(statsforecast, measured in the same run) and of the competition's own submissions; run
times of the models trained here.

Car parts (2,509 intermittent series, last 6 months held out): scaled pinball loss over the
quantiles 0.1 .. 0.9, coverage of the 80% interval, and an inventory simulation (each month
stock is raised to the forecast's quantile at the service level; fill rate against average
stock) for the zero forecast, seasonal naive, TSB, AutoETS and our model.

    python benchmarks/bench_forecasting.py m3
    python benchmarks/bench_forecasting.py carparts
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from results_table import write_table

from forecasting.data import quantile_column
from forecasting.metrics import coverage, insample_scale, mase, pinball, smape
from forecasting.models import TSB, NeuralForecaster, SeasonalNaive

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "forecasting"
GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _fix_years(frame: pd.DataFrame) -> pd.DataFrame:
    years = frame["ds"].str.slice(0, 4).astype(int)
    frame = frame.copy()
    old = years < 100
    frame.loc[old, "ds"] = (years[old] + 1900).astype(str) + frame.loc[old, "ds"].str.slice(4)
    frame["ds"] = pd.to_datetime(frame["ds"])
    return frame


def _point_scores(
    test: pd.DataFrame, train: pd.DataFrame, forecast: pd.DataFrame, column: str
) -> dict[str, float]:
    merged = test.merge(forecast[["unique_id", "ds", column]], on=["unique_id", "ds"])
    history = {u: g["y"].to_numpy(float) for u, g in train.groupby("unique_id")}
    s, m = [], []
    for uid, g in merged.groupby("unique_id"):
        y, f = g["y"].to_numpy(float), g[column].to_numpy(float)
        s.append(smape(y, f))
        m.append(mase(y, f, history[uid], 12))
    return {"smape": float(np.mean(s)), "mase": float(np.mean(m)), "series": len(s)}


def _statsforecast(
    train: pd.DataFrame, horizon: int, models: list[Any], levels: list[int] | None = None
) -> tuple[pd.DataFrame, float]:
    from statsforecast import StatsForecast

    started = time.perf_counter()
    sf = StatsForecast(models=models, freq="MS", n_jobs=min(2, os.cpu_count() or 1))
    out = (
        sf.forecast(df=train[["unique_id", "ds", "y"]], h=horizon, level=levels)
        if levels
        else sf.forecast(df=train[["unique_id", "ds", "y"]], h=horizon)
    )
    return (
        out.reset_index() if "unique_id" not in out.columns else out,
        time.perf_counter() - started,
    )


def run_m3(ensemble: int, seed: int) -> pd.DataFrame:
    from statsforecast.models import AutoETS, AutoTheta

    train = _fix_years(pd.read_csv(DATA / "m3_monthly_train.csv.gz"))
    test = _fix_years(pd.read_csv(DATA / "m3_monthly_test.csv.gz"))
    rows = []
    seconds: dict[str, float] = {}
    for peer in (AutoETS(season_length=12), AutoTheta(season_length=12)):
        name = type(peer).__name__
        predicted, seconds[name] = _statsforecast(train, 18, [peer])
        rows.append(
            {
                "method": f"{name} (statsforecast)",
                **_point_scores(test, train, predicted, name),
                "runtime_s": round(seconds[name], 1),
                "measured_here": True,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    ets_s = seconds["AutoETS"]
    # our training budget: at most 1.8x what AutoETS took in this run (inference comes on top)
    budget = 1.8 * ets_s
    started = time.perf_counter()
    model = NeuralForecaster(
        horizon=18, season=12, ensemble=ensemble, seed=seed, time_budget_s=budget
    )
    ours = model.fit(train).predict(18, (0.1, 0.5, 0.9))
    ours_s = time.perf_counter() - started
    rows.insert(
        0,
        {
            "method": f"planner neural (ensemble {ensemble})",
            **_point_scores(test, train, ours, "q50"),
            "runtime_s": round(ours_s, 1),
            "measured_here": True,
        },
    )
    print(json.dumps(rows[0]), flush=True)
    original = pd.read_csv(DATA / "m3_monthly_original_forecasts.csv.gz")
    steps = test.copy()
    steps["h"] = steps.groupby("unique_id").cumcount() + 1
    for method, group in original.groupby("method"):
        forecast = steps[["unique_id", "ds", "h"]].merge(
            group[["unique_id", "h", "y_hat"]], on=["unique_id", "h"]
        )
        rows.append(
            {
                "method": f"M3 submission: {method}",
                **_point_scores(test, train, forecast, "y_hat"),
                "runtime_s": None,
                "measured_here": False,
            }
        )
    table = pd.DataFrame(rows)
    table["smape"] = table["smape"].round(3)
    table["mase"] = table["mase"].round(3)
    ets_time = float(table.loc[table.method.str.startswith("AutoETS"), "runtime_s"].iloc[0])
    table["runtime_vs_autoets"] = (table["runtime_s"] / ets_time).round(2)
    write_table(
        table,
        f"forecasting_m3_ensemble{ensemble}",
        f"M3 monthly, horizon 18 (neural ensemble {ensemble}, seed {seed})",
    )
    return table


def _quantile_frame(frame: pd.DataFrame, name: str) -> dict[float, np.ndarray]:
    return {q: frame[quantile_column(q)].to_numpy(float) for q in GRID}


def _inventory(y: np.ndarray, stock: np.ndarray) -> tuple[float, float]:
    """Each period stock is raised to ``stock``; returns (fill rate, average stock left)."""
    served = np.minimum(y, stock)
    fill = served.sum() / y.sum() if y.sum() > 0 else 1.0
    return float(fill), float(np.maximum(stock - y, 0).mean())


def run_carparts(seed: int, ensemble: int) -> pd.DataFrame:
    from statsforecast.models import AutoETS

    data = pd.read_csv(DATA / "carparts.csv.gz")
    data["ds"] = pd.to_datetime(data["ds"])
    data = data.sort_values(["unique_id", "ds"])
    test = data.groupby("unique_id").tail(6)
    train = data.drop(test.index)
    ids = sorted(train["unique_id"].unique())
    y_test = test.sort_values(["unique_id", "ds"])["y"].to_numpy(float).reshape(len(ids), 6)
    histories = [g["y"].to_numpy(float) for _, g in train.groupby("unique_id")]
    methods: dict[str, np.ndarray] = {}
    timings: dict[str, float] = {}

    def grid_from(frame: pd.DataFrame) -> np.ndarray:
        frame = frame.sort_values(["unique_id", "ds"])
        return np.stack(
            [frame[quantile_column(q)].to_numpy(float).reshape(len(ids), 6) for q in GRID], axis=-1
        )

    methods["zero forecast"] = np.zeros((len(ids), 6, len(GRID)))
    for name, maker in (
        ("seasonal naive", lambda: SeasonalNaive(season=12)),
        ("TSB", lambda: TSB()),
    ):
        started = time.perf_counter()
        methods[name] = grid_from(maker().forecast(train, 6, GRID))
        timings[name] = time.perf_counter() - started
    levels = [20, 40, 60, 80]
    ets, timings["AutoETS (statsforecast)"] = _statsforecast(
        train, 6, [AutoETS(season_length=12)], levels
    )
    ets = ets.sort_values(["unique_id", "ds"])
    cols = []
    for q in GRID:
        if q == 0.5:
            cols.append(ets["AutoETS"].to_numpy(float))
        elif q < 0.5:
            cols.append(ets[f"AutoETS-lo-{round((1 - 2 * q) * 100)}"].to_numpy(float))
        else:
            cols.append(ets[f"AutoETS-hi-{round((2 * q - 1) * 100)}"].to_numpy(float))
    methods["AutoETS (statsforecast)"] = np.maximum(
        0, np.stack([c.reshape(len(ids), 6) for c in cols], axis=-1)
    )
    for distribution in ("quantile", "negbin"):
        started = time.perf_counter()
        model = NeuralForecaster(
            horizon=6, season=12, distribution=distribution, seed=seed, ensemble=ensemble
        )
        name = f"planner neural ({distribution})"
        methods[name] = grid_from(model.fit(train).predict(6, GRID))
        timings[name] = time.perf_counter() - started
    rows = []
    for name, grid in methods.items():
        sp = []
        for i, history in enumerate(histories):
            scale = insample_scale(history, 1)
            sp.append(
                np.mean([pinball(y_test[i], grid[i, :, k], q) for k, q in enumerate(GRID)]) / scale
            )
        cover = coverage(y_test.ravel(), grid[:, :, 0].ravel(), grid[:, :, -1].ravel())
        row: dict[str, Any] = {
            "method": name,
            "scaled_pinball": round(float(np.mean(sp)), 4),
            "coverage_80": round(100 * cover, 1),
        }
        for level, k in ((0.8, GRID.index(0.8)), (0.9, GRID.index(0.9))):
            fill, stock = _inventory(y_test.ravel(), np.round(grid[:, :, k].ravel()))
            row[f"fill_rate_at_q{int(level * 100)}"] = round(100 * fill, 1)
            row[f"avg_stock_at_q{int(level * 100)}"] = round(stock, 3)
        row["runtime_s"] = round(timings.get(name, 0.0), 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    table = pd.DataFrame(rows)
    write_table(
        table,
        "forecasting_carparts",
        "Car parts, last 6 months held out (scaled pinball: mean over q=0.1..0.9, "
        "scaled by the in-sample one-step naive error)",
    )
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", choices=("m3", "carparts"))
    parser.add_argument("--ensemble", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.dataset == "m3":
        print(run_m3(args.ensemble, args.seed).to_string(index=False))
    else:
        print(run_carparts(args.seed, args.ensemble).to_string(index=False))


if __name__ == "__main__":
    main()
