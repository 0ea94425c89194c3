"""Kafka measurements from the outside: fast produce, true end offsets, latest value sizes of a changelog."""

import asyncio
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.common.kafka import client_options, make_producer
from services.common.settings import KafkaSettings


async def produce_all(settings: KafkaSettings, topic: str, records: Iterable[tuple[bytes, bytes]]) -> tuple[int, float]:
    """Publish every (key, value) with acks=all, pipelined; return (count, seconds until all were acknowledged)."""
    producer = make_producer(settings, linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        pending, count = [], 0
        started = time.perf_counter()
        for key, value in records:
            pending.append(await producer.send(topic, value, key=key))
            count += 1
        await producer.flush()
        await asyncio.gather(*pending)
        return count, time.perf_counter() - started
    finally:
        await producer.stop()


async def end_offsets(settings: KafkaSettings, topic: str, timeout_s: float = 10.0) -> dict[int, int]:
    """The high watermark of every partition, as a fetch reports it.

    The embedded broker answers ListOffsets(latest) with the start of the last batch rather than the
    end of the log, so the offset from a fetch response is used, read from near the end.
    """
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()  # a fresh client may not know the topic yet
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        for tp, offset in (await consumer.end_offsets(tps)).items():
            consumer.seek(tp, offset)
        deadline = time.monotonic() + timeout_s
        while any(consumer.highwater(tp) is None for tp in tps) and time.monotonic() < deadline:
            await consumer.getmany(timeout_ms=200)
        return {tp.partition: consumer.highwater(tp) or 0 for tp in tps}
    finally:
        await consumer.stop()


async def latest_value_sizes(settings: KafkaSettings, topic: str, timeout_s: float = 30.0) -> dict[bytes, int]:
    """key -> size of the key plus its latest value, read from a (changelog) topic up to its end."""
    ends = await end_offsets(settings, topic)
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    sizes: dict[bytes, int] = {}
    try:
        tps = [TopicPartition(topic, p) for p, end in ends.items() if end > 0]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        remaining, deadline = set(tps), time.monotonic() + timeout_s
        while remaining and time.monotonic() < deadline:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for r in records:
                    sizes[r.key] = len(r.key) + len(r.value or b"")
                if records and records[-1].offset + 1 >= ends[tp.partition]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return sizes
