"""The detector's Table value: compact binary state, every field round-trips, earlier JSON values still read."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.detector.codec import decode_state, encode_state
from services.detector.core import ClientState, DetectorConfig, advance_clock, evaluate
from services.detector.core.state import Entry, event_key, event_time, signal_key
from tests.unit.detector.builders import brs, checkin, mood, run, srs

CONFIG = DetectorConfig()
times = st.floats(1.5e9, 2.5e9).map(event_time)
scores = st.one_of(st.none(), st.sampled_from([0.0, 2.5, 25 / 6, 37.3, 40.0]), st.floats(-50, 5000))
entry = st.builds(Entry, times, st.integers(0, 0xFFFF), scores, st.booleans(), scores, st.booleans())
day = st.dates(datetime(2020, 1, 1).date(), datetime(2030, 1, 1).date()).map(lambda d: d.toordinal())
day_sum = st.tuples(st.one_of(st.integers(0, 60).map(float), st.floats(0, 1e6)), st.integers(1, 300)).map(list)


@st.composite
def states(draw) -> ClientState:
    cache = draw(st.one_of(st.none(), st.tuples(day, st.one_of(st.none(), st.floats(0, 10)), st.floats(0, 400),
                                                st.floats(0, 4000), st.integers(0, 40)).map(list)))
    return ClientState(
        draw(st.one_of(st.uuids().map(str), st.text(max_size=300))), draw(st.sampled_from(["UTC", "Asia/Kolkata"])),
        sorted(draw(st.lists(entry, max_size=80)), key=lambda e: e.t), draw(st.dictionaries(day, day_sum, max_size=40)),
        draw(st.booleans()), cache, draw(st.lists(times, max_size=4)), draw(st.one_of(st.none(), st.uuids().map(str))),
        draw(st.booleans()), draw(st.lists(st.integers(0, 2**64 - 1), max_size=256)))


@settings(max_examples=300, deadline=None)
@given(states(), st.integers(0, 65535))
def test_every_state_round_trips(state, partition):
    assert decode_state(encode_state(partition, state)) == (partition, state)


def test_a_client_checking_in_daily_for_ten_weeks_fits_in_a_kibibyte():
    client = uuid.uuid4()
    days = [checkin(client, d + (d % 7) / 24, mood(d % 9) + (brs(3, 4, 4, 3, 5, 4) if d % 7 == 0 else [])
                    + (srs(37.4) if d % 7 == 3 else [])) for d in range(90)]
    state, _ = run(days, CONFIG)
    assert len(state.entries) >= 70
    assert len(encode_state(5, state)) <= 1024


def test_a_redelivery_is_recognised_after_the_round_trip():
    client = uuid.uuid4()
    first = checkin(client, 0.123456789, mood(5))
    state, _ = evaluate(None, first, None, CONFIG)
    _, back = decode_state(encode_state(0, state))
    again, signals = evaluate(back, first, None, CONFIG)
    assert again is back and signals == []


def test_values_written_by_earlier_versions_are_read():
    client, events = uuid.uuid4(), [uuid.uuid4() for _ in range(3)]
    start = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    signal = uuid.uuid4()
    legacy = {"client_id": str(client), "timezone": "Europe/Berlin",
              "entries": [[(start + timedelta(days=i)).timestamp(), str(e), 4.0 if i == 0 else None, False, None, False]
                          for i, e in enumerate(events)],
              "mood_days": {"2026-03-01": [5.0, 1]}, "mood_excursion": False, "mood_cache": None, "improvements": [],
              "missed_after": str(events[-1]), "emitted": [str(signal)]}
    partition, state = decode_state(json.dumps({"partition": 4, "state": legacy}).encode())
    assert partition == 4 and state.client_id == str(client) and state.last_event_id == str(events[-1])
    assert state.missed_reported and state.emitted == [signal_key(signal)] and state.entries[0].brs == 4.0
    assert state.mood_days == {date(2026, 3, 1).toordinal(): [5.0, 1]}
    assert [e.key for e in state.entries] == [event_key(str(e)) for e in events]
    # The last check-in read from the old value is still a redelivery; its gap was already reported.
    redelivered = checkin(client, 0, mood(5), event_id=events[-1])
    redelivered = redelivered.model_copy(update={"occurred_at": start + timedelta(days=2)})
    assert evaluate(state, redelivered, None, CONFIG)[1] == []
    assert advance_clock(state, str(client), start + timedelta(days=30), CONFIG)[1] == []


@pytest.mark.parametrize("raw", [b"\x02\x00\x00", b"\x01\x00\x00\x01", b"\x01\x00\x00\x01\x00\x00\x00"])
def test_an_unknown_or_truncated_value_is_refused(raw):
    with pytest.raises(Exception):
        decode_state(raw)
