"""The writer's pure core: records in, rows out, unusable records named; no I/O."""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from asyncpg.pgproto.pgproto import UUID as PgUUID
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.checkin import CheckinSubmitted
from schemas.topics import ALERTS, CHECKINS, DLQ, SIGNALS
from services.timeline.rows import from_pg_time
from services.timeline.sql import columns_of
from services.timeline.store import is_data_error, plain_dsn
from services.timeline.writer import RowBatch, UnusableRecord, add_rows, rows_for

CLIENT = uuid.uuid4()


def checkin(**extra) -> bytes:
    event = {"event_id": str(uuid.uuid4()), "client_id": str(CLIENT), "occurred_at": "2026-03-01T02:30:00+00:00",
             "timezone": "America/Los_Angeles", "note": "secret",
             "answers": [{"instrument": "phq9", "item": i, "value": 1} for i in range(1, 10)]
             + [{"instrument": "brs", "item": 1, "value": 4}]}
    return json.dumps(event | extra).encode()


def test_a_checkin_becomes_one_checkin_row_and_a_score_row_per_instrument():
    rows = rows_for(CHECKINS, checkin())
    assert len(rows.checkins) == 1 and {s.instrument for s in rows.scores} == {"phq9", "brs"}
    phq9 = next(s for s in rows.scores if s.instrument == "phq9")
    assert phq9.value == 9 and phq9.items_answered == 9 and json.loads(phq9.detail) == {"phq2": 2, "item9": 1}
    brs = next(s for s in rows.scores if s.instrument == "brs")
    assert brs.value is None and brs.items_answered == 1, "an incomplete BRS is stored without a score"


def test_local_date_is_the_clients_own_day():
    assert str(rows_for(CHECKINS, checkin()).checkins[0].local_date) == "2026-02-28"


def test_signals_and_alert_steps_become_rows():
    now = datetime.now(UTC).isoformat()
    trigger = uuid.uuid4()
    signal = {"signal_id": str(uuid.uuid4()), "client_id": str(CLIENT), "kind": "resilience.low", "severity": "medium",
              "observed_at": now, "detected_at": now, "trigger_event_ids": [str(trigger)], "summary": "BRS below 3."}
    row = rows_for(SIGNALS, json.dumps(signal).encode()).signals[0]
    assert row.kind == "resilience.low" and row.trigger_event_ids == [trigger]
    step = {"event_id": str(uuid.uuid4()), "alert_id": str(uuid.uuid4()), "signal_id": signal["signal_id"],
            "client_id": str(CLIENT), "kind": "resilience.low", "severity": "medium", "transition": "acknowledged",
            "state": "acknowledged", "actor": str(uuid.uuid4()), "occurred_at": now}
    assert rows_for(ALERTS, json.dumps(step).encode()).alert_events[0].state == "acknowledged"


@pytest.mark.parametrize("topic, value, words", [
    (CHECKINS, b"{oops", "Invalid JSON"),
    (CHECKINS, None, "tombstone"),
    (CHECKINS, checkin(timezone="Nowhere/Else"), "timezone"),
    (CHECKINS, checkin(answers=[{"instrument": "mood", "item": 1, "value": 11}]), "answers.0"),
    (SIGNALS, b"{}", "signal_id"),
    (DLQ, b"{}", "does not read"),
    (CHECKINS, checkin(occurred_at="9999-12-31T23:00:00+00:00", timezone="Pacific/Kiritimati"), "OverflowError"),
])
def test_unusable_records_name_the_problem_and_never_the_content(topic, value, words):
    with pytest.raises(UnusableRecord) as raised:
        rows_for(topic, value)
    assert words in str(raised.value) and "secret" not in str(raised.value)


def test_a_batch_keeps_a_redelivered_record_once():
    record = checkin()
    batch = RowBatch().add(rows_for(CHECKINS, record)).add(rows_for(CHECKINS, record))
    assert len(batch.checkins) == 1 and len(batch.scores) == 2 and len(batch) == 3


def test_columns_turn_uuid_lists_into_array_literals():
    ids = [uuid.uuid4(), uuid.uuid4()]
    now = datetime.now(UTC)
    columns = columns_of("signals", [(uuid.uuid4(), CLIENT, "k", "low", now, now, ids, "{}", "s")])
    assert columns[6] == [f"{{{ids[0]},{ids[1]}}}"] and len(columns) == 9


def test_only_data_errors_count_as_poison():
    import asyncpg

    assert is_data_error(asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence"))
    assert is_data_error(asyncpg.exceptions.CheckViolationError("check"))
    assert not is_data_error(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert not is_data_error(asyncpg.exceptions.InsufficientPrivilegeError("permission denied for database"))
    assert not is_data_error(ConnectionRefusedError())
    assert plain_dsn("postgresql+asyncpg://u@h/db") == "postgresql://u@h/db"


def test_the_next_chunk_of_a_batch_skips_records_an_earlier_chunk_holds():
    first, other = checkin(), checkin()
    chunk = RowBatch()
    add_rows(chunk, CHECKINS, first)
    following = chunk.next_chunk()
    add_rows(following, CHECKINS, first)
    add_rows(following, CHECKINS, other)
    assert len(chunk.checkins) == 1 and len(following.checkins) == 1 and len(following.scores) == 2
    assert following.checkins[0].event_id != chunk.checkins[0].event_id


def test_rows_carry_the_instant_and_ids_in_the_drivers_form():
    value = checkin(occurred_at="2026-03-01T04:30:00.000001+02:00")
    batch, event = rows_for(CHECKINS, value), CheckinSubmitted.model_validate_json(value)
    for row in (batch.checkins[0], *batch.scores):
        assert from_pg_time(row.occurred_at) == datetime(2026, 3, 1, 2, 30, 0, 1, tzinfo=UTC)
        assert type(row.event_id) is PgUUID and row.event_id == event.event_id and row.client_id == event.client_id


@settings(max_examples=300, deadline=None)
@given(instant=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2090, 1, 1)),
       offset_minutes=st.integers(-14 * 60, 14 * 60),
       zone=st.sampled_from(["America/Los_Angeles", "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe",
                             "Pacific/Chatham", "Pacific/Kiritimati", "America/St_Johns", "UTC"]))
def test_the_rows_local_date_is_the_contracts_local_date(instant, offset_minutes, zone):
    occurred_at = instant.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    value = checkin(occurred_at=occurred_at.isoformat(), timezone=zone)
    row = rows_for(CHECKINS, value).checkins[0]
    assert row.local_date == CheckinSubmitted.model_validate_json(value).local_date
