"""Fan-out of live events to the open streams of the client's care team; a stream that falls behind is ended."""

import asyncio
import logging
from uuid import UUID

from services.common.metrics import REGISTRY
from services.dashboard.care_teams import CareTeamCache
from services.dashboard.core.events import StreamEvent

log = logging.getLogger(__name__)
open_streams = REGISTRY.gauge("rapport_dashboard_open_streams", "Server-Sent Event streams currently open")
pushed_total = REGISTRY.counter("rapport_dashboard_pushed_events_total", "events pushed to streams", ["kind"])


class Subscription:
    """One open stream: the therapist it belongs to and its bounded queue (None in the queue ends it)."""

    def __init__(self, therapist_id: UUID, size: int):
        self.therapist_id = therapist_id
        self.queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue(size)

    def offer(self, event: StreamEvent) -> bool:
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


class Fanout:
    """The open streams of one dashboard instance."""

    def __init__(self, care_teams: CareTeamCache, queue_size: int = 1000):
        self.care_teams, self.queue_size = care_teams, queue_size
        self.subscriptions: set[Subscription] = set()

    def subscribe(self, therapist_id: UUID) -> Subscription:
        subscription = Subscription(therapist_id, self.queue_size)
        self.subscriptions.add(subscription)
        open_streams.set(len(self.subscriptions))
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)
        open_streams.set(len(self.subscriptions))

    def end_streams(self) -> None:
        """Close every open stream (before a server shutdown, which waits for open responses)."""
        for subscription in list(self.subscriptions):
            subscription.end()

    async def push(self, event: StreamEvent) -> None:
        """Offer `event` to the open streams of its client's care team."""
        for subscription in list(self.subscriptions):
            if event.client_id not in await self.care_teams.client_ids(subscription.therapist_id):
                continue
            if subscription.offer(event):
                pushed_total.inc(kind=event.kind)
            else:
                log.warning("stream fell behind, ending it", extra={"therapist_id": str(subscription.therapist_id)})
                self.unsubscribe(subscription)
                subscription.end()
