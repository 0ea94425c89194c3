"""The pure core of the timeline writer: decoded Kafka records in, rows for the timeline tables out.

No I/O here: `add_rows` turns one record's bytes into the rows it contributes (`rows.py`) and appends them to
a batch, or raises `UnusableRecord` with a reason for the dead-letter topic; `rows_for` is the same for one record.
"""

import json
from datetime import UTC

from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas.alert import AlertEvent
from schemas.checkin import CheckinSubmitted, GoalProgress, Source, zone_named
from schemas.errors import summarize_validation_error
from schemas.signal import SignalDetected
from schemas.topics import ALERTS, CHECKINS, SIGNALS
from services.timeline.answers import answers_and_scores
from services.timeline.rows import AlertEventRow, CheckinRow, RowBatch, ScoreRow, SignalRow, pg_time, pg_uuid


class UnusableRecord(Exception):
    """A record that can never become a timeline row; the message is the dead-letter reason."""


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":")) if value else "{}"


_GOALS, _SOURCE = TypeAdapter(list[GoalProgress]), TypeAdapter(Source)
_row = tuple.__new__  # builds a row tuple without the NamedTuple constructor's Python-level call


def add_checkin(batch: RowBatch, event: CheckinSubmitted) -> None:
    """The check-in row plus one score row per instrument answered (value None when incomplete)."""
    # Converted once to UTC (asking the parsed offset costs a Python-level call each time), then to the driver's
    # forms that the scores share; the local date is a conversion from UTC (as `CheckinSubmitted.local_date`, a
    # test checks).
    utc = event.occurred_at.astimezone(UTC)
    local_date = utc.astimezone(zone_named(event.timezone)).date()
    event_id, client_id, occurred_at = pg_uuid(event.event_id), pg_uuid(event.client_id), pg_time(utc)
    answers, scores = answers_and_scores(event.answers)
    batch.add_checkin(
        _row(CheckinRow, (event_id, occurred_at, client_id, event.timezone, local_date, event.help_requested, answers,
                          _GOALS.dump_json(event.goals).decode() if event.goals else "[]", event.note,
                          _SOURCE.dump_json(event.source).decode() if event.source else None)),
        [_row(ScoreRow, (event_id, occurred_at, instrument, client_id, local_date, value, items, detail))
         for instrument, value, items, detail in scores])


def add_signal(batch: RowBatch, signal: SignalDetected) -> None:
    batch.add_signal(SignalRow(
        signal.signal_id, signal.client_id, signal.kind.value, signal.severity.value, signal.observed_at,
        signal.detected_at, list(signal.trigger_event_ids), _json(signal.model_dump(mode="json")["evidence"]),
        signal.summary,
    ))


def add_alert_event(batch: RowBatch, event: AlertEvent) -> None:
    batch.add_alert_event(AlertEventRow(
        event.event_id, event.alert_id, event.client_id, event.transition.value, event.state.value, event.actor,
        event.note, list(event.recipients), event.occurred_at,
    ))


CONTRACTS: dict[str, tuple[type[BaseModel], object]] = {
    CHECKINS: (CheckinSubmitted, add_checkin),
    SIGNALS: (SignalDetected, add_signal),
    ALERTS: (AlertEvent, add_alert_event),
}
TOPICS = tuple(CONTRACTS)


def add_rows(batch: RowBatch, topic: str, value: bytes | None) -> None:
    """Decode one record of `topic` into `batch`, or raise UnusableRecord naming what is wrong."""
    contract = CONTRACTS.get(topic)
    if contract is None:
        raise UnusableRecord(f"the timeline does not read topic {topic}")
    if value is None:
        raise UnusableRecord("empty record value (tombstone)")
    model, add = contract
    try:  # the pydantic-core validator itself: `model_validate_json` is a Python wrapper of about 4,000 instructions
        event = model.__pydantic_validator__.validate_json(value)
    except ValidationError as exc:
        raise UnusableRecord(f"invalid {model.__name__}: {summarize_validation_error(exc)}") from None
    try:
        add(batch, event)
    except (ValueError, ArithmeticError) as exc:  # e.g. a valid time at the calendar's edge: never block the partition
        raise UnusableRecord(f"cannot turn {model.__name__} into rows: {type(exc).__name__}") from None


def rows_for(topic: str, value: bytes | None) -> RowBatch:
    """The rows of one record of `topic`, or UnusableRecord naming what is wrong."""
    batch = RowBatch()
    add_rows(batch, topic, value)
    return batch
