"""Live updates: one in-process reader of alerts and check-ins per dashboard instance, feeding the fan-out.

No consumer group: every instance reads every partition from the end, so each instance can serve
any therapist; what a stream missed while disconnected is replayed from PostgreSQL (see `stream`).
Undecodable records are skipped and counted, not dead-lettered: every instance reads them, and the
owning consumer groups (timeline, notifier) already dead-letter them once.
"""

import asyncio
import logging
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import ValidationError

from schemas.alert import AlertEvent
from schemas.checkin import CheckinSubmitted
from schemas.topics import ALERTS, CHECKINS
from services.common.kafka import client_options
from services.common.metrics import REGISTRY
from services.common.settings import KafkaSettings
from services.dashboard.core.events import StreamEvent, alert_event, checkin_event
from services.dashboard.fanout import Fanout

log = logging.getLogger(__name__)
# Tansu answers a fetch only when fetch_max_wait_ms runs out, even if records arrived meanwhile: with aiokafka's
# default 500 ms this hop alone cost ~250 ms p50 (measured); 25 ms costs ~15 ms and 40 small requests/s when idle.
FETCH_MAX_WAIT_MS = 25
skipped_total = REGISTRY.counter("rapport_dashboard_skipped_records_total", "records the dashboard could not read",
                                 ["topic"])


def decode(record: ConsumerRecord) -> StreamEvent:
    """A record of either topic as a stream event; raises ValueError/ValidationError when unreadable."""
    if record.topic == ALERTS:
        return alert_event(AlertEvent.model_validate_json(record.value))
    received = datetime.fromtimestamp(record.timestamp / 1000, UTC)
    return checkin_event(CheckinSubmitted.model_validate_json(record.value), received)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("live updates stopped", exc_info=task.exception())


class LiveReader:
    """Reads `rapport.alerts.v1` and `rapport.checkins.v1` from their end and pushes each event to the fan-out."""

    def __init__(self, settings: KafkaSettings, fanout: Fanout):
        self.settings, self.fanout = settings, fanout
        self.ready = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None

    def healthy(self) -> bool:
        """Assigned to every partition and still reading."""
        return self.ready.is_set() and self._task is not None and not self._task.done()

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(**client_options(self.settings), enable_auto_commit=False,
                                          fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name="dashboard-live-updates")
        self._task.add_done_callback(_log_failure)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer:
            await self._consumer.stop()
            self._consumer = None

    async def _assign_all_partitions(self) -> None:
        partitions: list[TopicPartition] = []
        for topic in (ALERTS, CHECKINS):
            found = self._consumer.partitions_for_topic(topic)
            while not found:
                # a consumer without a subscription refreshes metadata rarely: ask for it while the topic is missing
                await self._consumer._client.force_metadata_update()
                found = self._consumer.partitions_for_topic(topic)
                if not found:
                    await asyncio.sleep(0.5)
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for tp in partitions:  # fix the start positions now, so nothing after "ready" is missed
            await self._consumer.position(tp)

    async def _run(self) -> None:
        await self._assign_all_partitions()
        self.ready.set()
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=500)
            for record in (r for part in batches.values() for r in part):
                await self._dispatch(record)

    async def _dispatch(self, record: ConsumerRecord) -> None:
        try:
            event = decode(record)
        except (ValueError, ValidationError) as exc:
            skipped_total.inc(topic=record.topic)
            log.warning("skipped unreadable record", extra={"topic": record.topic, "partition": record.partition,
                                                            "offset": record.offset, "error": type(exc).__name__})
            return
        await self.fanout.push(event)
