"""The store's own timestamptz encoding: PostgreSQL's microseconds since 2000-01-01 UTC, and back."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.timeline.rows import PG_EPOCH, from_pg_time, pg_time
from services.timeline.store import to_pg_time


def test_the_epoch_is_zero_and_one_microsecond_is_one():
    assert to_pg_time(PG_EPOCH) == (0,)
    assert to_pg_time(PG_EPOCH + timedelta(microseconds=1)) == (1,)
    assert to_pg_time(PG_EPOCH - timedelta(microseconds=1)) == (-1,)
    # 2000-01-01T00:00:00+01:00 is an hour before the epoch
    assert to_pg_time(datetime(2000, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == (-3_600_000_000,)


@settings(max_examples=300, deadline=None)
@given(instant=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       offset_minutes=st.integers(-14 * 60, 14 * 60))
def test_a_time_comes_back_as_the_same_instant_in_utc(instant, offset_minutes):
    at = instant.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    back = from_pg_time(to_pg_time(at))
    assert back == at and back.tzinfo is UTC and back.microsecond == at.microsecond


def test_the_store_sends_a_rows_time_as_it_is_and_converts_any_other():
    at = datetime(2026, 3, 1, 4, 30, tzinfo=timezone(timedelta(hours=2)))
    assert to_pg_time(pg_time(at)) == pg_time(at) == to_pg_time(at) == to_pg_time(at.astimezone(UTC))
