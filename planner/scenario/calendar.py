"""Turn a scenario's calendar into unavailability windows and planning periods, in minutes
from the horizon start (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.model.periods import PlanningPeriod
from planner.model.resources import CapacityWindow, ResourcePool
from planner.model.time import as_utc
from planner.scenario.model import Calendar, Factory, Horizon


def horizon_bounds(horizon: Horizon, calendar: Calendar) -> tuple[datetime, datetime]:
    """Start and end of the horizon (UTC). Naive starts are local to the factory."""
    zone = ZoneInfo(calendar.timezone)
    start = horizon.start if horizon.start.tzinfo else horizon.start.replace(tzinfo=zone)
    local = start.astimezone(zone)
    if horizon.period == "week":
        end = local + timedelta(days=7 * horizon.periods)
    elif horizon.period == "day":
        end = local + timedelta(days=horizon.periods)
    else:  # shift periods: up to the end of the last shift, found by walking the calendar
        shifts = shift_windows(
            calendar, as_utc(start), as_utc(start) + timedelta(days=2 * horizon.periods + 14)
        )
        end = (
            shifts[min(len(shifts), horizon.periods) - 1][1]
            if shifts
            else local + timedelta(days=1)
        )
    return as_utc(start), as_utc(end)


def shift_windows(
    calendar: Calendar, start: datetime, end: datetime, only: int | None = None
) -> list[tuple[datetime, datetime]]:
    """Working windows (UTC) overlapping ``[start, end)``, one per shift and working day
    (``only``: of that shift alone), adjacent ones merged."""
    zone = ZoneInfo(calendar.timezone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    windows = []
    shifts = calendar.shifts if only is None else calendar.shifts[only : only + 1]
    while day <= last:
        if day.weekday() in calendar.working_days:
            for shift in shifts:
                a = datetime.combine(day, shift.start, tzinfo=zone)
                b = datetime.combine(day, shift.end, tzinfo=zone)
                if b <= a:
                    b += timedelta(days=1)
                a_utc, b_utc = a.astimezone(UTC), b.astimezone(UTC)
                if b_utc > start and a_utc < end:
                    windows.append((max(a_utc, start), min(b_utc, end)))
        day += timedelta(days=1)
    windows.sort()
    merged: list[tuple[datetime, datetime]] = []
    for a, b in windows:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def minutes(moment: datetime, origin: datetime) -> int:
    return int((as_utc(moment) - origin).total_seconds() // 60)


def off_shift_windows(calendar: Calendar, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """Minutes ``[a, b)`` from ``start`` when no shift runs (the machines' unavailability)."""
    gaps, t = [], 0
    total = minutes(end, start)
    for a, b in shift_windows(calendar, start, end):
        ma, mb = minutes(a, start), minutes(b, start)
        if ma > t:
            gaps.append((t, ma))
        t = max(t, mb)
    if t < total:
        gaps.append((t, total))
    return gaps


def planning_periods(horizon: Horizon, calendar: Calendar) -> list[PlanningPeriod]:
    """The horizon's periods in minutes from its start: days, weeks or shifts."""
    start, end = horizon_bounds(horizon, calendar)
    if horizon.period == "shift":
        windows = shift_windows(calendar, start, end)[: horizon.periods]
        return [
            PlanningPeriod(f"S{k + 1}", minutes(a, start), minutes(b, start))
            for k, (a, b) in enumerate(windows)
        ]
    zone = ZoneInfo(calendar.timezone)
    step = timedelta(days=7 if horizon.period == "week" else 1)
    local = start.astimezone(zone)
    periods = []
    for k in range(horizon.periods):
        a = (local + k * step).astimezone(UTC)
        b = (local + (k + 1) * step).astimezone(UTC)
        label = (local + k * step).strftime("%Y-%m-%d")
        periods.append(PlanningPeriod(label, minutes(a, start), minutes(b, start)))
    return periods


def pools_with_shifts(factory: Factory, start: datetime, end: datetime) -> tuple[ResourcePool, ...]:
    """The factory's resource pools, each shift's capacity as windows in minutes from
    ``start`` (up to ``end``)."""
    pools = []
    for spec in factory.resources:
        windows = [
            CapacityWindow(start=minutes(a, start), end=minutes(b, start), capacity=capacity)
            for k, capacity in enumerate(spec.shift_capacity)
            for a, b in shift_windows(factory.calendar, start, end, only=k)
        ]
        pools.append(ResourcePool(id=spec.id, capacity=spec.capacity, windows=tuple(windows)))
    return tuple(pools)
