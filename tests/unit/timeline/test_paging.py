"""The read API's pure helpers: cursors round-trip, bad parameters name their field."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from services.timeline.paging import BadQuery, check_window, decode_cursor, encode_cursor, parse_kinds

KNOWN = ("checkin", "signal", "alert")


@given(st.datetimes(timezones=st.just(UTC)), st.uuids())
def test_a_cursor_round_trips(at, item_id):
    assert decode_cursor(encode_cursor(at, item_id)) == (at, item_id)


@pytest.mark.parametrize("cursor", ["", "garbage", "W10", encode_cursor(datetime.now(UTC), uuid.uuid4())[:-3]])
def test_a_foreign_cursor_is_refused_naming_the_field(cursor):
    with pytest.raises(BadQuery) as raised:
        decode_cursor(cursor)
    assert raised.value.field == "cursor"


def test_kinds_default_to_all_and_refuse_unknown_ones():
    assert parse_kinds(None, KNOWN) == list(KNOWN)
    assert parse_kinds(" signal, checkin,signal ", KNOWN) == ["signal", "checkin"]
    with pytest.raises(BadQuery, match="kinds"):
        parse_kinds("checkin,note", KNOWN)


def test_a_window_needs_offsets_and_order():
    now = datetime.now(timezone(timedelta(hours=2)))
    check_window(now, now + timedelta(seconds=1))
    check_window(None, now)
    with pytest.raises(BadQuery, match="^to:"):
        check_window(None, now.replace(tzinfo=None))
    with pytest.raises(BadQuery, match="^from:"):
        check_window(now, now)
