"""The compiled tabu kernel: the incremental update after a swap agrees with a full
evaluation, on chains and on assembly routings; cycles are detected."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from planner.io import read_instance
from planner.model import ProblemData
from planner.scheduling import critical_blocks
from planner.scheduling import tabu_kernel as kernel
from planner.scheduling.construct import best_dispatch
from planner.scheduling.tabu import CriticalPathTabuSearch
from tests.conftest import job, machine, op, problem


def assembly_shop(n_jobs: int, n_machines: int, seed: int) -> ProblemData:
    """A job shop whose jobs are assembly trees (an operation may wait for several)."""
    rng = random.Random(seed)
    jobs = []
    for j in range(n_jobs):
        ops = []
        for k in range(n_machines):
            earlier = [str(i) for i in range(k)]
            preds = rng.sample(earlier, min(len(earlier), rng.randint(1, 2))) if k else []
            ops.append(
                op(str(k), (f"M{(j + k) % n_machines}", rng.randint(1, 9)), predecessors=preds)
            )
        jobs.append(job(f"J{j}", *ops))
    machines = [machine(f"M{m}") for m in range(n_machines)]
    return problem(machines=machines, jobs=jobs).build()


def random_critical_swaps(data: ProblemData, swaps: int, seed: int) -> None:
    """Swap random adjacent pairs of critical blocks with the incremental update, and compare
    heads, tails, makespan and order with a full evaluation after each."""
    search = CriticalPathTabuSearch(data)
    start, _ = best_dispatch(data, budget=0)
    mprev, mnext, _ = start.machine_links(data.num_machines)
    makespan = search._evaluate(mprev, mnext)
    n = data.num_operations
    path = np.zeros(n + 1, dtype=np.int64)
    block_start = np.zeros(n + 1, dtype=np.int64)
    rng = random.Random(seed)
    for _ in range(swaps):
        length = critical_blocks.critical_path(
            search.graph, mprev, search.head, search.tail, makespan, path
        )
        count = critical_blocks.blocks(path, length, mprev, block_start)
        blocks = [b for b in range(count) if block_start[b + 1] - block_start[b] > 1]
        if not blocks:
            return  # the makespan is optimal
        b = rng.choice(blocks)
        k = rng.randrange(int(block_start[b]), int(block_start[b + 1]) - 1)
        args = (search.graph, mprev, mnext, search.head, search.tail, search.work)
        makespan = kernel.swap_and_update(path[k], path[k + 1], *args)
        head, tail = search.head.copy(), search.tail.copy()
        order = search.work[kernel.ORDER][:n].copy()
        position = search.work[kernel.POS][:n]
        assert np.array_equal(position[order], np.arange(n))
        for o in range(n):  # the order is topological for routing and machine arcs
            assert mprev[o] < 0 or position[mprev[o]] < position[o]
            assert all(position[p] < position[o] for p in data.op_predecessors[o])
        assert not search.work[kernel.MARK].any()  # the flags are left clean
        assert makespan == search._evaluate(mprev, mnext)
        assert np.array_equal(head, search.head)
        assert np.array_equal(tail, search.tail)


@pytest.mark.parametrize("path", ["jobshop/lawrence/la21.txt", "jobshop/taillard/ta41.txt"])
def test_incremental_update_agrees_with_a_full_evaluation(instances: Path, path: str) -> None:
    random_critical_swaps(read_instance(instances / path, "jsp").build(), swaps=300, seed=1)


def test_incremental_update_on_assembly_routings() -> None:
    data = assembly_shop(8, 5, seed=2)
    assert any(len(p) > 1 for p in data.op_predecessors)
    random_critical_swaps(data, swaps=300, seed=3)


def test_evaluation_reports_a_cycle(instances: Path) -> None:
    data = read_instance(instances / "jobshop/fisher-thompson/ft06.txt", "jsp").build()
    search = CriticalPathTabuSearch(data)
    n = data.num_operations
    first = 0
    last = max(o for o in range(n) if data.op_job[o] == data.op_job[first])
    assert data.op_predecessors[first] == () and data.op_successors[last] == ()
    # a machine arc from a job's last operation back to its first closes a cycle
    mprev = np.full(n, -1, dtype=np.int64)
    mnext = np.full(n, -1, dtype=np.int64)
    mnext[last], mprev[first] = first, last
    with pytest.raises(RuntimeError, match="cycle"):
        search._evaluate(mprev, mnext)


def test_compiles_where_no_cache_folder_is_writable(monkeypatch: pytest.MonkeyPatch) -> None:
    from numba.core import caching

    # Numba finds no place to cache: the kernel still compiles, without the cache
    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])

    def double(x: int) -> int:
        return 2 * x

    with pytest.raises(RuntimeError, match="no locator"):
        caching.FunctionCache(double)
    assert kernel._jit(double)(21) == 42
