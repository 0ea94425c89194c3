"""All SQL of the timeline read API: one client's timeline (keyset, newest first) and daily score series."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import TextClause, column, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
LAST_ID = UUID("ffffffff-ffff-ffff-ffff-ffffffffffff")

# Each branch walks its own (client_id, time) index backwards from the cursor and stops after `fetch` rows;
# the explicit `<= :cursor_at` lets the planner use the index for the row comparison that follows.
_WINDOW = """client_id = :client_id AND {at} >= :from_at AND {at} < :to_at AND {at} <= :cursor_at
  AND ({at}, {id}) < (:cursor_at, :cursor_id)"""

BRANCHES = {
    "checkin": f"""
SELECT 'checkin' AS kind, c.occurred_at AS at, c.event_id AS id, jsonb_build_object(
    'local_date', c.local_date, 'timezone', c.timezone, 'help_requested', c.help_requested, 'answers', c.answers,
    'goals', c.goals, 'note', c.note, 'source', c.source, 'scores', coalesce((
        SELECT jsonb_object_agg(s.instrument, jsonb_build_object(
            'value', s.value, 'items_answered', s.items_answered, 'detail', s.detail))
        FROM scores s WHERE s.event_id = c.event_id AND s.occurred_at = c.occurred_at), '{{}}'::jsonb)) AS data
FROM checkins c WHERE c.{_WINDOW.format(at="c.occurred_at", id="c.event_id")}
ORDER BY c.occurred_at DESC, c.event_id DESC LIMIT :fetch""",
    "signal": f"""
SELECT 'signal' AS kind, g.observed_at AS at, g.signal_id AS id, jsonb_build_object(
    'signal_kind', g.kind, 'severity', g.severity, 'summary', g.summary, 'evidence', g.evidence,
    'trigger_event_ids', to_jsonb(g.trigger_event_ids), 'detected_at', g.detected_at) AS data
FROM signals g WHERE g.{_WINDOW.format(at="g.observed_at", id="g.signal_id")}
ORDER BY g.observed_at DESC, g.signal_id DESC LIMIT :fetch""",
    "alert": f"""
SELECT 'alert' AS kind, e.occurred_at AS at, e.event_id AS id, jsonb_build_object(
    'alert_id', e.alert_id, 'transition', e.transition, 'state', e.state, 'actor', e.actor, 'note', e.note,
    'signal_id', a.signal_id, 'signal_kind', a.kind, 'severity', a.severity, 'summary', a.summary) AS data
FROM alert_events e JOIN alerts a ON a.alert_id = e.alert_id
WHERE e.{_WINDOW.format(at="e.occurred_at", id="e.event_id")}
ORDER BY e.occurred_at DESC, e.event_id DESC LIMIT :fetch""",
}
KINDS = tuple(BRANCHES)

SERIES = """
SELECT {bucket} AS bucket, avg(value) AS mean, min(value) AS min, max(value) AS max, count(*) AS count,
       (array_agg(value ORDER BY occurred_at DESC))[1] AS last
FROM scores
WHERE client_id = :client_id AND instrument = :instrument AND value IS NOT NULL
  AND occurred_at >= :from_at AND occurred_at < :to_at
GROUP BY 1 ORDER BY 1"""
BUCKETS = {"day": "local_date", "week": "date_trunc('week', local_date)::date"}

SIGNAL_MARKERS = """
SELECT signal_id, kind, severity, observed_at, summary FROM signals
WHERE client_id = :client_id AND observed_at >= :from_at AND observed_at < :to_at ORDER BY observed_at"""


def timeline_statement(kinds: list[str]) -> TextClause:
    union = " UNION ALL ".join(f"({BRANCHES[k]})" for k in kinds)
    return text(f"{union} ORDER BY at DESC, id DESC LIMIT :fetch").columns(
        column("kind"), column("at"), column("id"), column("data", JSONB))


async def timeline_page(conn: AsyncConnection, client_id: UUID, kinds: list[str], from_at: datetime | None,
                        to_at: datetime | None, after: tuple[datetime, UUID] | None, limit: int) -> list[dict]:
    """Up to `limit + 1` items older than `after` (the cursor), newest first; the extra one says a next page exists."""
    cursor_at, cursor_id = after or (LATEST, LAST_ID)
    rows = await conn.execute(timeline_statement(kinds), {
        "client_id": client_id, "from_at": from_at or EARLIEST, "to_at": to_at or LATEST,
        "cursor_at": cursor_at, "cursor_id": cursor_id, "fetch": limit + 1})
    return [dict(r._mapping) for r in rows]


async def daily_series(conn: AsyncConnection, client_id: UUID, instrument: str, bucket: str,
                       from_at: datetime | None, to_at: datetime | None) -> list[dict]:
    """Mean, min, max, count and last complete score per bucket of the client's own calendar days."""
    rows = await conn.execute(text(SERIES.format(bucket=BUCKETS[bucket])), {
        "client_id": client_id, "instrument": instrument, "from_at": from_at or EARLIEST, "to_at": to_at or LATEST})
    return [dict(r._mapping) for r in rows]


async def signal_markers(conn: AsyncConnection, client_id: UUID, from_at: datetime | None,
                         to_at: datetime | None) -> list[dict]:
    """The client's signals in the window, to mark on a chart."""
    rows = await conn.execute(text(SIGNAL_MARKERS), {
        "client_id": client_id, "from_at": from_at or EARLIEST, "to_at": to_at or LATEST})
    return [dict(r._mapping) for r in rows]
