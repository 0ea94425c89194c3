"""engagement.missed_checkins: the deadline follows the client's rhythm and ends at their local midnight."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.detector.core import DetectorConfig, advance_clock, missed_deadline
from tests.unit.detector.builders import checkin, mood, run

CONFIG = DetectorConfig()


def daily(client, days, timezone="Europe/Berlin", every=1.0, last_event_id=None):
    checkins = [checkin(client, d * every, mood(6), timezone) for d in range(days - 1)]
    checkins.append(checkin(client, (days - 1) * every, mood(6), timezone, event_id=last_event_id))
    return run(checkins, CONFIG)[0]


@pytest.mark.parametrize(("timezone", "deadline_utc"), [
    # last check-in Fri 9 Jan 19:00 UTC; allowed gap 3 days -> Mon 12 Jan; the deadline is the end of that local day
    ("Europe/Berlin", datetime(2026, 1, 12, 23, 0, tzinfo=UTC)),   # midnight in Berlin (UTC+1)
    ("America/New_York", datetime(2026, 1, 13, 5, 0, tzinfo=UTC)),  # midnight in New York (UTC-5)
    ("Asia/Tokyo", datetime(2026, 1, 13, 15, 0, tzinfo=UTC)),  # 19:00 UTC is already Tue 04:00 in Tokyo
])
def test_deadline_is_local_midnight_after_three_days(timezone, deadline_utc):
    client, last = uuid.uuid4(), uuid.uuid4()
    state = daily(client, 5, timezone, last_event_id=last)
    assert missed_deadline(state, CONFIG.engagement) == deadline_utc
    quiet, signals = advance_clock(state, str(client), deadline_utc - timedelta(seconds=1), CONFIG)
    assert signals == []
    late, signals = advance_clock(quiet, str(client), deadline_utc, CONFIG)
    assert len(signals) == 1
    signal = signals[0]
    assert signal.kind == "engagement.missed_checkins" and signal.severity == "low"
    assert signal.observed_at == deadline_utc and signal.trigger_event_ids == [last]
    assert signal.evidence["allowed_gap_days"] == 3.0 and signal.evidence["prior_checkins"] == 5
    assert advance_clock(late, str(client), deadline_utc + timedelta(days=5), CONFIG)[1] == []  # once per gap


def test_gap_scales_with_the_median_gap():
    state = daily(uuid.uuid4(), 5, every=2.0)  # every other day: 3 x 2 = 6 days allowed
    last = datetime.fromtimestamp(state.entries[-1].t, UTC)
    deadline = missed_deadline(state, CONFIG.engagement)
    assert timedelta(days=6) <= deadline - last < timedelta(days=7)


def test_needs_three_prior_checkins():
    state = daily(uuid.uuid4(), 2)
    assert missed_deadline(state, CONFIG.engagement) is None
    assert advance_clock(state, state.client_id, datetime(2027, 1, 1, tzinfo=UTC), CONFIG)[1] == []


def test_a_late_checkin_reports_the_gap_it_ends():
    client = uuid.uuid4()
    state = daily(client, 4)
    state, signals = run([checkin(client, 10, mood(6))], CONFIG, state)
    assert [s.kind for s in signals] == ["engagement.missed_checkins"]
