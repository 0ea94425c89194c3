"""Stream events: what a therapist's open page is told, with orderable ids for `Last-Event-ID` resume.

An id is `<epoch milliseconds>-<event uuid>`: the time orders it, the uuid makes it unique and lets
the page drop an event it already has (a resume replays a safety margin before the cursor).
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from schemas.alert import AlertEvent
from schemas.checkin import CheckinSubmitted

HEARTBEAT_FRAME = ": heartbeat\n\n"


@dataclass(frozen=True)
class StreamEvent:
    """One SSE message for the page: `alert` (a lifecycle step) or `checkin` (a new check-in, ids only)."""

    kind: str
    client_id: UUID
    event_id: UUID
    at: datetime
    data: dict = field(hash=False, compare=False)

    @property
    def cursor(self) -> str:
        return f"{int(self.at.timestamp() * 1000)}-{self.event_id}"

    def frame(self) -> str:
        """The Server-Sent Events wire form."""
        payload = json.dumps(self.data, default=str, separators=(",", ":"))
        return f"id: {self.cursor}\nevent: {self.kind}\ndata: {payload}\n\n"


def parse_cursor(last_event_id: str | None) -> datetime | None:
    """The time in a `Last-Event-ID`, or None when absent or not one of ours."""
    if not last_event_id:
        return None
    millis, _, rest = last_event_id.strip().partition("-")
    try:
        UUID(rest)
        return datetime.fromtimestamp(int(millis) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def resume_from(cursor: datetime, margin: timedelta) -> datetime:
    """Replay a margin before the cursor: a row committed late may carry an earlier time."""
    return cursor - margin


def alert_event(event: AlertEvent) -> StreamEvent:
    data = event.model_dump(mode="json")
    return StreamEvent("alert", event.client_id, event.event_id, event.occurred_at, data)


def alert_event_from_row(row: dict) -> StreamEvent:
    """The same message as `alert_event`, rebuilt from an `alert_events` row joined with its alert."""
    fields = {name: row[name] for name in AlertEvent.model_fields if name in row}
    return alert_event(AlertEvent.model_validate(fields | {"recipients": row.get("recipients") or []}))


def checkin_event(event: CheckinSubmitted, received_at: datetime) -> StreamEvent:
    """A new check-in: ids and times only; the page fetches what it shows through the audited API."""
    return _checkin(event.event_id, event.client_id, event.occurred_at, received_at, event.help_requested)


def checkin_event_from_row(row: dict) -> StreamEvent:
    return _checkin(row["event_id"], row["client_id"], row["occurred_at"], row["received_at"], row["help_requested"])


def _checkin(event_id: UUID, client_id: UUID, occurred_at: datetime, received_at: datetime, help_requested: bool):
    data = {"event_id": str(event_id), "client_id": str(client_id), "occurred_at": occurred_at.isoformat(),
            "help_requested": help_requested}
    return StreamEvent("checkin", client_id, event_id, received_at, data)


def replay_order(events: list[StreamEvent]) -> list[StreamEvent]:
    """Oldest first, ties broken by id, without duplicates."""
    unique = {e.event_id: e for e in events}
    return sorted(unique.values(), key=lambda e: (e.at, str(e.event_id)))
