"""The rows the timeline writer stores, one tuple type per table, `RowBatch` that gathers them, `WriteCounts`."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple
from uuid import UUID


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


@dataclass
class WriteCounts:
    """Rows offered and rows actually inserted (the rest were already there) per table."""

    offered: dict[str, int]
    inserted: dict[str, int]

    def add(self, other: "WriteCounts") -> None:
        for table, count in other.offered.items():
            self.offered[table] = self.offered.get(table, 0) + count
            self.inserted[table] = self.inserted.get(table, 0) + other.inserted[table]
