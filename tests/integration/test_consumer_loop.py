"""The shared consumer loop with two batches in flight, on the real broker: offsets only move in batch order."""

import asyncio
import uuid

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.common.kafka import BatchLimits, ConsumerLoop, client_options, make_producer

RECORDS = 12
LIMITS = BatchLimits(max_records=4, max_wait_ms=100, retry_initial_s=0.05, retry_max_s=0.1, in_flight=2)


async def topic_with_records(kafka_settings) -> str:
    """A new one-partition topic holding the values b"0" .. b"11"."""
    topic = f"test.loop.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**client_options(kafka_settings))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = make_producer(kafka_settings)
    await producer.start()
    try:
        for n in range(RECORDS):
            await producer.send_and_wait(topic, str(n).encode())
    finally:
        await producer.stop()
    return topic


async def started(kafka_settings, topic: str, group: str, handler, name: str | None = None):
    """A loop with its own metrics name (the counters are process-wide), running as a task."""
    loop = ConsumerLoop(name or group, kafka_settings, [topic], group, handler, LIMITS)
    await loop.start()
    return loop, asyncio.create_task(loop.run())


async def committed(loop: ConsumerLoop, topic: str) -> int | None:
    return await loop.consumer.committed(TopicPartition(topic, 0))


async def eventually(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


def values(records) -> list[int]:
    return [int(r.value) for r in records]


async def test_a_slow_batch_holds_back_the_commit_of_the_batch_after_it(kafka_settings):
    topic = await topic_with_records(kafka_settings)
    release, handled = asyncio.Event(), []

    async def handler(records):
        if 0 in values(records):
            await release.wait()  # the first batch is slow; the second runs meanwhile
        handled.extend(values(records))

    loop, running = await started(kafka_settings, topic, f"g-{uuid.uuid4().hex[:6]}", handler)
    try:
        await eventually(lambda: handled)  # a later batch finished while the first still runs
        assert 0 not in handled
        await asyncio.sleep(0.5)
        assert await committed(loop, topic) is None, "a batch after the unfinished first one was committed"
        release.set()
        await eventually(lambda: len(handled) == RECORDS)
        await eventually(lambda: loop.records_total.value(service=loop.name) >= RECORDS)
        assert await committed(loop, topic) == RECORDS
        assert sorted(handled) == list(range(RECORDS))
    finally:
        loop.stop()
        await running
        await loop.close()


async def test_stopping_while_a_batch_still_fails_commits_nothing_after_it(kafka_settings):
    topic, group = await topic_with_records(kafka_settings), f"g-{uuid.uuid4().hex[:6]}"
    attempts, handled = [], []

    async def failing_first(records):
        if 0 in values(records):
            attempts.append(1)
            raise ConnectionError("database down")
        handled.extend(values(records))

    loop, running = await started(kafka_settings, topic, group, failing_first)
    try:
        await eventually(lambda: handled and len(attempts) >= 3)
    finally:
        loop.stop()
        await asyncio.wait_for(running, 10)
    assert await committed(loop, topic) is None  # the second batch succeeded, but the first never did
    await loop.close()

    seen = []

    async def recovered(records):
        seen.extend(values(records))

    loop, running = await started(kafka_settings, topic, group, recovered, name=f"{group}-again")
    try:
        await eventually(lambda: len(seen) >= RECORDS)
        assert seen[0] == 0 and sorted(set(seen)) == list(range(RECORDS))  # the next run starts at the first record
        await eventually(lambda: loop.records_total.value(service=loop.name) >= RECORDS)
    finally:
        loop.stop()
        await running
        await loop.close()
