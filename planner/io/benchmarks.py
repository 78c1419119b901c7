"""Readers for the standard benchmark formats, into :class:`~planner.model.Problem`.

* Job shop (Taillard/Lawrence/Fisher-Thompson "standard" format): first line ``jobs machines``,
  then one line per job of ``machine duration`` pairs with 0-based machines.
* Flexible job shop (Brandimarte ``.fjs``, also Hurink's sets): first line
  ``jobs machines [average machines per operation]``, then one line per job: the number of
  operations, and per operation ``k`` followed by ``k`` pairs ``machine duration`` with
  1-based machines.
* Flexible job shop with sequence-dependent setup times (FJSP-SDST, Fattahi's instances with
  setups from the TU/e job-shop collection): the ``.fjs`` job lines, then for each machine an
  ``operations x operations`` matrix of setup times (row: the operation before, column: the
  one after; operations numbered across jobs in file order). Read as: the changeover on a
  machine between two operations is the matrix entry; the first operation on a machine needs
  none, and the diagonal (an operation after itself) never applies. Entries of pairs that
  cannot both run on that machine are ignored (the files hold 1,000,000 there).
"""

from __future__ import annotations

from pathlib import Path

from planner.model import Job, Machine, MachineOption, Operation, Problem, SetupRule
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


def read_fjs_sdst(path: str | Path) -> Problem:
    """Read a flexible job shop with sequence-dependent setup times (see the module docstring):
    each operation is its own setup family, with one setup rule per machine and pair of
    operations that can both run there."""
    rows, file = _read_numbers(path)
    problem = read_fjs(path)
    n_jobs, n_machines = rows[0][0], rows[0][1]
    ops = [(job, op) for job in problem.jobs for op in job.operations]
    n = len(ops)
    matrices = rows[1 + n_jobs :]
    if len(matrices) != n_machines * n or any(len(row) != n for row in matrices):
        raise InvalidInputError(
            [
                InputIssue(
                    file.name,
                    f"expected {n_machines} setup matrices of {n} x {n} after the job lines",
                )
            ],
            "instance",
        )
    family = [f"{job.id}.{op.id}" for job, op in ops]
    eligible = [{option.machine for option in op.machines} for _, op in ops]
    jobs = [
        job.model_copy(
            update={
                "operations": tuple(
                    op.model_copy(update={"setup_family": f"{job.id}.{op.id}"})
                    for op in job.operations
                )
            }
        )
        for job in problem.jobs
    ]
    rules = []
    for m in range(n_machines):
        name = f"M{m}"
        for a in range(n):
            if name not in eligible[a]:
                continue
            row = matrices[m * n + a]
            for b in range(n):
                if a != b and row[b] > 0 and name in eligible[b]:
                    rules.append(
                        SetupRule(
                            from_family=family[a],
                            to_family=family[b],
                            minutes=row[b],
                            machines=(name,),
                        )
                    )
    return problem.model_copy(update={"jobs": tuple(jobs), "setups": tuple(rules)})


READERS = {"jsp": read_jobshop, "fjs": read_fjs, "fjs-sdst": read_fjs_sdst}
"""Benchmark formats by the name ``planner solve-instance --format`` takes."""


def read_instance(path: str | Path, fmt: str) -> Problem:
    """Read a benchmark instance in format ``"jsp"``, ``"fjs"`` or ``"fjs-sdst"``."""
    reader = READERS.get(fmt)
    if reader is None:
        known = ", ".join(repr(name) for name in READERS)
        raise InvalidInputError([InputIssue("format", f"unknown format {fmt!r}; use {known}")])
    return reader(path)
