"""Composition root of the timeline writer: settings, store, producer, consumer loop and health endpoint."""

import asyncio
import logging
from contextlib import AsyncExitStack

from services.common.http import EmbeddedServer, health_app
from services.common.kafka import BatchLimits, ConsumerLoop, make_producer, send_to_dlq, wait_for_broker
from services.timeline.config import TimelineSettings
from services.timeline.service import SERVICE, TimelineWriter
from services.timeline.store import TimelineStore
from services.timeline.writer import TOPICS

log = logging.getLogger(__name__)


def batch_limits(settings: TimelineSettings) -> BatchLimits:
    return BatchLimits(max_records=settings.batch_max_records, max_wait_ms=settings.batch_max_wait_ms,
                       retry_initial_s=settings.retry_initial_s, retry_max_s=settings.retry_max_s,
                       in_flight=settings.batches_in_flight)


async def open_store(settings: TimelineSettings) -> TimelineStore:
    """The writer's pool: a connection per batch in flight, and one more for the readiness check."""
    return await TimelineStore.open(settings.database_url, settings.statement_timeout_ms,
                                    max_size=settings.batches_in_flight + 1)


async def serve(settings: TimelineSettings, stop: asyncio.Event) -> None:
    """Consume and write until `stop` is set; the batch in flight is finished and committed first."""
    async with AsyncExitStack() as resources:
        store = await open_store(settings)
        resources.push_async_callback(store.close)
        loop_holder: list[ConsumerLoop] = []

        async def ready() -> bool:
            return bool(loop_holder) and loop_holder[0].ready.is_set() and await store.ping()

        server = EmbeddedServer(health_app(SERVICE, ready), settings.host, settings.port)
        await server.start()
        resources.push_async_callback(server.stop)
        log.info("timeline health endpoint listening", extra={"host": settings.host, "port": settings.port})

        await wait_for_broker(settings, timeout_s=60)
        producer = make_producer(settings)
        await producer.start()
        resources.push_async_callback(producer.stop)

        writer = TimelineWriter(store, lambda record, reason: send_to_dlq(producer, record, reason, SERVICE),
                                settings.chunk_records)
        consumer = ConsumerLoop(SERVICE, settings, TOPICS, settings.group_id, writer.handle, batch_limits(settings))
        await consumer.start()
        resources.push_async_callback(consumer.close)
        loop_holder.append(consumer)

        running = asyncio.create_task(consumer.run())
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({running, stopped}, return_when=asyncio.FIRST_COMPLETED)
        consumer.stop()
        stopped.cancel()
        await running
        log.info("timeline writer stopped")
