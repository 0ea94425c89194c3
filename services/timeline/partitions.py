"""`rapport timeline partitions`: create the monthly partitions of checkins and scores ahead of time."""

from datetime import date

import asyncpg

from services.common.partitions import partition_ddl
from services.timeline.store import plain_dsn

EXISTING = """
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relname = ANY($1::text[])"""


def partition_name(statement: str) -> str:
    """`CREATE TABLE IF NOT EXISTS checkins_2026_05 PARTITION OF ...` -> `checkins_2026_05`."""
    return statement.split("IF NOT EXISTS ", 1)[1].split(" ", 1)[0]


async def create_partitions(database_url: str, first: date, months: int) -> tuple[list[str], list[str]]:
    """Create missing partitions for `months` months from `first`'s month; return (created, refused with reason).

    A month whose rows already sit in the DEFAULT partition cannot get its own partition until those
    rows are moved; it is reported, not fatal, and its rows stay readable where they are.
    """
    conn = await asyncpg.connect(plain_dsn(database_url))
    created, refused = [], []
    try:
        existing = {r["relname"] for r in await conn.fetch(EXISTING, ["checkins", "scores"])}
        for statement in partition_ddl(first, months):
            name = partition_name(statement)
            if name in existing:
                continue
            try:
                await conn.execute(statement)
                created.append(name)
            except asyncpg.PostgresError as exc:
                refused.append(f"{name}: {exc}")
    finally:
        await conn.close()
    return created, refused
