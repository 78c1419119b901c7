"""A timed schedule in index form, and its table form for users."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.model.data import IntArray, ProblemData

SCHEDULE_COLUMNS = [
    "job",
    "operation",
    "product",
    "machine",
    "family",
    "setup_start",
    "setup_before",
    "start",
    "end",
]


@dataclass(frozen=True, eq=False)
class Schedule:
    """Where and when every operation runs: ``machine[o]``, ``start[o]``, ``end[o]``.

    ``setup_before[o]`` is the changeover done immediately before ``o`` on its machine, in
    ``[start - setup_before, start)``. A ``machine`` of -1 marks an operation left unscheduled.
    """

    machine: IntArray
    start: IntArray
    end: IntArray
    setup_before: IntArray

    @classmethod
    def from_lists(
        cls,
        machine: Sequence[int],
        start: Sequence[int],
        end: Sequence[int],
        setup_before: Sequence[int] | None = None,
    ) -> Schedule:
        n = len(machine)
        return cls(
            np.asarray(machine, dtype=np.int64),
            np.asarray(start, dtype=np.int64),
            np.asarray(end, dtype=np.int64),
            np.asarray(setup_before if setup_before is not None else [0] * n, dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.machine)

    def copy(self) -> Schedule:
        return Schedule(
            self.machine.copy(), self.start.copy(), self.end.copy(), self.setup_before.copy()
        )

    @property
    def makespan(self) -> int:
        return int(self.end.max()) if len(self.end) else 0

    def machine_sequences(self, num_machines: int) -> list[list[int]]:
        """Operations on each machine, in start order."""
        order = np.lexsort((self.end, self.start))
        sequences: list[list[int]] = [[] for _ in range(num_machines)]
        for o in order:
            m = int(self.machine[o])
            if m >= 0:
                sequences[m].append(int(o))
        return sequences

    def machine_links(self, num_machines: int) -> tuple[IntArray, IntArray, IntArray]:
        """The machine sequences as linked lists: each operation's predecessor and successor
        on its machine, and each machine's first operation (-1 where there is none)."""
        n = len(self)
        previous = np.full(n, -1, dtype=np.int64)
        following = np.full(n, -1, dtype=np.int64)
        first = np.full(num_machines, -1, dtype=np.int64)
        for m, sequence in enumerate(self.machine_sequences(num_machines)):
            if sequence:
                first[m] = sequence[0]
            for a, b in itertools.pairwise(sequence):
                following[a] = b
                previous[b] = a
        return previous, following, first

    def to_frame(self, data: ProblemData) -> pd.DataFrame:
        """The schedule as a table, one row per operation, sorted by machine and start."""
        rows = {
            "job": [data.job_ids[j] for j in data.op_job],
            "operation": list(data.op_ids),
            "product": [data.job_products[j] for j in data.op_job],
            "machine": [data.machine_ids[m] if m >= 0 else None for m in self.machine],
            "family": [data.families[f] for f in data.op_family],
            "setup_start": (self.start - self.setup_before).tolist(),
            "setup_before": self.setup_before.tolist(),
            "start": self.start.tolist(),
            "end": self.end.tolist(),
        }
        frame = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)
        frame = frame.sort_values(["machine", "start", "end"], kind="stable")
        if data.horizon_start is not None:
            base = pd.Timestamp(data.horizon_start)
            for column in ("setup_start", "start", "end"):
                frame[f"{column}_time"] = base + pd.to_timedelta(frame[column], unit="min")
        return frame.reset_index(drop=True)
