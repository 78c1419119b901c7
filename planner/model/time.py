"""Time at the boundary: whole minutes from the horizon start, or datetimes."""

from __future__ import annotations

from datetime import UTC, datetime

TimePoint = int | datetime
"""A point in time: minutes from the horizon start, or an aware or naive (UTC) datetime."""


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_moment(text: str) -> datetime | int:
    """A moment as written by a user: whole minutes from the horizon start, or ISO 8601 with a
    UTC offset.

    Raises
    ------
    ValueError
        When it is neither, or the ISO moment has no offset (the message says which).
    """
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither minutes nor an ISO 8601 moment (2024-03-05T10:00:00+01:00)"
        ) from None
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; add one (+01:00, Z)")
    return value


def to_minutes(value: TimePoint, horizon_start: datetime | None) -> int:
    """Convert a time point to whole minutes from ``horizon_start``.

    Raises
    ------
    ValueError
        When ``value`` is a datetime and there is no horizon start, or it is not on a whole minute.
    """
    if isinstance(value, datetime):
        if horizon_start is None:
            raise ValueError(
                "is a datetime, but the problem has no horizon_start; set horizon_start"
            )
        delta = as_utc(value) - as_utc(horizon_start)
        seconds = delta.total_seconds()
        if seconds % 60:
            raise ValueError("is not on a whole minute; times are resolved to minutes")
        return int(seconds // 60)
    return int(value)
