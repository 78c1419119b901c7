"""Benchmark readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.io import read_fjs, read_instance, read_jobshop
from planner.model import InvalidInputError


def test_read_jobshop_ft06(instances: Path) -> None:
    data = read_jobshop(instances / "jobshop/fisher-thompson/ft06.txt").build()
    assert (data.num_jobs, data.num_machines, data.num_operations) == (6, 6, 36)
    # job 0: machine 2 for 1, machine 0 for 3, ...
    assert data.op_options[0] == ((2, 1),)
    assert data.op_options[1] == ((0, 3),)
    assert data.op_predecessors[1] == (0,)


def test_read_fjs_mk01(instances: Path) -> None:
    data = read_fjs(instances / "fjsp/brandimarte/mk01.txt").build()
    assert (data.num_jobs, data.num_machines) == (10, 6)
    assert data.num_operations == 55
    # first operation: 2 options, machine 1 for 5 and machine 3 for 4 (1-based in the file)
    assert data.op_options[0] == ((0, 5), (2, 4))


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read the file"):
        read_jobshop(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("2 2\n0 3 1 x\n")
    with pytest.raises(InvalidInputError, match="not a line of numbers"):
        read_jobshop(bad)
    short = tmp_path / "short.fjs"
    short.write_text("1 2 1\n2 1 1 5 2\n")
    with pytest.raises(InvalidInputError, match="line ends early"):
        read_fjs(short)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("1 2\n0 3 5 4\n")
    with pytest.raises(InvalidInputError, match="machine 5 outside"):
        read_jobshop(wrong)
    with pytest.raises(InvalidInputError, match="unknown format"):
        read_instance(wrong, "xyz")


@pytest.mark.parametrize("number", [1, 10, 20])
def test_read_fjs_sdst_reproduces_jobs_operations_and_setup_matrices(
    instances: Path, number: int
) -> None:
    path = instances / f"fjsp-sdst/fattahi-setup/Fattahi_setup_{number:02d}.fjs"
    rows = [[float(x) for x in line.split()] for line in path.read_text().splitlines() if line]
    n_jobs, n_machines = int(rows[0][0]), int(rows[0][1])
    data = read_instance(path, "fjs-sdst").build()
    assert data.num_jobs == n_jobs
    assert data.num_machines == n_machines
    ops_per_job = [int(row[0]) for row in rows[1 : 1 + n_jobs]]
    assert [len(ops) for ops in data.job_operations] == ops_per_job
    n = sum(ops_per_job)
    assert data.num_operations == n
    matrices = rows[1 + n_jobs :]
    assert len(matrices) == n_machines * n
    assert data.initial_setup.max() == 0  # the first operation on a machine needs no setup
    for m in range(n_machines):
        for a in range(n):
            for b in range(n):
                both = m in data.durations[a] and m in data.durations[b]
                found = data.setup_times[m, data.op_family[a], data.op_family[b]]
                expected = matrices[m * n + a][b] if both and a != b else 0
                if both:
                    assert found == expected, (m, a, b)


def test_read_fjs_sdst_rejects_missing_matrices(tmp_path: Path) -> None:
    bad = tmp_path / "short.fjs"
    bad.write_text("1 2 1\n1 1 1 5\n\n0 1\n")
    with pytest.raises(InvalidInputError, match="setup matrices"):
        read_instance(bad, "fjs-sdst")
