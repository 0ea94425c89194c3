"""All SQL of the timeline writer: idempotent multi-row inserts (`unnest` of column arrays) over asyncpg.

One statement per chunk of rows (the four inserts as data-modifying CTEs) keeps the round trips
constant however big the batch is; `ON CONFLICT DO NOTHING` on the unique ids makes a redelivered
record a no-op.
"""

import asyncio
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from services.timeline.writer import AlertEventRow, CheckinRow, RowBatch, ScoreRow, SignalRow

INSERT_CHECKINS = """
INSERT INTO checkins (event_id, occurred_at, client_id, timezone, local_date, help_requested, answers, goals, note, source)
SELECT event_id, occurred_at, client_id, timezone, local_date, help_requested, answers::jsonb, goals::jsonb, note,
       source::jsonb
FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::text[], $5::date[], $6::bool[], $7::text[], $8::text[],
            $9::text[], $10::text[])
     AS t(event_id, occurred_at, client_id, timezone, local_date, help_requested, answers, goals, note, source)
ON CONFLICT DO NOTHING
"""

INSERT_SCORES = """
INSERT INTO scores (event_id, occurred_at, instrument, client_id, local_date, value, items_answered, detail)
SELECT event_id, occurred_at, instrument, client_id, local_date, value, items_answered, detail::jsonb
FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::uuid[], $5::date[], $6::float8[], $7::int[], $8::text[])
     AS t(event_id, occurred_at, instrument, client_id, local_date, value, items_answered, detail)
ON CONFLICT DO NOTHING
"""

INSERT_SIGNALS = """
INSERT INTO signals (signal_id, client_id, kind, severity, observed_at, detected_at, trigger_event_ids, evidence, summary)
SELECT signal_id, client_id, kind, severity, observed_at, detected_at, trigger_event_ids::uuid[], evidence::jsonb, summary
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[],
            $8::text[], $9::text[])
     AS t(signal_id, client_id, kind, severity, observed_at, detected_at, trigger_event_ids, evidence, summary)
ON CONFLICT DO NOTHING
"""

# Only steps of alerts the notifier has stored: it writes its own alert_events rows in the same
# transaction as the alert, so this insert is a no-op for them and fills in nothing it cannot reference.
INSERT_ALERT_EVENTS = """
INSERT INTO alert_events (event_id, alert_id, client_id, transition, state, actor, note, recipients, occurred_at)
SELECT event_id, alert_id, client_id, transition, state, actor, note, recipients::uuid[], occurred_at
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::timestamptz[])
     AS t(event_id, alert_id, client_id, transition, state, actor, note, recipients, occurred_at)
WHERE EXISTS (SELECT 1 FROM alerts a WHERE a.alert_id = t.alert_id)
ON CONFLICT DO NOTHING
"""

ARRAY_COLUMNS = {"signals": 6, "alert_events": 7}  # uuid lists travel as array literals: unnest would flatten them
STATEMENTS = {"checkins": INSERT_CHECKINS, "scores": INSERT_SCORES, "signals": INSERT_SIGNALS,
              "alert_events": INSERT_ALERT_EVENTS}
ROW_TYPES = {"checkins": CheckinRow, "scores": ScoreRow, "signals": SignalRow, "alert_events": AlertEventRow}


def _combined_statement() -> str:
    """The four inserts in one statement (one round trip), each reporting how many rows it really inserted."""
    parts, offset = [], 0
    for table, statement in STATEMENTS.items():
        renumbered = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + offset}", statement.strip())
        parts.append(f"{table}_in AS ({renumbered} RETURNING 1)")
        offset += len(ROW_TYPES[table]._fields)
    counts = ", ".join(f"(SELECT count(*) FROM {table}_in) AS {table}" for table in STATEMENTS)
    return "WITH " + ",\n".join(parts) + f"\nSELECT {counts}"


WRITE_ROWS = _combined_statement()


def uuid_array_literal(ids: Sequence[UUID]) -> str:
    return "{" + ",".join(str(i) for i in ids) + "}"


def columns_of(table: str, rows: Sequence[tuple]) -> list[list]:
    """Rows -> one list per column, the shape `unnest($1::type[], ...)` wants."""
    columns = [list(column) for column in zip(*rows)] or [[] for _ in ROW_TYPES[table]._fields]
    if table in ARRAY_COLUMNS:
        index = ARRAY_COLUMNS[table]
        columns[index] = [uuid_array_literal(ids) for ids in columns[index]]
    return columns


def is_data_error(exc: BaseException) -> bool:
    """True when PostgreSQL (or the driver) refused the data itself, so retrying can never help."""
    if isinstance(exc, asyncpg.exceptions.DataError):  # client-side encoding refused a value
        return True
    sqlstate = getattr(exc, "sqlstate", None) or ""
    return isinstance(exc, asyncpg.PostgresError) and sqlstate[:2] in ("22", "23")


def plain_dsn(url: str) -> str:
    """postgresql+asyncpg://... -> postgresql://... (asyncpg wants the plain scheme)."""
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


@dataclass
class WriteCounts:
    """Rows offered and rows actually inserted (the rest were already there) per table."""

    offered: dict[str, int]
    inserted: dict[str, int]

    def add(self, other: "WriteCounts") -> None:
        for table, count in other.offered.items():
            self.offered[table] = self.offered.get(table, 0) + count
            self.inserted[table] = self.inserted.get(table, 0) + other.inserted[table]


class TimelineStore:
    """Writes row batches in one transaction each; the pool reconnects by itself after an outage."""

    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    @classmethod
    async def open(cls, database_url: str, statement_timeout_ms: int = 30_000, max_size: int = 2,
                   application_name: str = "rapport-timeline") -> "TimelineStore":
        # min_size 0: start even while PostgreSQL is down; the first batch connects (and retries).
        pool = await asyncpg.create_pool(
            plain_dsn(database_url), min_size=0, max_size=max_size, timeout=5, command_timeout=60,
            server_settings={"statement_timeout": str(statement_timeout_ms), "application_name": application_name},
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
        return await self.write_chunks([batch])

    async def write_chunks(self, chunks: Iterable[RowBatch]) -> WriteCounts:
        """Insert every chunk in one transaction, pulling the next chunk while the server inserts the previous.

        `chunks` may be a generator that decodes records lazily: decoding (Python) then overlaps with
        inserting (PostgreSQL), which on a small machine is most of the writer's throughput.
        """
        total = WriteCounts({}, {})
        async with self.pool.acquire(timeout=10) as conn, conn.transaction():
            running: asyncio.Task | None = None
            try:
                for chunk in chunks:
                    if running is not None:
                        total.add(await running)
                    running = asyncio.ensure_future(self._insert(conn, chunk))
                    await asyncio.sleep(0)  # let the task send its statement before we go back to decoding
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

    async def _insert(self, conn: asyncpg.Connection, batch: RowBatch) -> WriteCounts:
        if not len(batch):
            return WriteCounts({}, {})
        arguments = [column for table in STATEMENTS for column in columns_of(table, getattr(batch, table))]
        inserted = await conn.fetchrow(WRITE_ROWS, *arguments)
        offered = {table: len(getattr(batch, table)) for table in STATEMENTS if getattr(batch, table)}
        return WriteCounts(offered, {table: inserted[table] for table in offered})
