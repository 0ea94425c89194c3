"""The timeline writer's batch handler: decode, write in one transaction, dead-letter what can never be written."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiokafka import ConsumerRecord

from services.common.metrics import REGISTRY
from services.timeline.store import TimelineStore, is_data_error
from services.timeline.rows import RowBatch
from services.timeline.writer import UnusableRecord, add_rows, rows_for

log = logging.getLogger(__name__)

SERVICE = "timeline"
rows_offered = REGISTRY.counter("rapport_timeline_rows_offered_total", "rows offered to PostgreSQL", ["table"])
rows_inserted = REGISTRY.counter("rapport_timeline_rows_inserted_total", "rows new to PostgreSQL (not redeliveries)",
                                 ["table"])
batch_seconds = REGISTRY.gauge("rapport_timeline_last_batch_seconds", "duration of the last written batch")
poison_total = REGISTRY.counter("rapport_timeline_poison_records_total", "records the database refused", ["topic"])

YIELD_EVERY = 25  # records decoded between two chances for the insert in flight to take its next round trip
DeadLetter = Callable[[ConsumerRecord, str], Awaitable[None]]


class TimelineWriter:
    """Turns a batch of Kafka records into timeline rows and makes them durable before the offsets move.

    Connection errors propagate (the consumer loop backs off and retries the whole batch); a data
    error makes the writer retry record by record under savepoints to find the culprit, which goes
    to the dead-letter topic while everything else is written.
    """

    def __init__(self, store: TimelineStore, dead_letter: DeadLetter, chunk_records: int = 250):
        self.store = store
        self.dead_letter = dead_letter
        self.chunk_records = chunk_records
        # Batches in flight at once (`batches_in_flight`) decode one at a time: the next batch starts decoding when
        # this one has handed out its last chunk, so its decoding overlaps this one's last insert and commit.
        self._decoding = asyncio.Lock()

    async def handle(self, records: list[ConsumerRecord]) -> None:
        started = time.perf_counter()
        decoded: list[ConsumerRecord] = []
        rejected: list[tuple[ConsumerRecord, str]] = []

        async def decoded_chunks() -> AsyncIterator[RowBatch]:
            """Decode chunk by chunk, yielding to the loop now and then so the previous chunk's insert advances."""
            chunk = RowBatch()
            async with self._decoding:
                for start in range(0, len(records), self.chunk_records):
                    chunk = chunk.next_chunk()  # a record redelivered within the batch is written once
                    for n, record in enumerate(records[start:start + self.chunk_records], 1):
                        try:
                            add_rows(chunk, record.topic, record.value)
                        except UnusableRecord as exc:
                            rejected.append((record, str(exc)))
                            continue
                        decoded.append(record)
                        if n % YIELD_EVERY == 0:
                            await asyncio.sleep(0)
                    yield chunk

        chunks = decoded_chunks()
        try:
            counts = await self.store.write_chunks(chunks)
        except Exception as exc:
            if not is_data_error(exc):
                raise
            async for _ in chunks:  # decode whatever the failed transaction had not reached yet
                pass
            log.warning("batch refused by the database, writing record by record",
                        extra={"records": len(decoded), "error": type(exc).__name__})
            rejected += await self._write_one_by_one(decoded)
        else:
            for table, offered in counts.offered.items():
                rows_offered.inc(offered, table=table)
                rows_inserted.inc(counts.inserted[table], table=table)
        finally:
            await chunks.aclose()  # a batch that failed part-way gives up its turn to decode
        for record, reason in rejected:
            await self.dead_letter(record, reason)
        batch_seconds.set(time.perf_counter() - started)

    async def _write_one_by_one(self, records: list[ConsumerRecord]) -> list[tuple]:
        # Decoded again, one batch per record: this only runs after the database refused a batch.
        outcomes = await self.store.write_each([rows_for(record.topic, record.value) for record in records])
        refused = []
        for record, error in zip(records, outcomes):
            if error is not None:
                poison_total.inc(topic=record.topic)
                refused.append((record, f"database refused the record: {type(error).__name__} "
                                        f"{getattr(error, 'sqlstate', '') or ''} {str(error)[:300]}".strip()))
        return refused
