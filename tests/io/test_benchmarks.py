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
