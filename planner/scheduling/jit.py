"""The search kernels' random numbers and array layout (they compile with
:func:`planner.jit.jit`)."""

from __future__ import annotations

import numpy as np

from planner.jit import jit

_MULTIPLIER = np.uint64(2685821657736338717)


@jit
def random53(rng: np.ndarray) -> int:
    """A 53-bit random integer (xorshift64*); ``rng`` holds the non-zero uint64 state."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    return int((x * _MULTIPLIER) >> np.uint64(11))


def seed_state(seed: int) -> np.ndarray:
    """A generator state for ``seed``: mixed so that nearby seeds differ at once, never zero."""
    return np.array([(seed * 0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D) % 2**64 or 1], np.uint64)


def csr(lists: tuple[tuple[int, ...], ...] | list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Compressed rows: ``idx[ptr[o]:ptr[o + 1]]`` are the entries of ``lists[o]``."""
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(row) for row in lists])
    idx = np.array([x for row in lists for x in row], dtype=np.int64)
    return ptr, idx
