"""The timeline writer's PostgreSQL adapter: one transaction per batch, chunks written while the next is decoded.

A chunk's check-ins and scores go in by binary COPY (the fastest way in). New rows are the rule, so the
COPY is optimistic: a row stored already (a redelivery, another writer after a rebalance) hits the unique
key, the transaction rolls back and the whole batch is written again by the idempotent `unnest` inserts of
`sql.py` (which signals and alert steps always use). After such a conflict the store looks before copying
(one indexed look-up per chunk leaves stored check-ins out) until a batch finds nothing stored, so a
replay of stored records (a restart, a rebuild) does not pay for a failed COPY per batch.

Two costs of asyncpg's row encoding are avoided, together about a third of the COPY's client work (callgrind):
a row goes to COPY as a plain tuple (each item of a NamedTuple would be read through a Python-level
`__getitem__` call), and a timestamptz is encoded by `to_pg_time` (asyncpg's own encoder compares each value with
its naive infinity constants, two `utcoffset` calls per value, before converting it). Check-in and score rows
bring their ids and time in the driver's own form (`rows.py`), converted once per check-in.
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from operator import itemgetter

import asyncpg

from services.timeline.sql import COPY_COLUMNS, STATEMENTS, STORED_CHECKINS, WRITE_ROWS, columns_of
from services.timeline.rows import PgTime, RowBatch, WriteCounts, from_pg_time, pg_time

def is_data_error(exc: BaseException) -> bool:
    """True when PostgreSQL (or the driver) refused the data itself, so retrying can never help."""
    if isinstance(exc, asyncpg.exceptions.DataError):  # client-side encoding refused a value
        return True
    sqlstate = getattr(exc, "sqlstate", None) or ""
    return isinstance(exc, asyncpg.PostgresError) and sqlstate[:2] in ("22", "23")


def to_pg_time(at: datetime | PgTime) -> PgTime:
    """The store's timestamptz encoder: check-in and score rows carry a `PgTime` already (`rows.pg_time`, one per
    check-in); any other time is an aware datetime."""
    return at if at.__class__ is tuple else pg_time(at)


async def encode_times(conn: asyncpg.Connection) -> None:
    """Have `conn` encode and decode timestamptz with `to_pg_time` / `from_pg_time` (every store connection does)."""
    await conn.set_type_codec("timestamptz", schema="pg_catalog", encoder=to_pg_time, decoder=from_pg_time,
                              format="tuple")


_PLAIN = {table: itemgetter(*range(len(columns))) for table, columns in COPY_COLUMNS.items()}  # row -> plain tuple


async def copy_rows(conn: asyncpg.Connection, table: str, rows: Sequence[tuple]) -> None:
    """Binary COPY of check-in or score rows into `table`, each as a plain tuple."""
    await conn.copy_records_to_table(table, records=map(_PLAIN[table], rows), columns=COPY_COLUMNS[table])


def plain_dsn(url: str) -> str:
    """postgresql+asyncpg://... -> postgresql://... (asyncpg wants the plain scheme)."""
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


class TimelineStore:
    """Writes row batches in one transaction each; the pool reconnects by itself after an outage."""

    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool
        self.look_before_copying = False  # set by a conflict; cleared by a batch that finds nothing stored

    @classmethod
    async def open(cls, database_url: str, statement_timeout_ms: int = 30_000, max_size: int = 2,
                   application_name: str = "rapport-timeline") -> "TimelineStore":
        # min_size 0: start even while PostgreSQL is down; the first batch connects (and retries).
        pool = await asyncpg.create_pool(
            plain_dsn(database_url), min_size=0, max_size=max_size, timeout=5, command_timeout=60,
            server_settings={"statement_timeout": str(statement_timeout_ms), "application_name": application_name},
            init=encode_times,
        )
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    async def ping(self) -> bool:
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return await conn.fetchval("select true", timeout=2)
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            return False

    async def write(self, batch: RowBatch) -> WriteCounts:
        """Insert every row of the batch in one transaction."""
        return await self.write_chunks(_each([batch]))

    async def write_chunks(self, chunks: AsyncIterator[RowBatch]) -> WriteCounts:
        """Insert every chunk in one transaction; chunk k is written while the caller produces chunk k+1.

        `chunks` is typically an async generator decoding records that yields to the event loop now and
        then: each yield lets the insert task take its next round trip, so Python decodes while
        PostgreSQL writes, which on a small machine is most of the writer's throughput.
        """
        seen: list[RowBatch] = []
        remembered = _remember(chunks, seen)
        try:
            counts = await self._write_all(remembered, bulk=True)
        except asyncpg.UniqueViolationError:  # stored already (a redelivery, a rival writer): ON CONFLICT sorts it out
            self.look_before_copying = True
            async for _ in remembered:
                pass
            return await self._write_all(_each(seen), bulk=False)
        if counts.offered.get("checkins", 0) and counts.inserted["checkins"] == counts.offered["checkins"]:
            self.look_before_copying = False
        return counts

    async def _write_all(self, chunks: AsyncIterator[RowBatch], bulk: bool) -> WriteCounts:
        total = WriteCounts({}, {})
        async with self.pool.acquire(timeout=10) as conn, conn.transaction():
            running: asyncio.Task | None = None
            try:
                async for chunk in chunks:
                    if running is not None:
                        total.add(await running)
                    running = asyncio.ensure_future(self._insert(conn, chunk, bulk))
                if running is not None:
                    total.add(await running)
            finally:
                if running is not None and not running.done():  # a failure elsewhere: stop the insert in flight
                    running.cancel()
                    await asyncio.gather(running, return_exceptions=True)
        return total

    async def write_each(self, parts: Sequence[RowBatch]) -> list[BaseException | None]:
        """Insert each part under its own savepoint in one transaction; return the data error of each part, if any."""
        outcomes: list[BaseException | None] = []
        async with self.pool.acquire(timeout=10) as conn, conn.transaction():
            for part in parts:
                try:
                    async with conn.transaction():
                        await self._insert(conn, part)
                    outcomes.append(None)
                except Exception as exc:
                    if not is_data_error(exc):
                        raise
                    outcomes.append(exc)
        return outcomes

    async def _insert(self, conn: asyncpg.Connection, batch: RowBatch, bulk: bool = False) -> WriteCounts:
        """Bulk: check-ins and scores by COPY, the rest by ON CONFLICT; else everything by ON CONFLICT."""
        if not len(batch):
            return WriteCounts({}, {})
        if not bulk:
            return await self._insert_idempotent(conn, batch)
        if self.look_before_copying:
            fresh = await self._new_checkins_and_scores(conn, batch)
        else:
            fresh = {"checkins": batch.checkins, "scores": batch.scores}
        for table, rows in fresh.items():
            if rows:
                await copy_rows(conn, table, rows)
        offered = {table: len(getattr(batch, table)) for table in fresh if getattr(batch, table)}
        counts = WriteCounts(offered, {table: len(fresh[table]) for table in offered})
        rest = RowBatch(signals=batch.signals, alert_events=batch.alert_events)
        if len(rest):
            counts.add(await self._insert_idempotent(conn, rest))
        return counts

    async def _new_checkins_and_scores(self, conn: asyncpg.Connection, batch: RowBatch) -> dict[str, list]:
        if not batch.checkins:
            return {"checkins": [], "scores": []}
        times = [row.occurred_at for row in batch.checkins]
        stored = {(r["event_id"], pg_time(r["occurred_at"])) for r in await conn.fetch(
            STORED_CHECKINS, [row.event_id for row in batch.checkins], min(times), max(times))}
        if not stored:
            return {"checkins": batch.checkins, "scores": batch.scores}
        return {"checkins": [r for r in batch.checkins if (r.event_id, r.occurred_at) not in stored],
                "scores": [r for r in batch.scores if (r.event_id, r.occurred_at) not in stored]}

    async def _insert_idempotent(self, conn: asyncpg.Connection, batch: RowBatch) -> WriteCounts:
        arguments = [column for table in STATEMENTS for column in columns_of(table, getattr(batch, table))]
        inserted = await conn.fetchrow(WRITE_ROWS, *arguments)
        offered = {table: len(getattr(batch, table)) for table in STATEMENTS if getattr(batch, table)}
        return WriteCounts(offered, {table: inserted[table] for table in offered})


async def _remember(chunks: AsyncIterator[RowBatch], seen: list[RowBatch]) -> AsyncIterator[RowBatch]:
    async for chunk in chunks:
        seen.append(chunk)
        yield chunk


async def _each(chunks: list[RowBatch]) -> AsyncIterator[RowBatch]:
    for chunk in chunks:
        yield chunk
