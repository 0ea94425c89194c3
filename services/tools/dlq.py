"""Replay the dead-letter topic after a fix: pick records by origin, reason and time; republish the original value.

The selection is pure (`dlq_filter.ReplayFilter`); `replay` is the Kafka adapter around it. Values are
never printed: a dead-lettered check-in may carry a note.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from schemas.topics import DLQ
from services.common.kafka import client_options, make_producer
from services.common.settings import KafkaSettings
from services.tools.dlq_filter import ReplayFilter

REPLAYED_FROM = "rapport.dlq.replayed_from"
QUIET_POLLS_AT_END = 2


@dataclass
class ReplayReport:
    """What a replay scanned, selected and republished."""

    scanned: int = 0
    selected: int = 0
    republished: int = 0
    by_origin: Counter = field(default_factory=Counter)  # (original topic, reason) of the selected records


Progress = Callable[[str], None]


async def replay(settings: KafkaSettings, selection: ReplayFilter, *, dry_run: bool, limit: int | None = None,
                 progress: Progress = lambda _: None, every: int = 1000) -> ReplayReport:
    """Scan the DLQ up to its end as of now and republish the selected records to their original topics.

    Records dead-lettered after the replay started are left alone, so a record that fails again is not looped.
    """
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
    producer = None if dry_run else make_producer(settings)
    report = ReplayReport()
    try:
        await consumer.start()
        if producer:
            await producer.start()
        partitions = [TopicPartition(DLQ, p) for p in sorted(consumer.partitions_for_topic(DLQ) or [])]
        if not partitions:
            await consumer.topics()
            partitions = [TopicPartition(DLQ, p) for p in sorted(consumer.partitions_for_topic(DLQ) or [])]
        consumer.assign(partitions)
        started_ms = int(time.time() * 1000)
        ends = await consumer.end_offsets(partitions)
        # Explicit offsets, not lazy seek_to_beginning(): a pending reset could race the first position().
        next_offset = await _start_offsets(consumer, partitions, ends, selection.since)
        for tp, offset in next_offset.items():
            consumer.seek(tp, offset)
        remaining = set(partitions)
        quiet_polls = dict.fromkeys(partitions, 0)
        while remaining and (limit is None or report.selected < limit):
            batches = await consumer.getmany(*remaining, timeout_ms=500)
            sends = []
            for tp in sorted(remaining):
                records = batches.get(tp, [])
                quiet_polls[tp] = 0 if records else quiet_polls[tp] + 1
                # Done with a partition at the end snapshot once two polls bring nothing more. Past the snapshot
                # records still count while older than the replay (Tansu under-reports the end of a batch).
                if quiet_polls[tp] >= QUIET_POLLS_AT_END and next_offset[tp] >= ends[tp]:
                    remaining.discard(tp)
                for record in records:
                    if record.timestamp >= started_ms:  # dead-lettered after the replay began: maybe by it
                        remaining.discard(tp)
                        break
                    if limit is not None and report.selected >= limit:
                        break
                    next_offset[tp] = record.offset + 1
                    sends.append(await _one(record, selection, producer, report, progress))
                    if report.scanned % every == 0:
                        progress(f"scanned {report.scanned}, selected {report.selected}, republished {report.republished}")
            await asyncio.gather(*(s for s in sends if s is not None))  # raise now if a republish failed
    finally:
        await consumer.stop()
        if producer:
            await producer.stop()
    return report


async def _start_offsets(consumer: AIOKafkaConsumer, partitions: list[TopicPartition],
                         ends: dict[TopicPartition, int], since: datetime | None) -> dict[TopicPartition, int]:
    """The first offset to read per partition: the log start, or the first record at or after `since`."""
    starts = await consumer.beginning_offsets(partitions)
    if since is None:
        return starts
    try:
        found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
    except KafkaError:  # a broker without timestamp lookup: scan from the start, the filter still applies
        return starts
    return {tp: (found[tp].offset if found.get(tp) is not None else ends[tp]) for tp in partitions}


async def _one(record: ConsumerRecord, selection: ReplayFilter, producer, report: ReplayReport, progress: Progress):
    """Count one DLQ record; when selected, start republishing it and return the delivery future."""
    report.scanned += 1
    headers = {key: value.decode(errors="replace") for key, value in record.headers or ()}
    origin = selection.origin_of(headers, record.timestamp)
    if origin is None:
        return None
    report.selected += 1
    report.by_origin[(origin.topic, origin.reason[:120])] += 1
    where = f"dlq {record.partition}:{record.offset} <- {origin.topic} {origin.partition}:{origin.offset}"
    if producer is None:
        progress(f"would replay {where} ({origin.reason[:120]})")
        return None
    replay_headers = [(REPLAYED_FROM, f"{DLQ}:{record.partition}:{record.offset}".encode())]
    delivery = await producer.send(origin.topic, record.value, key=record.key, headers=replay_headers)
    report.republished += 1
    return delivery
