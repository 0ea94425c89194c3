"""Plausible check-in times: event time drives detection, so a wild clock must not reach the topic."""

from datetime import datetime, timedelta

# A phone clock a little ahead is normal; a day ahead is a broken clock that would move event-time watermarks.
MAX_AHEAD = timedelta(days=1)
# Offline phones sync weeks later, not years; the monthly partitions keep a year of history.
MAX_AGE = timedelta(days=365)


def occurred_at_problem(occurred_at: datetime, now: datetime) -> str | None:
    """Why `occurred_at` is implausible at `now`, or None when it is fine."""
    if occurred_at > now + MAX_AHEAD:
        return "occurred_at is more than a day in the future: check the device clock"
    if occurred_at < now - MAX_AGE:
        return "occurred_at is more than a year in the past"
    return None
