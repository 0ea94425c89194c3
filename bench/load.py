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


class TopicArrivals:
    """Notes when the first record for each client_id arrives on a topic (read from its end, no group).

    The reader fetches with the services' KAFKA_FETCH_MAX_WAIT_MS, so an arrival time is late by at
    most about that wait.
    """

    def __init__(self, settings, topic: str):
        self.settings, self.topic = settings, topic
        self.first_at: dict[str, float] = {}

    async def read(self, ready: asyncio.Event) -> None:
        """Read until cancelled; set `ready` once positioned at the end."""
        import json

        from aiokafka import AIOKafkaConsumer, TopicPartition

        consumer = AIOKafkaConsumer(**client_options(self.settings), enable_auto_commit=False,
                                    fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms)
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(self.topic) or set()
            tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_end(*tps)
            for tp in tps:
                await consumer.position(tp)
            ready.set()
            while True:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    now = time.monotonic()
                    for record in records:
                        client = str(json.loads(record.value).get("client_id", ""))
                        self.first_at.setdefault(client, now)
        finally:
            await consumer.stop()
