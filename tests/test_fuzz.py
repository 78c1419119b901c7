"""Fuzzing the boundary: mutated scenarios, what-if edits and command-line flags either work
or are rejected with a clear error (invalid input, or no feasible plan) whose paths name the
user's own fields; nothing else may escape (no internal error, no traceback)."""

from __future__ import annotations

import contextlib
import copy
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner
from planner.model.errors import InvalidInputError, NoFeasiblePlanError
from planner.scenario import Scenario

SMALL = Path(__file__).parent / "data" / "small" / "scenario.yaml"
FUZZ_EXAMPLES = int(os.environ.get("PLANNER_FUZZ_EXAMPLES", "150"))
"""Mutated scenarios per run (CI runs the default; set more to search harder)."""
BASE = planner.load_scenario(SMALL).raw()

ODD_VALUES = [
    None, "", "x", -1, 0, 1, 2.5, -1e-9, 1e300, -1e300, math.inf, -math.inf, math.nan, True,
    False, 2**70, [], {}, "2024-03-05T10:00:00", "2024-03-05T10:00:00+01:00", "25:99", [0, 0],
]  # fmt: skip


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(node, list):
        return [p for k, v in enumerate(node) for p in _leaves(v, (*path, k))] or [path]
    return [path]


LEAVES = [p for p in _leaves(BASE) if p]


def _set(raw: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        raw = raw[key]
    raw[path[-1]] = value


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    raw = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(LEAVES))
        value = draw(st.sampled_from(ODD_VALUES))
        with contextlib.suppress(KeyError, IndexError, TypeError):
            _set(raw, path, copy.deepcopy(value))  # unless an earlier one replaced the container
    return raw


def _names_a_user_field(path: str) -> bool:
    root = path.split(".")[0].split("[")[0].split(" ")[0]
    return root in Scenario.model_fields or root in ("scenario", "change", "frozen_until")


def _raised(call: Callable[[], object]) -> BaseException | None:
    """What ``call`` raised of the errors a user may see (``None`` if it returned); anything
    else propagates and fails the test."""
    try:
        call()
    except (InvalidInputError, NoFeasiblePlanError, SystemExit) as error:
        return error
    return None


def _inputs(raw: dict[str, Any]) -> None:
    from planner.io.scenario_files import read_scenario_files
    from planner.stages.inputs import planning_inputs

    loaded = planner.load_scenario(raw, base_dir=SMALL.parent)
    planning_inputs(loaded.scenario, read_scenario_files(loaded))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_a_mutated_scenario_is_accepted_or_rejected_by_field(raw: dict[str, Any]) -> None:
    error = _raised(lambda: _inputs(raw))
    assert error is None or isinstance(error, InvalidInputError)
    if error is not None:
        assert error.issues
        assert all(_names_a_user_field(issue.path) for issue in error.issues), error.issues


@settings(
    max_examples=max(6, FUZZ_EXAMPLES // 25),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated())
def test_a_mutated_scenario_plans_or_says_why(raw: dict[str, Any]) -> None:
    _plans_or_says_why(raw)


def _plans_or_says_why(raw: dict[str, Any]) -> None:
    """The whole plan: a feasible plan, issues naming the user's fields, or an explanation."""
    plans: list[planner.Plan] = []
    error = _raised(
        lambda: plans.append(
            planner.plan(planner.load_scenario(raw, base_dir=SMALL.parent), time_limit=3)
        )
    )
    if isinstance(error, InvalidInputError):
        assert all(_names_a_user_field(i.path) for i in error.issues), error.issues
    elif isinstance(error, NoFeasiblePlanError):
        assert error.reasons
    else:
        assert error is None and plans[0].feasible


EDITS = st.fixed_dictionaries(
    {"edit": st.sampled_from(["demand", "rush_order", "machine_down", "extra_shift", "nope"])},
    optional={
        "percent": st.sampled_from(ODD_VALUES),
        "products": st.sampled_from([["A0"], ["NOPE"], [], "A0", None]),
        "product": st.sampled_from(["A0", "NOPE", None, 3]),
        "quantity": st.sampled_from(ODD_VALUES),
        "due": st.sampled_from(ODD_VALUES),
        "machine": st.sampled_from(["CUT1", "NOPE", None]),
        "start": st.sampled_from(ODD_VALUES),
        "end": st.sampled_from(ODD_VALUES),
    },
)


@settings(max_examples=120, deadline=None)
@given(st.lists(EDITS, min_size=1, max_size=3))
def test_a_what_if_edit_applies_or_is_rejected_by_edit(edits: list[dict[str, Any]]) -> None:
    from planner.whatif import apply_change

    error = _raised(lambda: _inputs(apply_change(copy.deepcopy(BASE), edits)))
    assert error is None or isinstance(error, InvalidInputError)
    if error is not None:
        for issue in error.issues:
            assert issue.path.startswith("change[") or _names_a_user_field(issue.path), issue


FLAGS = ["--time-limit", "--workers", "--seed"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(FLAGS), st.one_of(st.text(max_size=12), st.sampled_from(ODD_VALUES)))
def test_a_flag_value_parses_or_exits_2(flag: str, value: Any) -> None:
    from planner.cli import build_parser

    text = str(value)
    if text.startswith("-") and not text[1:2].isdigit():
        text = " " + text  # argparse would read it as another option
    parsed: list[object] = []
    error = _raised(
        lambda: parsed.append(build_parser().parse_args(["solve-instance", "x", flag, text]))
    )
    if error is not None:
        assert isinstance(error, SystemExit) and error.code == 2
        return
    got = getattr(parsed[0], flag[2:].replace("-", "_"))
    assert got is not None and not (isinstance(got, float) and not math.isfinite(got))


@pytest.mark.parametrize("depth", [2000, 20000])
def test_deeply_nested_files_are_rejected_cleanly(tmp_path: Path, depth: int) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * depth + "]" * depth)
    with pytest.raises(InvalidInputError):
        planner.load_scenario(deep)


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_files_that_are_not_utf8_are_rejected_cleanly(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(SMALL.read_text().replace("name:", "name: Düsseldorf-").encode(encoding))
    with pytest.raises(InvalidInputError):
        planner.load_scenario(path)


def _get(raw: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        raw = raw[key]
    return raw


NUMERIC_LEAVES = [
    p
    for p in LEAVES
    if type(_get(BASE, p)) in (int, float)  # not bool
]
PLAUSIBLE = [0, 1, 0.001, 37, 1e6, 10**9]


@st.composite
def odd_but_valid(draw: st.DrawFn) -> dict[str, Any]:
    raw = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        _set(raw, draw(st.sampled_from(NUMERIC_LEAVES)), draw(st.sampled_from(PLAUSIBLE)))
    return raw


@settings(
    max_examples=max(8, FUZZ_EXAMPLES // 20),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(odd_but_valid())
def test_odd_but_plausible_numbers_plan_or_say_why(raw: dict[str, Any]) -> None:
    _plans_or_says_why(raw)
