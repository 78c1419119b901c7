"""Compilation with Numba for the compiled kernels (the scheduling searches, the lot-sizing
bound): ``nogil`` so that two can run on two cores in threads, cached on disk where Numba
finds a writable cache folder (next to the module, else the user's cache folder); where it
finds none they compile at every start rather than fail to import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit

F = TypeVar("F", bound=Callable[..., Any])


def jit(function: F) -> F:
    """Compile ``function`` with Numba (``nogil``, disk cache where possible)."""
    try:
        return cast(F, njit(cache=True, nogil=True)(function))
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return cast(F, njit(nogil=True)(function))
