"""Local days in the client's own time zone, with zones held for the life of the process (`zone_named`)."""

from datetime import datetime

from schemas.checkin import zone_named

__all__ = ["local_day_at", "zone_named"]


def local_day_at(seconds: float, zone_name: str) -> int:
    """The ordinal (days since 0001-01-01 = 1) of the calendar day in the named zone at `seconds` since the epoch.

    From the epoch seconds the caller has already read, in one C call: converting the parsed datetime instead asks
    its offset of the parser's tzinfo through a Python-level call. The float holds any instant of these years to
    well under half a microsecond, and `fromtimestamp` rounds to the nearest one, so the day is exact.
    """
    return datetime.fromtimestamp(seconds, zone_named(zone_name)).toordinal()
