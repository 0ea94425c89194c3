"""The pure core of the timeline writer: decoded Kafka records in, rows for the timeline tables out.

No I/O here: `rows_for` turns one record's bytes into the rows it contributes (`rows.py`), or raises
`UnusableRecord` with a reason for the dead-letter topic.
"""

import json

from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas.alert import AlertEvent
from schemas.checkin import Answer, CheckinSubmitted, GoalProgress, Source
from schemas.errors import summarize_validation_error
from schemas.scoring import score_answers
from schemas.signal import SignalDetected
from schemas.topics import ALERTS, CHECKINS, SIGNALS
from services.timeline.rows import AlertEventRow, CheckinRow, RowBatch, ScoreRow, SignalRow


class UnusableRecord(Exception):
    """A record that can never become a timeline row; the message is the dead-letter reason."""


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":")) if value else "{}"


# Serialising through pydantic-core is several times faster than model_dump + json.dumps (the writer's hot path).
_ANSWERS, _GOALS, _SOURCE = TypeAdapter(list[Answer]), TypeAdapter(list[GoalProgress]), TypeAdapter(Source)


def checkin_rows(event: CheckinSubmitted) -> RowBatch:
    """The check-in row plus one score row per instrument answered (value None when incomplete)."""
    local_date = event.local_date
    checkin = CheckinRow(
        event.event_id, event.occurred_at, event.client_id, event.timezone, local_date, event.help_requested,
        _ANSWERS.dump_json(event.answers).decode(),
        _GOALS.dump_json(event.goals).decode() if event.goals else "[]",
        event.note,
        _SOURCE.dump_json(event.source).decode() if event.source else None,
    )
    scores = [
        ScoreRow(event.event_id, event.occurred_at, s.instrument, event.client_id, local_date, s.value,
                 s.items_answered, _json(s.detail))
        for s in score_answers(event.answers).values()
    ]
    return RowBatch(checkins=[checkin], scores=scores)


def signal_rows(signal: SignalDetected) -> RowBatch:
    return RowBatch(signals=[SignalRow(
        signal.signal_id, signal.client_id, signal.kind.value, signal.severity.value, signal.observed_at,
        signal.detected_at, list(signal.trigger_event_ids), _json(signal.model_dump(mode="json")["evidence"]),
        signal.summary,
    )])


def alert_event_rows(event: AlertEvent) -> RowBatch:
    return RowBatch(alert_events=[AlertEventRow(
        event.event_id, event.alert_id, event.client_id, event.transition.value, event.state.value, event.actor,
        event.note, list(event.recipients), event.occurred_at,
    )])


CONTRACTS: dict[str, tuple[type[BaseModel], object]] = {
    CHECKINS: (CheckinSubmitted, checkin_rows),
    SIGNALS: (SignalDetected, signal_rows),
    ALERTS: (AlertEvent, alert_event_rows),
}
TOPICS = tuple(CONTRACTS)


def rows_for(topic: str, value: bytes | None) -> RowBatch:
    """Decode one record of `topic` and return its rows, or raise UnusableRecord naming what is wrong."""
    if topic not in CONTRACTS:
        raise UnusableRecord(f"the timeline does not read topic {topic}")
    if value is None:
        raise UnusableRecord("empty record value (tombstone)")
    model, to_rows = CONTRACTS[topic]
    try:
        event = model.model_validate_json(value)
    except ValidationError as exc:
        raise UnusableRecord(f"invalid {model.__name__}: {summarize_validation_error(exc)}") from None
    try:
        return to_rows(event)
    except (ValueError, ArithmeticError) as exc:  # e.g. a valid time at the calendar's edge: never block the partition
        raise UnusableRecord(f"cannot turn {model.__name__} into rows: {type(exc).__name__}") from None
