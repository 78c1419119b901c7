"""Changeovers on machine arcs in the critical-path kernels: heads count the changeover into
each operation and a machine's initial setup, the incremental update after a swap agrees with
a full evaluation, and the helpers agree with the problem's own changeover table."""

from __future__ import annotations

import random

import numpy as np
import pytest

from planner.model import ProblemData
from planner.scheduling import changeover_arcs, critical_blocks
from planner.scheduling import tabu_kernel as kernel
from planner.scheduling.construct import best_dispatch
from planner.scheduling.tabu import routing_graph
from tests.conftest import job, machine, op, problem

FAMILIES = ("red", "blue", "green")


def shop_with_changeovers(n_jobs: int, n_machines: int, seed: int) -> ProblemData:
    """A job shop (one machine per step) whose steps have setup families and whose machines
    change over between them, per pair and per machine, with initial families."""
    rng = random.Random(seed)
    names = [f"M{m}" for m in range(n_machines)]

    def step(j: int, k: int) -> dict[str, object]:
        options = (names[(j + k) % n_machines], rng.randint(1, 9))
        return op(f"O{k}", options, setup_family=rng.choice(FAMILIES))

    jobs = [job(f"J{j}", *[step(j, k) for k in range(n_machines)]) for j in range(n_jobs)]
    setups = [
        {"from_family": a, "to_family": b, "minutes": rng.randint(0, 8), "machines": [m]}
        for m in names
        for a in FAMILIES
        for b in FAMILIES
        if a != b
    ]
    machines = [machine(m, initial_family=rng.choice([None, *FAMILIES])) for m in names]
    return problem(machines=machines, jobs=jobs, setups=setups).build()


def arrays(data: ProblemData) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """The kernel's graph of the rule's schedule, and its machine sequences."""
    start, _ = best_dispatch(data, budget=0)
    machine_of = start.machine.astype(np.int64).copy()
    duration = np.array(
        [data.durations[o][int(m)] for o, m in enumerate(machine_of)], dtype=np.int64
    )
    mprev, mnext, _ = start.machine_links(data.num_machines)
    return routing_graph(data, duration, machine_of), mprev, mnext


def test_heads_count_changeovers_and_initial_setups() -> None:
    data = problem(
        machines=[machine("A", initial_family="red")],
        jobs=[
            job("J0", op("O", ("A", 5), setup_family="blue")),
            job("J1", op("O", ("A", 4), setup_family="red")),
        ],
        setups=[{"from_family": "*", "to_family": "*", "minutes": 3}],
    ).build()
    graph = routing_graph(data, np.array([5, 4], dtype=np.int64), np.zeros(2, dtype=np.int64))
    head, tail = np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64)
    work = np.zeros((kernel.WORK_ROWS, 3), dtype=np.int64)
    # J0 (blue) first: it waits for the change from red; then J1 changes back
    mprev, mnext = np.array([-1, 0]), np.array([1, -1])
    assert kernel.evaluate(graph, mprev, mnext, head, tail, work) == 3 + 5 + 3 + 4
    assert head.tolist() == [3, 11] and tail.tolist() == [7, 0]
    # J1 (red) first needs no setup; J0 after it one change
    mprev, mnext = np.array([1, -1]), np.array([-1, 0])
    assert kernel.evaluate(graph, mprev, mnext, head, tail, work) == 4 + 3 + 5
    assert head.tolist() == [7, 0] and tail.tolist() == [0, 8]


@pytest.mark.parametrize("seed", range(3))
def test_incremental_update_agrees_with_a_full_evaluation(seed: int) -> None:
    data = shop_with_changeovers(8, 5, seed)
    graph, mprev, mnext = arrays(data)
    n = data.num_operations
    head, tail = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    work = np.zeros((kernel.WORK_ROWS, n + 1), dtype=np.int64)
    full_head, full_tail = head.copy(), tail.copy()
    full_work = work.copy()
    makespan = kernel.evaluate(graph, mprev, mnext, head, tail, work)
    path = np.zeros(n + 1, dtype=np.int64)
    block_start = np.zeros(n + 1, dtype=np.int64)
    rng = random.Random(seed)
    swaps = 0
    for _ in range(300):
        length = critical_blocks.critical_path(graph, mprev, head, tail, makespan, path)
        count = critical_blocks.blocks(path, length, mprev, block_start)
        long = [b for b in range(count) if block_start[b + 1] - block_start[b] > 1]
        if not long:
            break
        b = rng.choice(long)
        k = rng.randrange(int(block_start[b]), int(block_start[b + 1]) - 1)
        makespan = kernel.swap_and_update(path[k], path[k + 1], graph, mprev, mnext, head, tail,
                                          work)  # fmt: skip
        swaps += 1
        assert not work[kernel.MARK].any()
        assert makespan == kernel.evaluate(graph, mprev, mnext, full_head, full_tail, full_work)
        assert np.array_equal(head, full_head) and np.array_equal(tail, full_tail)
    assert swaps > 0


def test_the_helpers_agree_with_the_problem_s_changeovers() -> None:
    data = shop_with_changeovers(4, 3, seed=5)
    graph, _, _ = arrays(data)
    changeovers = graph[8:]
    assert len(changeovers) == 4
    n = data.num_operations
    for o in range(n):
        m = int(changeovers[0][o])
        assert changeover_arcs.first_setup(changeovers, o) == data.changeover(
            m, -1, data.op_family[o]
        )
        for p in range(n):
            expected = data.changeover(m, data.op_family[p], data.op_family[o])
            assert changeover_arcs.changeover(changeovers, p, o) == expected
    plain = routing_graph(
        problem(machines=[machine("A")], jobs=[job("J", op("O", ("A", 1)))]).build(),
        np.ones(1, dtype=np.int64),
    )
    assert plain[8:] == () and changeover_arcs.changeover(plain[8:], 0, 0) == 0
