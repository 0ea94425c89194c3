"""The rows the timeline writer stores, one tuple type per table, `RowBatch` that gathers them, `WriteCounts`.

Check-in and score rows (the volume, written by binary COPY) carry their ids and time in the form the driver
sends without converting them per row: ids as asyncpg's own UUID (`pg_uuid`: a standard `uuid.UUID` is read
through its Python-level `bytes` property for every row), the time as `PgTime` (`pg_time`). A check-in's ids and
time are converted once and shared with its score rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from asyncpg.pgproto.pgproto import UUID as PgUUID

PgTime = tuple[int]  # a timestamptz as PostgreSQL keeps it: (microseconds since PG_EPOCH,), asyncpg's tuple form
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def pg_time(at: datetime) -> PgTime:
    """An aware datetime as a `PgTime` (exact: integer microseconds, at any date the calendar has)."""
    return ((at - PG_EPOCH) // _MICROSECOND,)


def from_pg_time(value: PgTime) -> datetime:
    """A `PgTime` as a datetime in UTC (like asyncpg's own decoder gives a timestamptz)."""
    return PG_EPOCH + timedelta(microseconds=value[0])


def pg_uuid(value: UUID) -> PgUUID:
    """A UUID as asyncpg's own UUID type (a `uuid.UUID` subclass), which its encoder copies without a Python call."""
    return PgUUID(value.int.to_bytes(16))


class CheckinRow(NamedTuple):
    event_id: PgUUID
    occurred_at: PgTime
    client_id: PgUUID
    timezone: str
    local_date: date
    help_requested: bool
    answers: str
    goals: str
    note: str | None
    source: str | None


class ScoreRow(NamedTuple):
    event_id: PgUUID
    occurred_at: PgTime
    instrument: str
    client_id: PgUUID
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


def _checkin_key(row: CheckinRow | ScoreRow) -> tuple[bytes, PgTime]:
    """The primary key of a check-in, (event_id, occurred_at); an asyncpg UUID gives its bytes without a Python call."""
    return row[0].bytes, row[1]


class RowBatch:
    """Rows of many records, grouped by table; a record seen twice (a redelivery) is kept once, by primary key."""

    __slots__ = ("checkins", "scores", "signals", "alert_events", "_checkin_keys", "_signal_ids", "_alert_event_ids")

    def __init__(self, checkins: list[CheckinRow] | None = None, scores: list[ScoreRow] | None = None,
                 signals: list[SignalRow] | None = None, alert_events: list[AlertEventRow] | None = None):
        self.checkins, self.scores = checkins or [], scores or []
        self.signals, self.alert_events = signals or [], alert_events or []
        self._checkin_keys = {_checkin_key(row) for row in self.checkins}
        self._signal_ids = {row[0] for row in self.signals}
        self._alert_event_ids = {row[0] for row in self.alert_events}

    def next_chunk(self) -> "RowBatch":
        """An empty batch that still skips every record this one skips: the next chunk of the same transaction."""
        chunk = RowBatch()
        chunk._checkin_keys, chunk._signal_ids = self._checkin_keys, self._signal_ids
        chunk._alert_event_ids = self._alert_event_ids
        return chunk

    def add_checkin(self, checkin: CheckinRow, scores: Iterable[ScoreRow]) -> None:
        """A check-in with its scores (which share its key), unless that check-in is here already."""
        keys = self._checkin_keys
        known = len(keys)
        keys.add(_checkin_key(checkin))
        if len(keys) > known:
            self.checkins.append(checkin)
            self.scores += scores

    def add_signal(self, signal: SignalRow) -> None:
        if signal[0] not in self._signal_ids:
            self._signal_ids.add(signal[0])
            self.signals.append(signal)

    def add_alert_event(self, step: AlertEventRow) -> None:
        if step[0] not in self._alert_event_ids:
            self._alert_event_ids.add(step[0])
            self.alert_events.append(step)

    def add(self, rows: "RowBatch") -> "RowBatch":
        """Append another batch's rows, skipping records this batch already holds."""
        scores: dict[tuple, list[ScoreRow]] = {}
        for score in rows.scores:
            scores.setdefault(_checkin_key(score), []).append(score)
        for checkin in rows.checkins:
            self.add_checkin(checkin, scores.get(_checkin_key(checkin), ()))
        for signal in rows.signals:
            self.add_signal(signal)
        for step in rows.alert_events:
            self.add_alert_event(step)
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
