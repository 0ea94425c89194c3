"""Monthly partitions of the check-in and score tables, created ahead of time.

A DEFAULT partition catches anything outside the prepared months (a phone that was offline
for a year), so no write is ever refused for want of a partition.
"""

from datetime import date

PARTITIONED_TABLES = ("checkins", "scores")


def month_starts(first: date, months: int) -> list[date]:
    """The first day of `months` consecutive months starting at `first`'s month."""
    year, month = first.year, first.month
    starts = []
    for _ in range(months + 1):
        starts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def partition_ddl(first: date, months: int) -> list[str]:
    """CREATE TABLE ... PARTITION OF statements (idempotent) for each table and month, plus defaults."""
    statements = []
    bounds = month_starts(first, months)
    for table in PARTITIONED_TABLES:
        statements.append(f"CREATE TABLE IF NOT EXISTS {table}_default PARTITION OF {table} DEFAULT")
        for start, end in zip(bounds, bounds[1:]):
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {table}_{start:%Y_%m} PARTITION OF {table} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
    return statements
