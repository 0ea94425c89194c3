"""`rapport timeline rebuild`: replay the topics from the earliest retained offset into the timeline tables.

It reads without a consumer group (the live writer's offsets are untouched), stops at the end
offsets seen when it started (see `_pin_ends`), and writes through the same `TimelineWriter` as the live service,
so a rerun is a no-op. Unusable records are counted, not dead-lettered again (the live writer did that).
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.common.kafka import cancel_all, client_options
from services.timeline.config import TimelineSettings
from services.timeline.service import TimelineWriter
from services.timeline.store import TimelineStore
from services.timeline.writer import TOPICS

log = logging.getLogger(__name__)

TRUNCATE = "TRUNCATE checkins, scores, signals"  # alert_events also hold the notifier's own rows: never emptied


@dataclass
class RebuildProgress:
    """How far the replay is: records read of those that existed when it started."""

    total: int
    done: int = 0
    unusable: int = 0
    started: float = 0.0

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        share = 100.0 * self.done / self.total if self.total else 100.0
        return (f"rebuild: {self.done:,}/{self.total:,} records ({share:.0f}%), {self.done / elapsed:,.0f} records/s, "
                f"{self.unusable} unusable")


async def rebuild(settings: TimelineSettings, truncate: bool, report: Callable[[str], None],
                  every_s: float = 2.0) -> RebuildProgress:
    """Replay every retained record of the timeline topics; return the final progress."""
    store = await TimelineStore.open(settings.database_url, settings.statement_timeout_ms,
                                     max_size=settings.batches_in_flight, application_name="rapport-timeline-rebuild")
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False, group_id=None,
                                max_poll_records=settings.batch_max_records,
                                fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms)
    await consumer.start()
    try:
        if truncate:
            async with store.pool.acquire() as conn:
                await conn.execute(TRUNCATE)
            report("rebuild: emptied checkins, scores and signals")
        ends = await _assign_from_beginning(consumer)
        starts = {tp: await consumer.position(tp) for tp in ends}
        progress = RebuildProgress(total=sum(ends.values()) - sum(starts.values()), started=time.monotonic())

        async def count_unusable(record: ConsumerRecord, reason: str) -> None:
            progress.unusable += 1
            log.warning("unusable record skipped", extra={"topic": record.topic, "partition": record.partition,
                                                         "offset": record.offset, "reason": reason[:200]})

        writer = TimelineWriter(store, count_unusable, settings.chunk_records)
        pinned: set[TopicPartition] = set()
        last_report = time.monotonic()
        # As in the live writer, up to `batches_in_flight` batches are written at once (each on a connection of
        # its own, decoding in turns), and the next one is fetched meanwhile.
        in_flight: deque[tuple[asyncio.Task, int]] = deque()
        try:
            while remaining := [tp for tp in ends if tp not in pinned or await consumer.position(tp) < ends[tp]]:
                batches = await consumer.getmany(*remaining, timeout_ms=500, max_records=settings.batch_max_records)
                _pin_ends(consumer, ends, pinned)
                progress.total = sum(ends.values()) - sum(starts.values())
                records = [r for tp, part in batches.items() for r in part if r.offset < ends[tp]]
                if records:
                    if len(in_flight) >= settings.batches_in_flight:
                        await _finish_oldest(in_flight, progress)
                    in_flight.append((asyncio.create_task(_write_with_retries(writer, records, report)), len(records)))
                if time.monotonic() - last_report >= every_s:
                    report(progress.line(time.monotonic()))
                    last_report = time.monotonic()
            while in_flight:
                await _finish_oldest(in_flight, progress)
        finally:
            await cancel_all([task for task, _ in in_flight])  # a batch failed for good: the others go with it
        report(progress.line(time.monotonic()))
        return progress
    finally:
        await consumer.stop()
        await store.close()


async def _finish_oldest(in_flight: deque, progress: RebuildProgress) -> None:
    task, count = in_flight[0]
    await task  # raises what the batch raised after its retries
    in_flight.popleft()
    progress.done += count


async def _write_with_retries(writer: TimelineWriter, records: list[ConsumerRecord], report: Callable[[str], None],
                              attempts: int = 8) -> None:
    """A database blip must not end an hour-long rebuild: back off and retry, give up after `attempts`."""
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            return await writer.handle(records)
        except Exception as exc:  # noqa: BLE001 - data errors are dead-lettered inside; the rest may pass
            if attempt == attempts:
                raise
            report(f"rebuild: batch failed ({type(exc).__name__}), retry {attempt}/{attempts - 1} in {delay:.1f}s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)


def _pin_ends(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int], pinned: set[TopicPartition]) -> None:
    """Fix each partition's end at the high watermark of its first fetch.

    ListOffsets is only a lower bound here: Tansu answers it with the base offset of the last
    batch, so the records of that batch would be missed; the fetch high watermark is exact.
    """
    for tp in ends:
        highwater = consumer.highwater(tp)
        if tp not in pinned and highwater is not None:
            ends[tp] = max(ends[tp], highwater)
            pinned.add(tp)


async def _assign_from_beginning(consumer: AIOKafkaConsumer) -> dict[TopicPartition, int]:
    await consumer.topics()  # fetches metadata of every topic, including the ones nobody subscribed to
    partitions = [TopicPartition(topic, p) for topic in TOPICS for p in sorted(consumer.partitions_for_topic(topic) or ())]
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    return await consumer.end_offsets(partitions)
