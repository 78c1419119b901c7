"""Provenance of the default factory's data files (run once; the outputs are committed).

* ``data/demand_history.csv``: 20 monthly series from the M3 competition (Makridakis & Hibon
  2000; via R. J. Hyndman's Mcomp package, GPL-3), INDUSTRY and MICRO categories, chosen for
  moderate noise and a yearly pattern; the last 38 months of each are re-dated to 2021-01 ..
  2024-02 and rescaled to the product's typical monthly volume in units.
* ``data/production_log.csv``: simulated runs of the last six months on the routings'
  machines: minutes per unit around the nominal rate with noise, one laser slowly wearing.

Needs the shared data folder: ``python make_data.py /path/to/shared/data/forecasting``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parents[1]


def pick_series(folder: Path, count: int) -> list[str]:
    train = pd.read_csv(folder / "m3_monthly_train.csv")
    info = pd.read_csv(folder / "m3_monthly_info.csv")
    chosen = []
    for uid in sorted(info[info.type.isin(["INDUSTRY", "MICRO"])].unique_id):
        y = train[train.unique_id == uid].y.to_numpy()
        if len(y) < 60 or (y <= 0).any():
            continue
        tail = y[-38:]
        cv = np.std(np.diff(tail)) / np.mean(tail)
        lag12 = np.corrcoef(tail[12:], tail[:-12])[0, 1]
        if 0.06 <= cv <= 0.3 and lag12 > 0.3:
            chosen.append(uid)
    rng = np.random.default_rng(2024)
    return sorted(rng.choice(chosen, size=count, replace=False).tolist())


def main(folder: Path) -> None:
    scenario = yaml.safe_load((HERE / "scenario.yaml").read_text())
    products = scenario["products"]
    volumes = {
        p["id"]: v
        for p, v in zip(products, np.linspace(80, 900, len(products)).round(), strict=True)
    }
    train = pd.read_csv(folder / "m3_monthly_train.csv")
    series = pick_series(folder, len(products))
    months = pd.date_range("2021-01-01", periods=38, freq="MS")
    rows = []
    for product, uid in zip(products, series, strict=True):
        y = train[train.unique_id == uid].y.to_numpy()[-38:]
        units = np.round(y / y.mean() * volumes[product["id"]])
        rows += [
            {"unique_id": product["id"], "ds": d.date().isoformat(), "y": float(u), "source": uid}
            for d, u in zip(months, units, strict=True)
        ]
    pd.DataFrame(rows).to_csv(HERE / "data" / "demand_history.csv", index=False)

    rng = np.random.default_rng(7)
    log = []
    for product in products:
        for step in product["routing"]:
            for option in step["machines"]:
                for day in pd.date_range("2023-09-01", "2024-02-28", freq="3D"):
                    if rng.random() < 0.5:
                        continue
                    quantity = int(rng.integers(20, 200))
                    wear = (
                        1 + 0.08 * (day - pd.Timestamp("2023-09-01")).days / 180
                        if option["machine"] == "LASER2"
                        else 1.0
                    )
                    rate = option["minutes_per_unit"] * wear * rng.lognormal(0.03, 0.08)
                    log.append(
                        {
                            "timestamp": (
                                day + pd.Timedelta(hours=int(rng.integers(6, 20)))
                            ).isoformat(),
                            "machine": option["machine"],
                            "product": product["id"],
                            "quantity": quantity,
                            "minutes": round(rate * quantity + option.get("fixed_minutes", 0), 1),
                        }
                    )
    pd.DataFrame(log).sort_values("timestamp").to_csv(
        HERE / "data" / "production_log.csv", index=False
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
