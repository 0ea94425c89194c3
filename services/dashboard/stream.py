"""`GET /api/stream`: Server-Sent Events for the signed-in therapist, resumable with `Last-Event-ID`."""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.access import audit
from services.common.auth import TokenVerifier
from services.dashboard import queries
from services.dashboard.core.events import (
    HEARTBEAT_FRAME, StreamEvent, alert_event_from_row, checkin_event_from_row, parse_cursor, replay_order, resume_from,
)
from services.dashboard.fanout import Fanout
from services.dashboard.signin import Session, current_session

RETRY_MS = 3000


async def missed_events(engine: AsyncEngine, therapist_id: UUID, last_event_id: str | None,
                        margin: timedelta) -> list[StreamEvent]:
    """What the therapist's stream carried after `last_event_id` (plus a margin), rebuilt from PostgreSQL."""
    cursor = parse_cursor(last_event_id)
    async with engine.begin() as conn:
        if cursor is None:
            await audit(conn, therapist_id, "stream.open", resource="/api/stream")
            return []
        since = resume_from(cursor, margin)
        alert_rows = await queries.alert_events_since(conn, therapist_id, since)
        checkin_rows = await queries.checkins_since(conn, therapist_id, since)
        events = replay_order([alert_event_from_row(r) for r in alert_rows] +
                              [checkin_event_from_row(r) for r in checkin_rows])
        await audit(conn, therapist_id, "stream.resume", resource="/api/stream", last_event_id=last_event_id,
                    replayed=len(events), clients=sorted({str(e.client_id) for e in events}))
        return events


def stream_router(engine: AsyncEngine, verifier: TokenVerifier, fanout: Fanout, heartbeat_s: float,
                  resume_margin: timedelta) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["dashboard"])

    @router.get("/stream")
    async def stream(
        request: Request,
        session: Session = Depends(current_session(verifier)),
        last_event_id: str | None = Header(None, description="the `id` of the last event received, to resume"),
    ) -> StreamingResponse:
        """New alerts, alert state changes and new check-ins of the therapist's care-team clients.

        The stream ends when the sign-in expires; the browser's reconnect then gets a 401.
        """
        therapist_id = session.therapist_id
        resume_after = last_event_id or request.query_params.get("last_event_id")

        async def frames() -> AsyncIterator[str]:
            subscription = fanout.subscribe(therapist_id)  # before the replay, so nothing falls in between
            try:
                yield f"retry: {RETRY_MS}\n: connected\n\n"
                sent: set[UUID] = set()
                for event in await missed_events(engine, therapist_id, resume_after, resume_margin):
                    sent.add(event.event_id)
                    yield event.frame()
                while (remaining_s := session.ends_at - time.monotonic()) > 0:
                    try:
                        event = await asyncio.wait_for(subscription.queue.get(), min(heartbeat_s, remaining_s))
                    except TimeoutError:
                        yield HEARTBEAT_FRAME
                        continue
                    if event is None:
                        return
                    if event.event_id not in sent:
                        yield event.frame()
            finally:
                fanout.unsubscribe(subscription)

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(frames(), media_type="text/event-stream", headers=headers)

    return router
