"""Kafka measurements from the outside: fast produce, end offsets and a consumer group's committed progress."""

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


class GroupWatch:
    """Samples a consumer group's committed offsets on one topic (its progress as the broker sees it).

    It reads them through a consumer carrying the group id with manually assigned partitions, which
    never joins the group; the admin client's OffsetFetch is not understood by the embedded broker.
    """

    def __init__(self, settings: KafkaSettings, group: str, topic: str):
        self.settings, self.group, self.topic = settings, group, topic
        self.consumer = AIOKafkaConsumer(**client_options(settings), group_id=group, enable_auto_commit=False)
        self.partitions: list[TopicPartition] = []

    async def __aenter__(self) -> "GroupWatch":
        await self.consumer.start()
        self.partitions = [TopicPartition(self.topic, p) for p in sorted(await end_offsets(self.settings, self.topic))]
        self.consumer.assign(self.partitions)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.consumer.stop()

    async def committed(self) -> int:
        offsets = await asyncio.gather(*(self.consumer.committed(tp) for tp in self.partitions))
        return sum(o for o in offsets if o and o > 0)

    async def until(self, total: int, timeout_s: float, interval_s: float = 0.05, on_sample=None,
                    abort=None) -> list[tuple[float, int]]:
        """Sample (monotonic time, committed) until `total` is committed, `abort()` says why to give up, or the
        timeout; return the samples."""
        samples: list[tuple[float, int]] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = await self.committed()
            samples.append((time.monotonic(), value))
            if on_sample:
                on_sample(value)
            if value >= total:
                break
            if abort and (why := abort()):
                raise RuntimeError(why)
            await asyncio.sleep(interval_s)
        return samples
