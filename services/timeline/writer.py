"""The pure core of the timeline writer: decoded Kafka records in, rows for the timeline tables out.

No I/O here: `rows_for` turns one record's bytes into the rows it contributes (or raises
`UnusableRecord` with a reason for the dead-letter topic), `RowBatch` gathers many records' rows
so the store can write them with one statement per table.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple
from uuid import UUID

from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas.alert import AlertEvent
from schemas.checkin import Answer, CheckinSubmitted, GoalProgress, Source
from schemas.errors import summarize_validation_error
from schemas.scoring import score_answers
from schemas.signal import SignalDetected
from schemas.topics import ALERTS, CHECKINS, SIGNALS


class UnusableRecord(Exception):
    """A record that can never become a timeline row; the message is the dead-letter reason."""


class CheckinRow(NamedTuple):
    event_id: UUID
    occurred_at: datetime
    client_id: UUID
    timezone: str
    local_date: date
    help_requested: bool
    answers: str
    goals: str
    note: str | None
    source: str | None


class ScoreRow(NamedTuple):
    event_id: UUID
    occurred_at: datetime
    instrument: str
    client_id: UUID
    local_date: date
    value: float | None
    items_answered: int
    detail: str


class SignalRow(NamedTuple):
    signal_id: UUID
    client_id: UUID
    kind: str
    severity: str
    observed_at: datetime
    detected_at: datetime
    trigger_event_ids: list[UUID]
    evidence: str
    summary: str


class AlertEventRow(NamedTuple):
    event_id: UUID
    alert_id: UUID
    client_id: UUID
    transition: str
    state: str
    actor: str
    note: str | None
    recipients: list[UUID]
    occurred_at: datetime


@dataclass
class RowBatch:
    """Rows of many records, grouped by table; a record seen twice (a redelivery) is kept once."""

    checkins: list[CheckinRow] = field(default_factory=list)
    scores: list[ScoreRow] = field(default_factory=list)
    signals: list[SignalRow] = field(default_factory=list)
    alert_events: list[AlertEventRow] = field(default_factory=list)
    _seen: set = field(default_factory=set, repr=False)

    def add(self, rows: "RowBatch") -> "RowBatch":
        """Append one record's rows, unless a record with the same ids was added already."""
        # A check-in's scores share its event_id, so the ids of the leading rows identify the record.
        key = (tuple(r[0] for r in rows.checkins), tuple(r[0] for r in rows.signals),
               tuple(r[0] for r in rows.alert_events))
        if key in self._seen:
            return self
        self._seen.add(key)
        self.checkins += rows.checkins
        self.scores += rows.scores
        self.signals += rows.signals
        self.alert_events += rows.alert_events
        return self

    def __len__(self) -> int:
        return len(self.checkins) + len(self.scores) + len(self.signals) + len(self.alert_events)


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
