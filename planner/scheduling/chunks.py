"""Running a compiled search in short chunks of steps, so that Python can look at the clock,
the stop request and the step limit between them."""

from __future__ import annotations

import time
from collections.abc import Callable

CHUNK_S = 0.02
"""Seconds of steps between two looks at the clock."""


def run_in_chunks(
    steps: Callable[[int], bool],
    done: Callable[[], int],
    remaining: Callable[[], float],
    stop: Callable[[], bool] | None,
    max_steps: int | None,
    first: int,
) -> None:
    """Call ``steps(chunk)`` (which makes up to ``chunk`` steps and says whether to go on)
    until it says stop, ``remaining()`` reaches zero, ``stop()`` says so or ``done()`` reaches
    ``max_steps``. Each chunk aims at :data:`CHUNK_S` seconds, growing at most fourfold."""
    chunk = first
    while True:
        if max_steps is not None:
            chunk = min(chunk, max_steps - done())
            if chunk <= 0:
                return
        if remaining() <= 0 or (stop is not None and stop()):
            return
        started = time.perf_counter()
        go_on = steps(chunk)
        elapsed = time.perf_counter() - started
        if not go_on:
            return
        rate = chunk / max(elapsed, 1e-6)
        chunk = max(1, min(4 * chunk, int(rate * CHUNK_S)))
