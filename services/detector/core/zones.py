"""Local days in the client's own time zone, with zones held for the life of the process (`zone_named`)."""

from datetime import date, datetime

from schemas.checkin import zone_named

__all__ = ["local_day", "zone_named"]


def local_day(moment: datetime, zone_name: str) -> date:
    """The calendar day of `moment` in the named zone."""
    return moment.astimezone(zone_named(zone_name)).date()


def local_day_number(moment: datetime, zone_name: str) -> int:
    """`local_day` as its ordinal (days since 0001-01-01 = 1)."""
    return moment.astimezone(zone_named(zone_name)).toordinal()
