"""Load and a baseline that run beside a latency measurement: steady check-ins and bare Kafka hops."""

import asyncio
import random
import time
from datetime import UTC, datetime

from bench.context import BenchContext
from bench.workload import client_ids, encode, ordinary
from schemas.topics import CHECKINS
from services.common.kafka import client_options, ensure_topics, make_producer

PING_TOPIC = "rapport.bench.ping"


async def steady_background(ctx: BenchContext, stop: asyncio.Event, sent: list[int]) -> None:
    """Publish ordinary check-ins at `background_rate` per second in 50 ms ticks until `stop`."""
    rng = random.Random(ctx.plan.seed)
    clients = client_ids(2_000, ctx.plan.seed, "background")
    producer = make_producer(ctx.kafka)
    await producer.start()
    try:
        started, due = time.monotonic(), 0.0
        while not stop.is_set():
            due = (time.monotonic() - started) * ctx.plan.background_rate
            while sent[0] < due:
                key, value = encode(ordinary(rng.choice(clients), datetime.now(UTC), rng))
                await producer.send(CHECKINS, value, key=key)
                sent[0] += 1
            await asyncio.sleep(0.05)
    finally:
        await producer.stop()


async def kafka_hops(ctx: BenchContext, stop: asyncio.Event, latencies: list[float]) -> None:
    """The baseline: produce a timestamp every 100 ms and time its arrival at an assigned consumer that
    fetches with the services' KAFKA_FETCH_MAX_WAIT_MS."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    await ensure_topics(ctx.kafka, [PING_TOPIC])
    consumer = AIOKafkaConsumer(**client_options(ctx.kafka), enable_auto_commit=False,
                                fetch_max_wait_ms=ctx.kafka.kafka_fetch_max_wait_ms)  # as the services' consumers
    producer = make_producer(ctx.kafka, linger_ms=0)
    await consumer.start()
    await producer.start()
    try:
        partition = TopicPartition(PING_TOPIC, 0)
        consumer.assign([partition])
        await consumer.seek_to_end(partition)
        await consumer.position(partition)
        while not stop.is_set():
            await producer.send_and_wait(PING_TOPIC, str(time.monotonic()).encode(), partition=0)
            for records in (await consumer.getmany(timeout_ms=100)).values():
                latencies += [(time.monotonic() - float(r.value)) * 1000 for r in records]
    finally:
        await producer.stop()
        await consumer.stop()
