"""Publishes a therapist's alert action to `rapport.alerts.v1` after it is committed."""

import logging

from aiokafka.errors import KafkaError

from schemas.alert import AlertEvent
from schemas.topics import ALERTS
from services.common.kafka import make_producer
from services.common.metrics import REGISTRY
from services.common.settings import KafkaSettings

log = logging.getLogger(__name__)
publish_failures = REGISTRY.counter("rapport_dashboard_publish_failures_total", "alert events not published")


class AlertPublisher:
    """A Kafka producer for alert lifecycle events (acks=all)."""

    def __init__(self, settings: KafkaSettings):
        self.producer = make_producer(settings)

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def publish(self, event: AlertEvent) -> bool:
        """Send and wait; False (logged, counted) when the broker did not take it.

        The state change is already durable in PostgreSQL, so a lost event only delays colleagues'
        pages until their next reconnect, which replays `alert_events`.
        """
        key, value = event.to_kafka()
        try:
            await self.producer.send_and_wait(ALERTS, value, key=key)
            return True
        except KafkaError as exc:
            publish_failures.inc()
            log.error("alert event not published", extra={"alert_id": str(event.alert_id),
                                                          "transition": event.transition.value,
                                                          "error": type(exc).__name__})
            return False
