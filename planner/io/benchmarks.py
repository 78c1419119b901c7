"""Readers for the standard benchmark formats, into :class:`~planner.model.Problem`.

* Job shop (Taillard/Lawrence/Fisher-Thompson "standard" format): first line ``jobs machines``,
  then one line per job of ``machine duration`` pairs with 0-based machines.
* Flexible job shop (Brandimarte ``.fjs``, also Hurink's sets): first line
  ``jobs machines [average machines per operation]``, then one line per job: the number of
  operations, and per operation ``k`` followed by ``k`` pairs ``machine duration`` with
  1-based machines.
"""

from __future__ import annotations

from pathlib import Path

from planner.model import Job, Machine, MachineOption, Operation, Problem
from planner.model.errors import InputIssue, InvalidInputError


def _read_numbers(path: str | Path) -> tuple[list[list[int]], Path]:
    file = Path(path)
    try:
        text = file.read_text()
    except OSError as error:
        raise InvalidInputError(
            [InputIssue(str(file), f"cannot read the file: {error.strerror or error}")], "instance"
        ) from None
    rows: list[list[int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append([int(float(token)) for token in line.split()])
        except ValueError:
            raise InvalidInputError(
                [InputIssue(f"{file.name}:{number}", f"not a line of numbers: {line.strip()!r}")],
                "instance",
            ) from None
    if not rows or len(rows[0]) < 2:
        raise InvalidInputError(
            [InputIssue(f"{file.name}:1", "first line must hold the numbers of jobs and machines")],
            "instance",
        )
    return rows, file


def _header(rows: list[list[int]], file: Path) -> tuple[int, int, list[InputIssue]]:
    n_jobs, n_machines = rows[0][0], rows[0][1]
    issues = []
    if len(rows) - 1 < n_jobs:
        issues.append(InputIssue(file.name, f"header says {n_jobs} jobs, found {len(rows) - 1}"))
    return n_jobs, n_machines, issues


def _problem(file: Path, n_machines: int, jobs: list[Job], issues: list[InputIssue]) -> Problem:
    if issues:
        raise InvalidInputError(issues, "instance")
    machines = tuple(Machine(id=f"M{m}") for m in range(n_machines))
    return Problem(name=file.stem, machines=machines, jobs=tuple(jobs))


def read_jobshop(path: str | Path) -> Problem:
    """Read a job-shop instance in the standard format (0-based machines)."""
    rows, file = _read_numbers(path)
    n_jobs, n_machines, issues = _header(rows, file)
    jobs: list[Job] = []
    for j, row in enumerate(rows[1 : 1 + n_jobs]):
        if len(row) % 2:
            issues.append(
                InputIssue(f"{file.name}:{j + 2}", "odd count: expected machine/duration pairs")
            )
            continue
        operations = []
        for k in range(0, len(row), 2):
            machine, duration = row[k], row[k + 1]
            if not 0 <= machine < n_machines:
                issues.append(
                    InputIssue(
                        f"{file.name}:{j + 2}", f"machine {machine} outside 0..{n_machines - 1}"
                    )
                )
            if duration < 0:
                issues.append(InputIssue(f"{file.name}:{j + 2}", f"negative duration {duration}"))
            operations.append(
                Operation(
                    id=f"O{k // 2}",
                    machines=(MachineOption(machine=f"M{machine}", duration=max(0, duration)),),
                )
            )
        jobs.append(Job(id=f"J{j}", operations=tuple(operations)))
    return _problem(file, n_machines, jobs, issues)


def read_fjs(path: str | Path) -> Problem:
    """Read a flexible job-shop instance in Brandimarte's ``.fjs`` format (1-based machines)."""
    rows, file = _read_numbers(path)
    n_jobs, n_machines, issues = _header(rows, file)
    jobs: list[Job] = []
    for j, row in enumerate(rows[1 : 1 + n_jobs]):
        where = f"{file.name}:{j + 2}"
        try:
            n_ops, pos = row[0], 1
            operations = []
            for k in range(n_ops):
                count = row[pos]
                pos += 1
                options = []
                for _ in range(count):
                    machine, duration = row[pos], row[pos + 1]
                    pos += 2
                    if not 1 <= machine <= n_machines:
                        issues.append(
                            InputIssue(where, f"machine {machine} outside 1..{n_machines}")
                        )
                    if duration < 0:
                        issues.append(InputIssue(where, f"negative duration {duration}"))
                    options.append(
                        MachineOption(machine=f"M{machine - 1}", duration=max(0, duration))
                    )
                if not options:
                    issues.append(InputIssue(where, f"operation {k} has no eligible machine"))
                operations.append(Operation(id=f"O{k}", machines=tuple(options)))
        except IndexError:
            issues.append(
                InputIssue(where, "line ends early: fewer numbers than its counts announce")
            )
            continue
        jobs.append(Job(id=f"J{j}", operations=tuple(operations)))
    return _problem(file, n_machines, jobs, issues)


def read_instance(path: str | Path, fmt: str) -> Problem:
    """Read a benchmark instance in format ``"jsp"`` or ``"fjs"``."""
    if fmt == "jsp":
        return read_jobshop(path)
    if fmt == "fjs":
        return read_fjs(path)
    raise InvalidInputError([InputIssue("format", f"unknown format {fmt!r}; use 'jsp' or 'fjs'")])
