"""Signals in, alerts out: decode a batch, open its alerts under the policy in one transaction, publish the steps.

The batch is written with one statement per table (`AlertStore.open_alerts`), so its cost hardly grows with
its size; only when PostgreSQL refuses one of its signals (SQLSTATE class 22) is it redone one signal at a
time, in savepoints, to dead-letter exactly the refused ones.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from schemas.alert import AlertEvent
from schemas.errors import summarize_validation_error
from schemas.signal import SignalDetected
from schemas.topics import ALERTS
from services.common.kafka import send_to_dlq
from services.common.metrics import REGISTRY
from services.notifier.adapters.store import AlertStore, Opened
from services.notifier.core import AlertPolicy, Decision

SERVICE = "notifier"
log = logging.getLogger(__name__)
alerts_total = REGISTRY.counter("rapport_notifier_alerts_total", "alerts opened", ["severity", "delivery"])
published_total = REGISTRY.counter("rapport_notifier_alert_events_published_total", "alert steps published", ["transition"])


async def publish_events(producer: AIOKafkaProducer, events: list[AlertEvent]) -> None:
    """Publish alert steps to `rapport.alerts.v1` (keyed by client) and wait until the broker has them all."""
    pending = []
    for event in events:
        key, value = event.to_kafka()
        pending.append(await producer.send(ALERTS, value, key=key))
    for delivery in pending:
        await delivery
    for event in events:
        published_total.inc(transition=event.transition.value)


class SignalHandler:
    """The batch handler of the notifier's `ConsumerLoop` over `rapport.signals.v1`."""

    def __init__(self, store: AlertStore, policy: AlertPolicy, producer: AIOKafkaProducer,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store, self.policy, self.producer, self.clock = store, policy, producer, clock

    async def __call__(self, records: list[ConsumerRecord]) -> None:
        decoded = [(record, signal) for record in records if (signal := await self._decode(record)) is not None]
        now = self.clock()
        try:
            async with self.store.transaction() as conn:
                opened = await self.store.open_alerts(conn, [signal for _, signal in decoded], self.policy, now)
        except DBAPIError as exc:
            if not _is_data_exception(exc):
                raise  # transient (database down, lock timeout): the loop retries the batch
            opened = await self._one_by_one(decoded, now)
        for event, decision in opened:
            if decision is not None:
                _count_and_log(event, decision)
        # Redelivered signals republish their stored `opened` step: same event id, consumers are idempotent.
        await publish_events(self.producer, [event for event, _ in opened])

    async def _one_by_one(self, decoded: list[tuple[ConsumerRecord, SignalDetected]], now: datetime) -> list[Opened]:
        """The batch again, each signal in a savepoint: dead-letter those PostgreSQL refuses, keep the rest."""
        opened: list[Opened] = []
        async with self.store.transaction() as conn:
            for record, signal in decoded:
                try:
                    opened.append(await self.store.open_alert(conn, signal, self.policy, now))
                except DBAPIError as exc:
                    if not _is_data_exception(exc):
                        raise
                    await send_to_dlq(self.producer, record, f"signal not storable: SQLSTATE {_sqlstate(exc)}", SERVICE)
        return opened

    async def _decode(self, record: ConsumerRecord) -> SignalDetected | None:
        try:
            return SignalDetected.model_validate_json(record.value or b"")
        except ValidationError as exc:
            await send_to_dlq(self.producer, record, f"invalid signal.detected: {summarize_validation_error(exc)}", SERVICE)
            return None


def _count_and_log(event: AlertEvent, decision: Decision) -> None:
    alerts_total.inc(severity=event.severity.value, delivery=decision.delivery.value)
    log.info("alert opened", extra={"alert_id": str(event.alert_id), "signal_id": str(event.signal_id),
                                    "kind": event.kind.value, "severity": event.severity.value,
                                    "delivery": decision.delivery.value, "recipients": len(decision.recipients),
                                    "page_held_until": decision.hold_until})


def _sqlstate(exc: DBAPIError) -> str:
    return getattr(exc.orig, "sqlstate", None) or ""


def _is_data_exception(exc: DBAPIError) -> bool:
    """SQLSTATE class 22 (e.g. a NUL character in text): valid JSON that PostgreSQL will never store."""
    return _sqlstate(exc).startswith("22")
