"""What-if runs: change a scenario, plan the variant warm-started from the base, compare.

A change is either a JSON merge patch (RFC 7386) on the scenario, or a list of named edits:

* ``{"edit": "machine_down", "machine": "COAT1", "start": "...", "end": "..."}``
* ``{"edit": "demand", "percent": 20, "products": ["P01-bracket"]}`` (all products if omitted)
* ``{"edit": "rush_order", "product": "...", "quantity": 50, "due": "...", "priority": 5}``
* ``{"edit": "tariff", "prices_csv": "../data/prices/FR_2024.csv"}``
* ``{"edit": "extra_shift", "start": "22:00", "end": "06:00", "days": [0, 1, 2, 3, 4],
  "crew": {"operators": 3}}`` (pools given per shift get the crew named for the new shift,
  else as many as on the last shift)

Relative paths in a change resolve against the base scenario's folder.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.frames import missing_as_none
from planner.model.errors import InputIssue, InvalidInputError
from planner.pipeline import ScenarioLike, plan
from planner.plans import Plan
from planner.scenario import load_scenario

EDITS = ("machine_down", "demand", "rush_order", "tariff", "extra_shift")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, ``null`` deletes, anything else
    replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def apply_change(raw: dict[str, Any], change: Any) -> dict[str, Any]:
    """The scenario data with ``change`` applied (see the module docstring)."""
    if isinstance(change, Mapping) and "edits" in change:
        change = change["edits"]
    if isinstance(change, Mapping) and "edit" in change:
        change = [change]
    if isinstance(change, list):
        out = copy.deepcopy(raw)
        issues = []
        for k, edit in enumerate(change):
            try:
                out = _edit(out, edit)
            except (KeyError, TypeError, ValueError) as error:
                issues.append(InputIssue(f"change[{k}]", str(error).strip("'\"")))
        if issues:
            raise InvalidInputError(issues, "change")
        return out
    if isinstance(change, Mapping):
        patched: dict[str, Any] = merge_patch(raw, change)
        return patched
    raise InvalidInputError(
        [InputIssue("change", "a change is a merge-patch object or a list of named edits")],
        "change",
    )


def _edit(raw: dict[str, Any], edit: Mapping[str, Any]) -> dict[str, Any]:
    kind = edit.get("edit")
    if kind not in EDITS:
        raise ValueError(f"unknown edit {kind!r}; choose from {list(EDITS)}")
    if kind == "machine_down":
        window = {
            "machine": edit["machine"],
            "start": edit["start"],
            "end": edit["end"],
            "reason": edit.get("reason", "breakdown"),
        }
        raw["factory"]["calendar"].setdefault("maintenance", []).append(window)
    elif kind == "demand":
        percent = float(edit["percent"])
        if not math.isfinite(percent) or percent <= -100 or percent > 10_000:
            raise ValueError(
                f"percent must be a number above -100 and at most 10000, got {percent}"
            )
        factor = 1 + percent / 100
        demand = raw.setdefault("demand", {})
        known = [p["id"] for p in raw["products"]]
        products = edit.get("products") or known
        unknown = sorted(set(products) - set(known))
        if unknown:
            raise ValueError(f"unknown product(s) {unknown}; choose from {known}")
        scale = dict(demand.get("product_scale") or {})
        for pid in products:
            scale[pid] = scale.get(pid, 1.0) * factor
        demand["product_scale"] = scale
    elif kind == "rush_order":
        orders = raw.setdefault("demand", {}).setdefault("orders", [])
        orders.append(
            {
                "id": edit.get("id", f"RUSH-{len(orders) + 1}"),
                "product": edit["product"],
                "quantity": edit["quantity"],
                "due": edit["due"],
                "priority": edit.get("priority", 5),
            }
        )
    elif kind == "tariff":
        raw["tariff"] = {**(raw.get("tariff") or {}), "prices_csv": edit["prices_csv"]}
    elif kind == "extra_shift":
        calendar = raw["factory"]["calendar"]
        calendar["shifts"] = [
            *calendar.get("shifts", []),
            {"start": edit["start"], "end": edit["end"]},
        ]
        if "days" in edit:
            calendar["working_days"] = sorted(
                set(calendar.get("working_days", [])) | set(edit["days"])
            )
        crew = edit.get("crew") or {}
        if not isinstance(crew, Mapping):
            raise TypeError("crew names the units of each resource pool on the new shift")
        for pool in raw["factory"].get("resources", []):
            if pool.get("shift_capacity"):  # the new shift's crew: given, else the last shift's
                units = crew.get(pool["id"], pool["shift_capacity"][-1])
                pool["shift_capacity"] = [*pool["shift_capacity"], units]
    return raw


@dataclass
class WhatIf:
    """A base plan, a variant plan, and what changed between them."""

    base: Plan
    variant: Plan
    change: Any
    deltas: dict[str, Any] = field(default_factory=dict)
    changed: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": {"scenario": self.base.scenario, "kpis": self.base.kpis.model_dump()},
            "variant": {
                "scenario": self.variant.scenario,
                "kpis": self.variant.kpis.model_dump(),
            },
            "delta": self.deltas,
            "changed_assignments": self.changed.to_dict(orient="records"),
            "changed_count": len(self.changed),
            "late_jobs_explained": self.variant.explain()[:10],
            "change": self.change,
        }


def whatif(
    base: ScenarioLike,
    change: Any,
    *,
    time_limit: float | None = None,
    base_plan: Plan | None = None,
) -> WhatIf:
    """Plan the base (unless given) and the changed scenario, warm-started from the base."""
    loaded = load_scenario(base)
    if base_plan is None:
        base_plan = plan(loaded, time_limit=time_limit)
    raw = apply_change(loaded.raw(), change)
    raw["name"] = f"{loaded.scenario.name}+whatif"
    variant_loaded = load_scenario(raw, base_dir=loaded.base_dir)
    variant = plan(variant_loaded, time_limit=time_limit, previous_plan=base_plan)
    return WhatIf(
        base_plan,
        variant,
        change,
        _deltas(base_plan.kpis.model_dump(), variant.kpis.model_dump()),
        _changed(base_plan, variant),
    )


def _deltas(base: Mapping[str, Any], variant: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in variant.items():
        old = base.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            nested = _deltas(old, value)
            if nested:
                out[key] = nested
        elif (
            isinstance(value, int | float)
            and isinstance(old, int | float)
            and not isinstance(value, bool)
        ):
            out[key] = round(value - old, 6)
    return out


def _changed(base: Plan, variant: Plan) -> pd.DataFrame:
    columns = ["job", "operation", "machine", "start", "end"]
    merged = base.schedule[columns].merge(
        variant.schedule[columns],
        on=["job", "operation"],
        how="outer",
        suffixes=("_base", "_variant"),
        indicator=True,
    )
    moved = (
        (merged["_merge"] != "both")
        | (merged["machine_base"] != merged["machine_variant"])
        | (merged["start_base"] != merged["start_variant"])
    )
    out = merged[moved].copy()
    out["change"] = out["_merge"].map(
        {"left_only": "removed", "right_only": "added", "both": "moved"}
    )
    out = out.drop(columns="_merge")
    return missing_as_none(out).reset_index(drop=True)


def load_change(source: Any) -> Any:
    """A change from a file path (JSON/YAML) or already parsed data."""
    from pathlib import Path

    from planner.io.problem_file import read_structured

    if isinstance(source, str | Path):
        return read_structured(Path(source))
    return source


__all__ = ["WhatIf", "apply_change", "load_change", "merge_patch", "whatif"]
