"""What ``auto`` resolves to, and the full model priced at a coarser energy resolution: one tiny
model per rule, and the promise that an approximate model's progress and bound are honest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from planner.model import Problem, SolverSettings
from planner.model.settings import SearchTuning
from planner.scheduling import solve
from planner.scheduling.bounds import objective_lower_bound
from planner.scheduling.strategy import choose_strategy, full_model_resolution
from tests.conftest import assert_checked, job, machine, op, problem

PRICES = [100.0, 10.0] * 24  # an expensive hour, then a cheap one
ENERGY = {"makespan": 0.001, "energy_cost": 1}


def shop(*, flexible: bool, energy: bool, jobs: int = 3, stability: bool = False) -> Problem:
    """``jobs`` one-step jobs of uneven length on two machines (each may run on both when
    ``flexible``), released at odd minutes, with alternating hourly prices when ``energy``;
    with ``stability``, re-planned from a previous plan that moving work away from costs."""
    options = (("M1", 50), ("M2", 70)) if flexible else (("M1", 50),)
    was = {"previous": {"machine": "M1", "start": 100}} if stability else {}
    objective = ENERGY if energy else {"makespan": 1}
    return problem(
        horizon_start=datetime(2024, 6, 1),
        machines=[machine("M1", power_kw=1000), machine("M2", power_kw=800)],
        jobs=[
            job(f"J{k}", op("o", *options, **was), release=17 * k + 7, due=600) for k in range(jobs)
        ],
        tariff={"hourly_prices": PRICES} if energy else None,
        objective={**objective, "stability": 5} if stability else objective,
    )


def test_the_full_model_coarsens_its_energy_slots_until_they_fit() -> None:
    data = shop(flexible=True, energy=True).build()
    slots = data.num_operations * (data.horizon // 30 + 1)
    settings = SolverSettings(energy_resolution_min=30)
    assert full_model_resolution(data, settings) == 30  # few slots: the setting's
    tight = settings.with_overrides(tuning=SearchTuning(full_model_energy_slots=slots // 3))
    assert full_model_resolution(data, tight) == 120  # 30 -> 60 -> 120: a quarter of them
    capped = tight.with_overrides(
        tuning=SearchTuning(full_model_energy_slots=slots // 3, full_model_max_resolution_min=90)
    )
    assert full_model_resolution(data, capped) == 60  # no coarser than the cap allows
    plain = shop(flexible=True, energy=False).build()
    assert full_model_resolution(plain, tight) == 30  # energy not priced: nothing to coarsen


def test_auto_gives_the_full_model_the_whole_budget_when_energy_or_stability_is_priced() -> None:
    settings = SolverSettings()
    assert choose_strategy(shop(flexible=True, energy=True).build(), settings) == "cpsat"
    assert choose_strategy(shop(flexible=True, energy=False).build(), settings) == "hybrid"
    replanned = shop(flexible=True, energy=False, stability=True).build()
    assert choose_strategy(replanned, settings) == "cpsat"
    assert choose_strategy(shop(flexible=False, energy=True).build(), settings) == "cpsat"
    assert choose_strategy(shop(flexible=False, energy=False).build(), settings) == "cpsat"


def test_an_approximate_full_model_reports_the_checkers_objective_and_not_its_bound() -> None:
    p = shop(flexible=True, energy=True, jobs=6)
    data = p.build()
    settings = SolverSettings(
        time_limit_s=5, workers=1, strategy="cpsat", energy_resolution_min=120
    )
    result = solve(data, settings)
    assert_checked(result, data)
    assert result.objective is not None
    # every objective the progress reported is one the checker gave a plan of this run, so
    # the returned plan is at least as good as the best of them
    assert result.objective <= min(e.objective for e in result.progress) + 1e-9
    # the model's bound is on its own pricing, not the plan's: the bound reported is the
    # one computed on the checker's objective before the search
    static = objective_lower_bound(data)
    assert static is not None and result.best_bound == pytest.approx(static)
    assert static <= result.objective + 1e-9
    assert all(e.bound is None or e.bound == static for e in result.progress)
    assert result.status == "feasible"


def test_the_full_model_follows_its_hint_for_the_set_number_of_conflicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``SearchTuning.full_model_hint_conflicts`` reaches CP-SAT as ``hint_conflict_limit``
    when the full model has a hint, and with a positive limit the hint (the first plan) is the
    full model's first solution."""
    from planner.scheduling.cpsat import SchedulingModel

    original = SchedulingModel.solve
    asked: list[dict[str, object] | None] = []
    reported: list[float] = []

    def recording(self: SchedulingModel, *args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("extra"))
        hook = kwargs["on_solution"]

        def recorded(value: float, bound: float) -> None:
            reported.append(value)
            hook(value, bound)

        return original(self, *args, **(kwargs | {"on_solution": recorded}))

    monkeypatch.setattr(SchedulingModel, "solve", recording)
    data = shop(flexible=True, energy=False, jobs=4).build()  # first plan 157, optimum 147
    for conflicts in (0, 7):
        reported.clear()
        settings = SolverSettings(tuning=SearchTuning(full_model_hint_conflicts=conflicts))
        result = solve(data, settings, time_limit=5, workers=1, strategy="cpsat")
        assert_checked(result, data)
        assert result.status == "optimal"
        assert asked[-1] == {"hint_conflict_limit": conflicts}
        assert result.objective == 147
        if conflicts:
            first_plan = result.progress[0]
            assert first_plan.source.startswith("dispatch") and first_plan.objective > 147
            assert reported[0] == first_plan.objective
