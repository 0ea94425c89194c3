"""Live updates: one in-process reader of alerts and check-ins per dashboard instance, fanned out to open streams.

No consumer group: every instance reads every partition from the end, so each instance can serve
any therapist; what a stream missed while disconnected is replayed from PostgreSQL (see `stream`).
Undecodable records are skipped and counted, not dead-lettered: every instance reads them, and the
owning consumer groups (timeline, notifier) already dead-letter them once.
"""

import asyncio
import logging
from datetime import UTC, datetime
from uuid import UUID

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import ValidationError

from schemas.alert import AlertEvent
from schemas.checkin import CheckinSubmitted
from schemas.topics import ALERTS, CHECKINS
from services.common.kafka import client_options
from services.common.metrics import REGISTRY
from services.common.settings import KafkaSettings
from services.dashboard.care_teams import CareTeamCache
from services.dashboard.core.events import StreamEvent, alert_event, checkin_event

log = logging.getLogger(__name__)
open_streams = REGISTRY.gauge("rapport_dashboard_open_streams", "Server-Sent Event streams currently open")
pushed_total = REGISTRY.counter("rapport_dashboard_pushed_events_total", "events pushed to streams", ["kind"])
skipped_total = REGISTRY.counter("rapport_dashboard_skipped_records_total", "records the dashboard could not read",
                                 ["topic"])


class Subscription:
    """One open stream: the therapist it belongs to and its bounded queue (None in the queue ends it)."""

    def __init__(self, therapist_id: UUID, size: int):
        self.therapist_id = therapist_id
        self.queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue(size)

    def offer(self, event: StreamEvent | None) -> bool:
        try:
            self.queue.put_nowait(event)
            return True
        except asyncio.QueueFull:
            return False

    def end(self) -> None:
        """Drop what is queued and tell the stream to close; the page reconnects and resumes from PostgreSQL."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


def decode(record: ConsumerRecord) -> StreamEvent:
    """A record of either topic as a stream event; raises ValueError/ValidationError when unreadable."""
    if record.topic == ALERTS:
        return alert_event(AlertEvent.model_validate_json(record.value))
    received = datetime.fromtimestamp(record.timestamp / 1000, UTC)
    return checkin_event(CheckinSubmitted.model_validate_json(record.value), received)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("live updates stopped", exc_info=task.exception())


class LiveUpdates:
    """Reads `rapport.alerts.v1` and `rapport.checkins.v1` and pushes each event to its care team's streams."""

    def __init__(self, settings: KafkaSettings, care_teams: CareTeamCache, queue_size: int = 1000):
        self.settings, self.care_teams, self.queue_size = settings, care_teams, queue_size
        self.subscriptions: set[Subscription] = set()
        self.ready = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None

    def subscribe(self, therapist_id: UUID) -> Subscription:
        subscription = Subscription(therapist_id, self.queue_size)
        self.subscriptions.add(subscription)
        open_streams.set(len(self.subscriptions))
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)
        open_streams.set(len(self.subscriptions))

    def healthy(self) -> bool:
        """Assigned to every partition and still reading."""
        return self.ready.is_set() and self._task is not None and not self._task.done()

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(**client_options(self.settings), enable_auto_commit=False)
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name="dashboard-live-updates")
        self._task.add_done_callback(_log_failure)

    def end_streams(self) -> None:
        """Close every open stream (before a server shutdown, which waits for open responses)."""
        for subscription in list(self.subscriptions):
            subscription.end()

    async def stop(self) -> None:
        """End every open stream, then stop reading."""
        self.end_streams()
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
        await self.push(event)

    async def push(self, event: StreamEvent) -> None:
        """Offer `event` to the open streams of its client's care team; a full stream is ended (it will resume)."""
        for subscription in list(self.subscriptions):
            if event.client_id not in await self.care_teams.client_ids(subscription.therapist_id):
                continue
            if subscription.offer(event):
                pushed_total.inc(kind=event.kind)
            else:
                log.warning("stream fell behind, ending it", extra={"therapist_id": str(subscription.therapist_id)})
                self.unsubscribe(subscription)
                subscription.end()
