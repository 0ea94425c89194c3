"""Stream events: orderable ids, resume cursors and the SSE wire form."""

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from schemas.alert import AlertEvent
from services.dashboard.core.events import (
    alert_event, alert_event_from_row, checkin_event_from_row, parse_cursor, replay_order, resume_from,
)

AT = datetime(2026, 11, 26, 12, 30, 15, 123000, tzinfo=UTC)


def lifecycle(**overrides) -> AlertEvent:
    fields = dict(event_id=uuid4(), alert_id=uuid4(), signal_id=uuid4(), client_id=uuid4(), kind="risk.acute",
                  severity="critical", transition="opened", state="open", actor="system", occurred_at=AT,
                  recipients=[uuid4()], summary="PHQ-9 item 9 answered 2")
    return AlertEvent(**(fields | overrides))


def test_cursor_round_trips_to_the_millisecond():
    event = alert_event(lifecycle())
    assert event.cursor.startswith(f"{int(AT.timestamp() * 1000)}-")
    assert parse_cursor(event.cursor) == AT


def test_foreign_or_broken_cursors_mean_no_resume():
    for text in (None, "", "42", "abc-def", f"x-{uuid4()}", "99999999999999999999-" + str(uuid4())):
        assert parse_cursor(text) is None, text


def test_resume_replays_a_margin_before_the_cursor():
    assert resume_from(AT, timedelta(seconds=60)) == AT - timedelta(seconds=60)


def test_live_and_replayed_alert_events_are_the_same_message():
    event = lifecycle(transition="acknowledged", state="acknowledged", actor=str(uuid4()), note="called")
    row = event.model_dump() | {"transition": "acknowledged", "state": "acknowledged", "kind": "risk.acute",
                                "severity": "critical"}
    live, replayed = alert_event(event), alert_event_from_row(row)
    assert live.cursor == replayed.cursor
    assert json.loads(live.frame().split("data: ")[1]) == json.loads(replayed.frame().split("data: ")[1])


def test_frame_is_one_sse_message():
    frame = alert_event(lifecycle()).frame()
    lines = frame.split("\n")
    assert lines[0].startswith("id: ") and lines[1] == "event: alert" and lines[2].startswith("data: {")
    assert frame.endswith("\n\n") and frame.count("\n") == 4


def test_checkin_events_carry_ids_and_times_only():
    row = {"event_id": uuid4(), "client_id": uuid4(), "occurred_at": AT, "received_at": AT + timedelta(seconds=2),
           "help_requested": True, "note": "never sent", "answers": []}
    data = json.loads(checkin_event_from_row(row).frame().split("data: ")[1])
    assert set(data) == {"event_id", "client_id", "occurred_at", "help_requested"}


def test_replay_order_is_oldest_first_without_duplicates():
    first, second = lifecycle(occurred_at=AT), lifecycle(occurred_at=AT + timedelta(seconds=1))
    ordered = replay_order([alert_event(second), alert_event(first), alert_event(second)])
    assert [e.event_id for e in ordered] == [first.event_id, second.event_id]
