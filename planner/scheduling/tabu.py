"""Tabu search on the critical path, for the classical job shop (makespan, fixed machines).

When every operation has one machine and the plan is judged by its makespan alone (no
changeovers, calendars, site power limit, pinned operations, due dates or priced energy), a
schedule is fully described by the order of operations on each machine, and its makespan is
the longest path through routing and machine arcs. Swapping two adjacent operations of a
*critical block* (a run of critical operations on one machine) is then the classical move: it
never creates a cycle, and only swaps at the two ends of a block can shorten the path (the N5
neighbourhood of Nowicki and Smutnicki, 1996, "A fast taboo search algorithm for the job shop
problem", Management Science 42(6)).

Each step evaluates every N5 swap with the estimate of Taillard (1994) from heads and tails,
makes the best one that is not tabu (a tabu swap is allowed when its estimate beats the best
makespan found), forbids undoing it for a few steps, and recomputes heads and tails exactly.
After a long stretch without improvement the search returns to the best schedule and perturbs
it with a few random critical swaps. Steps are counted, not timed, so a fixed seed and step
limit give the same schedule; under a time limit the number of steps depends on the machine.

This is a pure-Python search of a few milliseconds per step at a few thousand operations; the
large-neighbourhood search (CP-SAT) continues from its result.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

from planner.model.data import ProblemData
from planner.schedule import Schedule
from planner.scheduling.bounds import makespan_lower_bound


def tabu_applies(data: ProblemData) -> bool:
    """Whether the problem is a classical job shop that the tabu search handles exactly."""
    w = data.objective
    return (
        w.makespan > 0
        and (w.weighted_tardiness == 0 or all(d is None for d in data.job_due))
        and (w.energy_cost == 0 or not data.has_energy)
        and not data.has_setups
        and not any(data.unavailable)
        and data.peak_power_kw is None
        and all(p is None for p in data.op_pinned)
        and all(len(options) == 1 for options in data.op_options)
        # with zero durations a critical swap can close a cycle (the N5 argument needs d > 0)
        and all(options[0][1] > 0 for options in data.op_options)
    )


class CriticalPathTabuSearch:
    """Improves the machine sequences of a classical job shop; see the module docstring.

    Parameters
    ----------
    data
        A problem for which :func:`tabu_applies` holds.
    seed
        Seeds tabu tenures and perturbations.
    stall_steps
        Steps without a new best schedule before returning to the best one and perturbing it.
    patience
        Returns after this many returns-and-perturbations in a row found nothing better.
    """

    def __init__(
        self, data: ProblemData, seed: int = 0, stall_steps: int = 10_000, patience: int = 3
    ) -> None:
        if not tabu_applies(data):
            raise ValueError("the tabu search needs a classical job shop (see tabu_applies)")
        self.data = data
        self.rng = random.Random(seed)
        self.stall_steps = stall_steps
        self.patience = patience
        n = data.num_operations
        self.duration = [options[0][1] for options in data.op_options]
        self.machine = [options[0][0] for options in data.op_options]
        self.release = [data.job_release[data.op_job[o]] for o in range(n)]
        self.preds = [list(p) for p in data.op_predecessors]
        self.succs = [list(s) for s in data.op_successors]
        jobs_per_machine = max(1, n // max(1, data.num_machines))
        self.tenure = 2 + min(20, jobs_per_machine // 5 + data.num_machines // 4)
        self.steps = 0
        self.improvements = 0
        self.restarts = 0

    def stats(self) -> dict[str, object]:
        return {
            "tabu_steps": self.steps,
            "tabu_improvements": self.improvements,
            "tabu_restarts": self.restarts,
        }

    # -- the schedule of a set of machine sequences ------------------------------------------

    def _evaluate(
        self, sequences: list[list[int]]
    ) -> tuple[list[int], list[int], list[int], list[int]]:
        """Heads (earliest starts), tails (longest path after the end), machine predecessors
        and machine successors of the schedule given by ``sequences``."""
        n = self.data.num_operations
        mprev = [-1] * n
        mnext = [-1] * n
        for seq in sequences:
            for a, b in itertools.pairwise(seq):
                mnext[a] = b
                mprev[b] = a
        indegree = [len(p) for p in self.preds]
        for o in range(n):
            if mprev[o] >= 0:
                indegree[o] += 1
        order = [o for o in range(n) if indegree[o] == 0]
        succs = self.succs
        k = 0
        while k < len(order):
            o = order[k]
            k += 1
            for q in succs[o]:
                indegree[q] -= 1
                if indegree[q] == 0:
                    order.append(q)
            q = mnext[o]
            if q >= 0:
                indegree[q] -= 1
                if indegree[q] == 0:
                    order.append(q)
        if len(order) < n:
            raise RuntimeError("machine sequences contradict the routings (a cycle)")
        duration, preds = self.duration, self.preds
        head = self.release[:]
        for o in order:
            h = head[o]
            for p in preds[o]:
                e = head[p] + duration[p]
                if e > h:
                    h = e
            p = mprev[o]
            if p >= 0:
                e = head[p] + duration[p]
                if e > h:
                    h = e
            head[o] = h
        tail = [0] * n
        for o in reversed(order):
            t = 0
            for q in succs[o]:
                e = tail[q] + duration[q]
                if e > t:
                    t = e
            q = mnext[o]
            if q >= 0:
                e = tail[q] + duration[q]
                if e > t:
                    t = e
            tail[o] = t
        return head, tail, mprev, mnext

    def _critical_blocks(
        self, head: list[int], tail: list[int], mprev: list[int], makespan: int
    ) -> list[list[int]]:
        """Blocks of one critical path, from its start to its end."""
        duration, preds = self.duration, self.preds
        o = next(o for o in range(len(head)) if head[o] + duration[o] == makespan and tail[o] == 0)
        path = [o]
        while True:
            p = mprev[o]
            if p >= 0 and head[p] + duration[p] == head[o]:
                o = p
            else:
                nxt = next((p for p in preds[o] if head[p] + duration[p] == head[o]), -1)
                if nxt < 0:
                    break
                o = nxt
            path.append(o)
        path.reverse()
        blocks: list[list[int]] = [[path[0]]]
        for a, b in itertools.pairwise(path):
            if mprev[b] == a:
                blocks[-1].append(b)
            else:
                blocks.append([b])
        return blocks

    def _moves(self, blocks: list[list[int]]) -> list[tuple[int, int]]:
        """N5 swaps: the first two and the last two operations of each block, except the
        first two of the first block and the last two of the last block."""
        moves: list[tuple[int, int]] = []
        last = len(blocks) - 1
        for i, block in enumerate(blocks):
            if len(block) < 2:
                continue
            if i > 0:
                moves.append((block[0], block[1]))
            if i < last and (len(block) > 2 or i == 0):
                moves.append((block[-2], block[-1]))
        return moves

    def _estimate(
        self, u: int, v: int, head: list[int], tail: list[int], mprev: list[int], mnext: list[int]
    ) -> int:
        """Taillard's estimate of the makespan after swapping adjacent ``u`` then ``v``."""
        d, preds, succs = self.duration, self.preds, self.succs
        a, b = mprev[u], mnext[v]
        rv = self.release[v]
        for p in preds[v]:
            rv = max(rv, head[p] + d[p])
        if a >= 0:
            rv = max(rv, head[a] + d[a])
        ru = max(self.release[u], rv + d[v])
        for p in preds[u]:
            ru = max(ru, head[p] + d[p])
        qu = 0
        for q in succs[u]:
            qu = max(qu, tail[q] + d[q])
        if b >= 0:
            qu = max(qu, tail[b] + d[b])
        qv = qu + d[u]
        for q in succs[v]:
            qv = max(qv, tail[q] + d[q])
        return max(rv + d[v] + qv, ru + d[u] + qu)

    # -- the search ---------------------------------------------------------------------------

    def improve(
        self,
        schedule: Schedule,
        remaining: Callable[[], float],
        on_improvement: Callable[[int], None] | None = None,
        max_steps: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Schedule:
        """Return a schedule no worse than ``schedule`` (same machines, reordered).

        Runs until ``remaining()`` reaches zero, ``max_steps`` steps are made, ``stop()`` says
        so, ``patience`` perturbations in a row found nothing better, or the makespan reaches
        the routing and machine-load lower bound.
        """
        data = self.data
        sequences = [list(seq) for seq in schedule.machine_sequences(data.num_machines)]
        head, tail, mprev, mnext = self._evaluate(sequences)
        makespan = self._makespan(head)
        best = (makespan, [seq[:] for seq in sequences])
        floor = makespan_lower_bound(data)
        position = self._positions(sequences)
        tabu: dict[tuple[int, int], int] = {}
        since_best = 0
        fruitless = 0
        while makespan > floor and (max_steps is None or self.steps < max_steps):
            if remaining() <= 0 or (stop is not None and stop()):
                break
            self.steps += 1
            blocks = self._critical_blocks(head, tail, mprev, makespan)
            moves = self._moves(blocks)
            if not moves:
                break  # every critical block is a single operation: the makespan is optimal
            chosen = None
            fallback = None
            for u, v in moves:
                value = self._estimate(u, v, head, tail, mprev, mnext)
                allowed = tabu.get((v, u), -1) < self.steps or value < best[0]
                key = (value, self.rng.random())
                if allowed and (chosen is None or key < chosen[0]):
                    chosen = (key, u, v)
                if fallback is None or tabu.get((v, u), -1) < fallback[0]:
                    fallback = (tabu.get((v, u), -1), u, v)
            if chosen is not None:
                u, v = chosen[1], chosen[2]
            else:
                assert fallback is not None
                u, v = fallback[1], fallback[2]
            self._swap(sequences, position, u, v)
            tabu[(u, v)] = self.steps + self.tenure + self.rng.randrange(self.tenure)
            head, tail, mprev, mnext = self._evaluate(sequences)
            makespan = self._makespan(head)
            if makespan < best[0]:
                best = (makespan, [seq[:] for seq in sequences])
                self.improvements += 1
                since_best = 0
                fruitless = 0
                if on_improvement is not None:
                    on_improvement(makespan)
                continue
            since_best += 1
            if since_best >= self.stall_steps:
                since_best = 0
                self.restarts += 1
                fruitless += 1
                if fruitless > self.patience:
                    break
                sequences = [seq[:] for seq in best[1]]
                position = self._positions(sequences)
                tabu.clear()
                head, tail, mprev, mnext = self._perturb(sequences, position)
                makespan = self._makespan(head)
        return self._schedule(best[1])

    def _perturb(
        self, sequences: list[list[int]], position: list[int]
    ) -> tuple[list[int], list[int], list[int], list[int]]:
        """A few random critical swaps (each keeps the sequences acyclic)."""
        head, tail, mprev, mnext = self._evaluate(sequences)
        for _ in range(2 + self.rng.randrange(4)):
            makespan = self._makespan(head)
            blocks = [b for b in self._critical_blocks(head, tail, mprev, makespan) if len(b) > 1]
            if not blocks:
                break
            block = self.rng.choice(blocks)
            k = self.rng.randrange(len(block) - 1)
            self._swap(sequences, position, block[k], block[k + 1])
            head, tail, mprev, mnext = self._evaluate(sequences)
        return head, tail, mprev, mnext

    def _makespan(self, head: list[int]) -> int:
        return max(h + d for h, d in zip(head, self.duration, strict=True))

    def _positions(self, sequences: list[list[int]]) -> list[int]:
        position = [0] * self.data.num_operations
        for seq in sequences:
            for k, o in enumerate(seq):
                position[o] = k
        return position

    def _swap(self, sequences: list[list[int]], position: list[int], u: int, v: int) -> None:
        seq = sequences[self.machine[u]]
        i = position[u]
        seq[i], seq[i + 1] = v, u
        position[v], position[u] = i, i + 1

    def _schedule(self, sequences: list[list[int]]) -> Schedule:
        head = self._evaluate(sequences)[0]
        end = [h + d for h, d in zip(head, self.duration, strict=True)]
        n = self.data.num_operations
        return Schedule.from_lists(self.machine, head, end, [0] * n)
