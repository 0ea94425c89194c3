"""The notifier's composition root: wire settings to the consumer loop, escalation timers, webhooks and HTTP."""

import asyncio
import logging

import httpx
from sqlalchemy import text

from schemas.topics import SIGNALS
from services.common.db import make_engine
from services.common.http import EmbeddedServer, health_app
from services.common.kafka import BatchLimits, ConsumerLoop, ensure_topics, make_producer, wait_for_broker
from services.notifier.adapters.store import AlertStore
from services.notifier.adapters.webhook import WebhookOutbox, WebhookSender
from services.notifier.config import NotifierSettings
from services.notifier.core import AlertPolicy
from services.notifier.escalation import EscalationTimers
from services.notifier.handler import SERVICE, SignalHandler, publish_events

log = logging.getLogger(__name__)


async def run_notifier(settings: NotifierSettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set, then finish the batch in flight, commit it and close every client."""
    await wait_for_broker(settings)
    await ensure_topics(settings)
    engine = make_engine(settings)
    producer = make_producer(settings)
    await producer.start()
    outbox = WebhookOutbox(settings.webhook_url) if settings.webhook_url else None
    store = AlertStore(engine, outbox.enqueue) if outbox else AlertStore(engine)
    http_client = httpx.AsyncClient()

    async def publish(events):
        await publish_events(producer, events)

    loop = ConsumerLoop(SERVICE, settings, [SIGNALS], settings.group_id,
                        SignalHandler(store, AlertPolicy(settings.policy()), producer), BatchLimits(max_records=200))
    timers = EscalationTimers(store, publish, settings.escalation_poll_s)

    async def ready() -> bool:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("select 1"))
        except Exception:  # noqa: BLE001 - not ready is the answer
            return False
        return loop.ready.is_set()

    server = EmbeddedServer(health_app(SERVICE, ready), settings.host, settings.port)
    await server.start()
    await loop.start()
    log.info("notifier started", extra={"port": settings.port, "group_id": settings.group_id})
    tasks = [asyncio.create_task(loop.run(), name="signals"), asyncio.create_task(timers.run(stop), name="escalation")]
    if outbox:
        sender = WebhookSender(engine, http_client, settings.webhook_secret, max_attempts=settings.webhook_max_attempts,
                               backoff_initial_s=settings.webhook_backoff_initial_s,
                               backoff_max_s=settings.webhook_backoff_max_s, timeout_s=settings.webhook_timeout_s,
                               poll_s=settings.webhook_poll_s)
        tasks.append(asyncio.create_task(sender.run(stop), name="webhooks"))
    try:
        done, _ = await asyncio.wait([asyncio.create_task(stop.wait()), *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task in tasks:
                task.result()  # a crashed loop stops the service loudly
    finally:
        stop.set()
        loop.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        await loop.close()
        await producer.stop()
        await http_client.aclose()
        await server.stop()
        await engine.dispose()
        log.info("notifier stopped")
