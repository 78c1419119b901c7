"""Compilation with Numba for the search kernels, their random numbers and array layout.

Kernels are compiled with ``nogil`` so that two searches can run on two cores in threads, and
cached on disk where Numba finds a writable cache folder (next to the module, else the user's
cache folder); where it finds none they compile at every start rather than fail to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit

F = TypeVar("F", bound=Callable[..., Any])

_MULTIPLIER = np.uint64(2685821657736338717)


def jit(function: F) -> F:
    """Compile ``function`` with Numba (``nogil``, disk cache where possible)."""
    try:
        return cast(F, njit(cache=True, nogil=True)(function))
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return cast(F, njit(nogil=True)(function))


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
