"""Time zones held for the life of the process.

`ZoneInfo` keeps only 8 zones strongly cached; with more zones in a cohort it re-reads tz files from disk
for most check-ins (a fifth of replay time). Holding every zone seen here keeps its weak cache warm too,
which also speeds up the contract's own timezone validation.
"""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=None)
def zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(moment: datetime, zone_name: str) -> date:
    """The calendar day of `moment` in the named zone."""
    return moment.astimezone(zone_named(zone_name)).date()
