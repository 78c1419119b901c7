"""Parallel walks of a compiled search: one per worker thread (the kernels release Python's
lock), each from its own seed; improvements are reported as any walk finds them, and the best
walk's result is kept, the first worker's on a tie, so that a fixed seed, worker count and step
limit repeat a run."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

Outcome = tuple[float, T, dict[str, int]]
"""A walk's best objective, its best solution and its counters."""


def best_of_walks(
    walk: Callable[[int, Callable[[float], None]], Outcome[T]],
    workers: int,
    on_improvement: Callable[[float], None] | None,
) -> tuple[T, dict[str, int]]:
    """Run ``walk(k, report)`` for ``k`` in ``range(workers)``, in threads when more than one;
    ``report`` passes each objective better than any reported before to ``on_improvement``.
    Returns the best walk's solution and the counters summed over the walks."""
    lock = threading.Lock()
    best_seen = [math.inf]

    def report(value: float) -> None:
        with lock:
            if value < best_seen[0] - 1e-9:
                best_seen[0] = value
                if on_improvement is not None:
                    on_improvement(value)

    if workers == 1:
        outcomes = [walk(0, report)]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(lambda k: walk(k, report), range(workers)))
    _, best, _ = min(outcomes, key=lambda outcome: outcome[0])
    return best, {key: sum(outcome[2][key] for outcome in outcomes) for key in outcomes[0][2]}
