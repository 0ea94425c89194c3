"""Publish check-ins to `rapport.checkins.v1` and say "written" only once Kafka acknowledged them."""

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas.checkin import CheckinSubmitted
from schemas.topics import CHECKINS
from services.common.metrics import REGISTRY

log = logging.getLogger(__name__)
publish_failures = REGISTRY.counter(
    "rapport_gateway_publish_failures_total", "check-ins Kafka did not acknowledge", ["reason"])


class KafkaUnavailable(Exception):
    """Kafka did not acknowledge the write in time: the check-in must not be reported as accepted."""


class CheckinPublisher:
    """Writes check-ins keyed by client_id with acks=all, bounded by an acknowledgement timeout."""

    def __init__(self, producer: Callable[[], AIOKafkaProducer | None], ack_timeout_s: float):
        self._producer = producer
        self.ack_timeout_s = ack_timeout_s


    async def publish(self, event: CheckinSubmitted) -> None:
        """Return once Kafka acknowledged the event; raise KafkaUnavailable otherwise."""
        await self.publish_many([event])

    async def publish_many(self, events: list[CheckinSubmitted]) -> list[bool]:
        """Send all events at once; per event, whether Kafka acknowledged it. Raise when none was."""
        if not events:
            return []
        producer = self._producer()
        if producer is None:
            publish_failures.inc(len(events), reason="not_connected")
            raise KafkaUnavailable("not connected to Kafka yet")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ack_timeout_s
        try:
            # send() itself waits when topic metadata is unknown or the buffer is full: bound that too.
            futures = await asyncio.wait_for(self._enqueue(producer, events), self.ack_timeout_s)
        except (KafkaError, TimeoutError) as exc:
            publish_failures.inc(len(events), reason=type(exc).__name__)
            raise KafkaUnavailable(f"Kafka did not take the check-ins: {type(exc).__name__}") from exc
        done, pending = await asyncio.wait(futures, timeout=max(deadline - loop.time(), 0.01))
        written = [f in done and f.exception() is None for f in futures]
        for f in pending:
            # Kafka may still take it later; the client retries with the same event_id and the sinks dedupe.
            f.add_done_callback(lambda fut: fut.cancelled() or fut.exception())
        if not all(written):
            failed = [f for f in futures if f not in done or f.exception() is not None]
            reason = "timeout" if pending else type(failed[0].exception()).__name__
            publish_failures.inc(len(failed), reason=reason)
            log.warning("kafka did not acknowledge check-ins", extra={"failed": len(failed), "reason": reason})
        if not any(written):
            raise KafkaUnavailable("Kafka did not acknowledge the check-in in time")
        return written

    @staticmethod
    async def _enqueue(producer: AIOKafkaProducer, events: list[CheckinSubmitted]) -> list[asyncio.Future]:
        return [await producer.send(CHECKINS, value, key=key) for key, value in (e.to_kafka() for e in events)]

    async def reachable(self) -> bool:
        """Whether the producer knows a live broker (for /readyz)."""
        producer = self._producer()
        if producer is None:
            return False
        try:
            client = producer.client
            return any([await asyncio.wait_for(client.ready(node.nodeId), 2) for node in client.cluster.brokers()])
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False
