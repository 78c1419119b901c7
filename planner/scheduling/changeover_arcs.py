"""Changeovers on machine arcs, for the compiled critical-path searches.

On a shop with sequence-dependent changeovers a machine arc ``p -> o`` weighs ``p``'s
duration plus the changeover into ``o``, and a machine's first operation waits for its
initial setup. The kernels (:mod:`planner.scheduling.tabu_kernel`,
:mod:`planner.scheduling.reroute_kernel`) read them from ``changeovers``, the end of their
``graph`` tuple: ``(machine, family, setup, initial)`` (each operation's machine and setup
family, ``setup[m, f, g]`` the changeover on ``m`` from family ``f`` to ``g``,
``initial[m, g]`` the setup of ``m``'s first operation), or the empty tuple on a shop without
changeovers.

The helpers below are Numba overloads inlined where they are called, chosen by the type of
``changeovers``: on the empty tuple they are the constant 0 and compile away, so the classical
job-shop search pays nothing for them (an extra four arrays passed along with its graph made
it a fifth slower, measured on Taillard ta41). Called from Python they compute the same.
Numba's disk cache of a kernel does not notice an edit of this module: clear the kernels'
``__pycache__`` after changing it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba.extending import overload

Changeovers = tuple[np.ndarray, ...]


def changeover_on(changeovers: Changeovers, m: int, p: int, o: int) -> int:
    """The changeover on machine ``m`` when ``o`` directly follows ``p`` there."""
    if not changeovers:
        return 0
    _, family, setup, _ = changeovers
    return int(setup[m, family[p], family[o]])


def changeover(changeovers: Changeovers, p: int, o: int) -> int:
    """The changeover on ``o``'s machine when ``o`` directly follows ``p`` there."""
    if not changeovers:
        return 0
    return changeover_on(changeovers, int(changeovers[0][o]), p, o)


def first_setup_on(changeovers: Changeovers, m: int, o: int) -> int:
    """The setup ``o`` needs when it comes first on machine ``m``."""
    if not changeovers:
        return 0
    _, family, _, initial = changeovers
    return int(initial[m, family[o]])


def first_setup(changeovers: Changeovers, o: int) -> int:
    """The setup ``o`` needs when it comes first on its machine."""
    if not changeovers:
        return 0
    return first_setup_on(changeovers, int(changeovers[0][o]), o)


@overload(changeover_on, inline="always")
def _changeover_on(changeovers, m, p, o):  # type: ignore[no-untyped-def]
    if len(changeovers) == 0:
        return lambda changeovers, m, p, o: 0

    def compiled(changeovers, m, p, o):  # type: ignore[no-untyped-def]
        family = changeovers[1]
        return changeovers[2][m, family[p], family[o]]

    return compiled


@overload(changeover, inline="always")
def _changeover(changeovers, p, o):  # type: ignore[no-untyped-def]
    if len(changeovers) == 0:
        return lambda changeovers, p, o: 0

    def compiled(changeovers, p, o):  # type: ignore[no-untyped-def]
        return changeover_on(changeovers, changeovers[0][o], p, o)

    return compiled


@overload(first_setup_on, inline="always")
def _first_setup_on(changeovers, m, o):  # type: ignore[no-untyped-def]
    if len(changeovers) == 0:
        return lambda changeovers, m, o: 0

    def compiled(changeovers, m, o):  # type: ignore[no-untyped-def]
        return changeovers[3][m, changeovers[1][o]]

    return compiled


@overload(first_setup, inline="always")
def _first_setup(changeovers, o):  # type: ignore[no-untyped-def]
    if len(changeovers) == 0:
        return lambda changeovers, o: 0

    def compiled(changeovers, o):  # type: ignore[no-untyped-def]
        return first_setup_on(changeovers, changeovers[0][o], o)

    return compiled


def graph_changeovers(
    machine: np.ndarray, family: npt.ArrayLike, setup: npt.ArrayLike, initial: npt.ArrayLike
) -> Changeovers:
    """The ``changeovers`` tuple of a shop with changeovers, as int64 arrays (``machine``
    itself, so that a search may change it in place)."""
    return (
        machine,
        np.asarray(family, dtype=np.int64),
        np.asarray(setup, dtype=np.int64),
        np.asarray(initial, dtype=np.int64),
    )
