"""All SQL the timeline writer runs: bulk COPY targets, idempotent `unnest` inserts and the existence check.

Check-ins and scores (the volume) go in by binary COPY after a check of which check-ins are already
stored; everything else, and any chunk that races another writer, goes through `INSERT ... SELECT FROM
unnest(...) ON CONFLICT DO NOTHING`, the four tables as data-modifying CTEs of one statement.
"""

import re
from collections.abc import Sequence
from uuid import UUID

from services.timeline.rows import AlertEventRow, CheckinRow, ScoreRow, SignalRow

INSERT_CHECKINS = """
INSERT INTO checkins (event_id, occurred_at, client_id, timezone, local_date, help_requested, answers, goals, note, source)
SELECT event_id, occurred_at, client_id, timezone, local_date, help_requested, answers::jsonb, goals::jsonb, note,
       source::jsonb
FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::text[], $5::date[], $6::bool[], $7::text[], $8::text[],
            $9::text[], $10::text[])
     AS t(event_id, occurred_at, client_id, timezone, local_date, help_requested, answers, goals, note, source)
ON CONFLICT DO NOTHING
"""

INSERT_SCORES = """
INSERT INTO scores (event_id, occurred_at, instrument, client_id, local_date, value, items_answered, detail)
SELECT event_id, occurred_at, instrument, client_id, local_date, value, items_answered, detail::jsonb
FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::uuid[], $5::date[], $6::float8[], $7::int[], $8::text[])
     AS t(event_id, occurred_at, instrument, client_id, local_date, value, items_answered, detail)
ON CONFLICT DO NOTHING
"""

INSERT_SIGNALS = """
INSERT INTO signals (signal_id, client_id, kind, severity, observed_at, detected_at, trigger_event_ids, evidence, summary)
SELECT signal_id, client_id, kind, severity, observed_at, detected_at, trigger_event_ids::uuid[], evidence::jsonb, summary
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[],
            $8::text[], $9::text[])
     AS t(signal_id, client_id, kind, severity, observed_at, detected_at, trigger_event_ids, evidence, summary)
ON CONFLICT DO NOTHING
"""

# Only steps of alerts the notifier has stored: it writes its own alert_events rows in the same
# transaction as the alert, so this insert is a no-op for them and fills in nothing it cannot reference.
INSERT_ALERT_EVENTS = """
INSERT INTO alert_events (event_id, alert_id, client_id, transition, state, actor, note, recipients, occurred_at)
SELECT event_id, alert_id, client_id, transition, state, actor, note, recipients::uuid[], occurred_at
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::timestamptz[])
     AS t(event_id, alert_id, client_id, transition, state, actor, note, recipients, occurred_at)
WHERE EXISTS (SELECT 1 FROM alerts a WHERE a.alert_id = t.alert_id)
ON CONFLICT DO NOTHING
"""

ARRAY_COLUMNS = {"signals": 6, "alert_events": 7}  # uuid lists travel as array literals: unnest would flatten them
STATEMENTS = {"checkins": INSERT_CHECKINS, "scores": INSERT_SCORES, "signals": INSERT_SIGNALS,
              "alert_events": INSERT_ALERT_EVENTS}
ROW_TYPES = {"checkins": CheckinRow, "scores": ScoreRow, "signals": SignalRow, "alert_events": AlertEventRow}


def _combined_statement() -> str:
    """The four inserts in one statement (one round trip), each reporting how many rows it really inserted."""
    parts, offset = [], 0
    for table, statement in STATEMENTS.items():
        renumbered = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + offset}", statement.strip())
        parts.append(f"{table}_in AS ({renumbered} RETURNING 1)")
        offset += len(ROW_TYPES[table]._fields)
    counts = ", ".join(f"(SELECT count(*) FROM {table}_in) AS {table}" for table in STATEMENTS)
    return "WITH " + ",\n".join(parts) + f"\nSELECT {counts}"


WRITE_ROWS = _combined_statement()


# Which check-ins of a chunk are stored already; the time bounds let PostgreSQL skip the other months.
STORED_CHECKINS = """
SELECT event_id, occurred_at FROM checkins
WHERE event_id = ANY($1::uuid[]) AND occurred_at >= $2 AND occurred_at <= $3"""

COPY_COLUMNS = {table: list(ROW_TYPES[table]._fields) for table in ("checkins", "scores")}


def uuid_array_literal(ids: Sequence[UUID]) -> str:
    return "{" + ",".join(str(i) for i in ids) + "}"


def columns_of(table: str, rows: Sequence[tuple]) -> list[list]:
    """Rows -> one list per column, the shape `unnest($1::type[], ...)` wants."""
    columns = [list(column) for column in zip(*rows)] or [[] for _ in ROW_TYPES[table]._fields]
    if table in ARRAY_COLUMNS:
        index = ARRAY_COLUMNS[table]
        columns[index] = [uuid_array_literal(ids) for ids in columns[index]]
    return columns
