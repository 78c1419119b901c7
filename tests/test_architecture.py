"""The dependency rules of the code base, checked on its import statements (an AST walk, so
nothing is imported to check them):

* ``forecasting`` stands alone: it imports nothing from ``planner``;
* the input layer (``planner.model``, ``planner.scenario``, ``planner.io``) imports no solver
  and no orchestration;
* the solvers (``planner.scheduling``, ``planner.lotsizing``) and the stages of a run read no
  files (``planner.io`` does); the solvers import neither
  the input layer's readers nor the orchestration; lot sizing does not import the scheduler
  (the loop between them lives in ``planner.stages``);
* the checker imports no solver;
* ``planner.model`` stays light: no solver library, no PyTorch.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

ORCHESTRATION = ("planner.pipeline", "planner.stages", "planner.batch", "planner.whatif")
SOLVERS = ("planner.scheduling", "planner.lotsizing")
READERS = ("planner.io", "planner.scenario")
SOLVER_LIBRARIES = ("ortools", "highspy", "pyomo", "numba", "torch")
FILE_CALLS = {"open", "read_csv", "read_text", "read_bytes", "read_json", "read_parquet"}

RULES: list[tuple[str, tuple[str, ...]]] = [
    ("forecasting", ("planner",)),
    ("planner.model", (*SOLVERS, *READERS, *ORCHESTRATION, "forecasting", *SOLVER_LIBRARIES)),
    ("planner.scenario", (*SOLVERS, *ORCHESTRATION)),
    ("planner.io", (*SOLVERS, *ORCHESTRATION)),
    ("planner.scheduling", (*READERS, *ORCHESTRATION, "planner.lotsizing", "planner.report")),
    ("planner.lotsizing", (*READERS, *ORCHESTRATION, "planner.scheduling", "planner.report")),
    ("planner.check", (*SOLVERS, *ORCHESTRATION, *SOLVER_LIBRARIES)),
]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources(package: str) -> list[Path]:
    base = ROOT / package.replace(".", "/")
    single = base.with_suffix(".py")
    return [single] if single.exists() else sorted(base.rglob("*.py"))


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize(("package", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_imports_point_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    broken = [
        f"{_module(path)} imports {name}"
        for path in _sources(package)
        if "scenarios" not in path.parts  # the embedded scenarios' data tools are not code
        for name in _imports(path)
        if any(_inside(name, f) for f in forbidden)
    ]
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("package", [*SOLVERS, "planner.stages", "planner.pipeline"])
def test_solvers_and_stages_read_no_files(package: str) -> None:
    """Files are read in ``planner.io`` (and the plan file's reader), nowhere in a solver or
    in the stages of a run."""
    calls = []
    for path in _sources(package):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                silencing = bool(node.args) and getattr(node.args[0], "attr", "") == "devnull"
                if name in FILE_CALLS and not silencing:
                    calls.append(f"{_module(path)}:{node.lineno} calls {name}")
    assert not calls, "\n".join(calls)


def test_the_rules_see_the_code() -> None:
    """The walk finds the modules and their imports (so the rules above cannot pass by
    looking at nothing)."""
    assert len(_sources("planner.scheduling")) > 10
    assert "planner.model" in " ".join(_imports(ROOT / "planner" / "scheduling" / "solve.py"))
    assert _sources("planner.check") == [ROOT / "planner" / "check.py"]
