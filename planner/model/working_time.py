"""Working time: the minutes the plant works, for minimum lags that count only those (an
inspection that needs the day shift, say), where curing counts every minute of the clock.

The plant is closed when no machine works (the windows every machine's calendar blocks: the
nights and weekends of a shift calendar, not one machine's maintenance).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass


def plant_closed(unavailable: Sequence[Sequence[tuple[int, int]]]) -> tuple[tuple[int, int], ...]:
    """The windows in which every machine is unavailable (sorted, disjoint, merged)."""
    if not unavailable or any(not windows for windows in unavailable):
        return ()
    common = [(a, b) for a, b in unavailable[0]]
    for windows in unavailable[1:]:
        common = _intersect(common, list(windows))
        if not common:
            return ()
    return tuple(common)


def _intersect(
    first: list[tuple[int, int]], second: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(first) and j < len(second):
        a, b = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        if a < b:
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return out


@dataclass(frozen=True)
class WorkingTime:
    """Working minutes outside ``closed`` (sorted, disjoint windows)."""

    closed: tuple[tuple[int, int], ...]

    def before(self, t: int) -> int:
        """Working minutes in ``[0, t)``."""
        k = bisect.bisect_right(self.closed, (t, t))
        shut = sum(b - a for a, b in self.closed[:k] if b <= t)
        if k and self.closed[k - 1][1] > t:  # t inside the last window that starts before it
            shut += t - self.closed[k - 1][0]
        return t - shut

    def between(self, a: int, b: int) -> int:
        """Working minutes in ``[a, b)`` (0 when ``b <= a``)."""
        return max(0, self.before(b) - self.before(a)) if b > a else 0

    def after(self, t: int, minutes: int) -> int:
        """The earliest moment with ``minutes`` working minutes in ``[t, moment)``."""
        if minutes <= 0 or not self.closed:
            return t + max(0, minutes)
        s, left = t, minutes
        k = bisect.bisect_right(self.closed, (t, t))
        if k and self.closed[k - 1][1] > t:  # inside a closed window: wait for it to end
            s = self.closed[k - 1][1]
        while k < len(self.closed):
            a, b = self.closed[k]
            if a < s:
                k += 1
                continue
            if s + left <= a:
                return s + left
            left -= a - s
            s = b
            k += 1
        return s + left

    def pieces(self, minutes: int, lo: int, hi: int) -> list[tuple[int, int, int, bool]]:
        """``g(x) = after(x, minutes)`` for ``x`` in ``[lo, hi]`` as pieces ``(start, end,
        value, slope)``: on ``[start, end]``, ``g(x) = x + value`` when ``slope`` else
        ``value`` (a constant, for ``x`` inside a closed window)."""
        points = {lo, hi + 1}
        for a, b in self.closed:
            points.update((a, b))
            # past the last x whose work ends exactly at the window's start, it ends after it
            w = self.before(a) - minutes
            if w >= 0:
                points.add(self._at_working(w) + 1)
        cuts = sorted(p for p in points if lo <= p <= hi + 1)
        out: list[tuple[int, int, int, bool]] = []
        for start, nxt in itertools.pairwise(cuts):
            end = nxt - 1
            first, last = self.after(start, minutes), self.after(end, minutes)
            if last - first == end - start:
                piece = (start, end, first - start, True)
            elif first == last:
                piece = (start, end, first, False)
            else:  # not linear: split it minute by minute at its kink (rare, short)
                out += [(x, x, self.after(x, minutes), False) for x in range(start, end + 1)]
                continue
            if (
                out
                and out[-1][3] == piece[3]
                and out[-1][2] == piece[2]
                and out[-1][1] + 1 == start
            ):
                out[-1] = (out[-1][0], end, piece[2], piece[3])
            else:
                out.append(piece)
        return out

    def _at_working(self, w: int) -> int:
        """The earliest moment with ``w`` working minutes before it."""
        return self.after(0, w) if w > 0 else 0
