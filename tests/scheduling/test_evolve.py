"""The evolution of the first plan's priorities: never worse, feasible, counted in operations
and repeatable by seed; the solver runs it on large problems with changeovers or calendars."""

from __future__ import annotations

from planner.check import check, compute_kpis
from planner.io.synthetic import synthetic_problem
from planner.model.settings import SearchTuning, SolverSettings
from planner.scheduling import solve
from planner.scheduling.construct import dispatch, dispatch_best
from planner.scheduling.evolve import evolve_dispatch
from tests.conftest import replanning


def _data():  # type: ignore[no-untyped-def]
    problem = synthetic_problem(60, 12, 6, seed=1, energy=False, due_dates=False)
    weights = problem.objective.model_copy(update={"makespan": 1.0, "weighted_tardiness": 0.0})
    return problem.model_copy(update={"objective": weights}).build()


def test_evolved_plans_are_feasible_and_never_worse() -> None:
    data = _data()
    start = dispatch_best(data, budget=20 * data.num_operations, restarts=5, seed=1)
    best, runs = evolve_dispatch(data, start, 60 * data.num_operations, lambda: 1e9, seed=2)
    assert runs == 60
    assert check(data, best.schedule).feasible
    assert best.value == compute_kpis(data, best.schedule).objective
    assert best.value <= start.value
    assert best.value < start.value  # on this factory it finds a better plan
    # the plan is made again from what it records
    assert best.shares is not None
    again = dispatch(data, best.rule, window=best.window, noise=0.3, shares=best.shares)
    assert (again.start == best.schedule.start).all()


def test_evolution_counts_operations_and_repeats_by_seed() -> None:
    data = _data()
    n = data.num_operations
    start = dispatch_best(data, budget=0)  # the rule as it is: no perturbation yet
    assert start.shares is None
    assert evolve_dispatch(data, start, n - 1, lambda: 1e9)[1] == 0
    assert evolve_dispatch(data, start, 10 * n, lambda: 0.0)[1] == 0  # no time left
    assert evolve_dispatch(data, start, 10 * n, lambda: 1e9, stop=lambda: True)[1] == 0
    first, again = (evolve_dispatch(data, start, 15 * n, lambda: 1e9, seed=5) for _ in range(2))
    assert first[1] == again[1] == 15
    assert first[0].name == again[0].name
    assert (first[0].schedule.start == again[0].schedule.start).all()


def test_the_evolution_finds_better_plans_than_independent_restarts_alone() -> None:
    # it keeps what worked: over several seeds its best is at least as good on average
    data = _data()
    n = data.num_operations
    gains = []
    for seed in range(3):
        start = dispatch_best(data, budget=30 * n, restarts=20, seed=seed)
        best, _ = evolve_dispatch(data, start, 40 * n, lambda: 1e9, seed=seed)
        gains.append(start.value - best.value)
    assert min(gains) >= 0 and sum(gains) > 0


def test_the_solver_evolves_the_first_plan_on_large_problems_with_changeovers() -> None:
    data = _data()
    settings = SolverSettings(
        time_limit_s=4,
        workers=1,
        strategy="lns",
        tuning=SearchTuning(dispatch_rate=5_000, evolve_share=0.5),
    )
    result = solve(data, settings)
    assert result.feasible
    runs = result.stats["evolve_runs"]
    # 0.5 * 4 s at 5,000 operations per second, in whole runs of 360 operations: 27 at most
    assert isinstance(runs, int) and 0 < runs <= 10_000 // data.num_operations
    off = solve(data, settings.model_copy(update={"tuning": SearchTuning(evolve_share=0.0)}))
    assert off.stats["evolve_runs"] == 0
    # a repeatable run (iterations or steps capped) leaves it out: it also stops on the clock
    for cap in ({"lns_max_iterations": 2}, {"tabu_max_steps": 50}):
        capped = solve(data, settings.model_copy(update=cap))
        assert "evolve_runs" not in capped.stats


def test_re_planning_against_a_previous_plan_leaves_the_evolution_out() -> None:
    """The rules know nothing of a previous plan: evolving their plans, which move
    everything, would spend half the time on plans the stability term rules out."""
    data = _data()
    settings = SolverSettings(
        time_limit_s=4, workers=1, strategy="lns", tuning=SearchTuning(dispatch_rate=5_000)
    )
    previous = dispatch_best(data).schedule
    against = replanning(data, zip(previous.machine, previous.start, strict=True))
    assert against.stability_priced
    result = solve(against, settings, initial=previous)
    assert result.feasible
    assert "evolve_runs" not in result.stats
