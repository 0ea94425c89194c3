"""mood.sustained_decline: the EWMA control limit with worked numbers, once per excursion, local days."""

import math
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.detector.core import DetectorConfig
from services.detector.core.mood import _chart_before, ewma
from services.detector.core.stats import mean_sd
from services.detector.core.zones import local_day_at, zone_named
from tests.unit.detector.builders import checkin, mood, run

CONFIG = DetectorConfig()


def test_control_limit_width():
    # L * sqrt(lambda / (2 - lambda)) = 2.6 * sqrt(0.2 / 1.8) = 0.8667 baseline SDs
    assert CONFIG.mood.limit_factor == pytest.approx(2.6 * math.sqrt(0.2 / 1.8)) == pytest.approx(0.8667, abs=1e-4)
    # With SD 1.0 the 1.5-point floor decides; from SD 1.731 the control limit itself does.
    assert max(CONFIG.mood.limit_factor * 1.0, 1.5) == 1.5
    assert max(CONFIG.mood.limit_factor * 2.0, 1.5) == pytest.approx(1.733, abs=1e-3)


def test_ewma_worked_numbers():
    assert ewma([7, 3, 3, 3], 0.2) == pytest.approx(3 + 4 * 0.8**3)  # 5.048
    assert mean_sd([6, 8, 6, 8]) == pytest.approx((7.0, 1.1547), abs=1e-4)


def stable_then_low(client, low_days, stable_days=31):
    stable = [checkin(client, d, mood(6 if d % 2 else 8)) for d in range(stable_days)]
    low = [checkin(client, stable_days + d, mood(3)) for d in range(low_days)]
    return stable, low


def test_decline_fires_on_the_third_low_day_with_the_numbers():
    client = uuid.uuid4()
    stable, low = stable_then_low(client, 6)
    _, signals = run(stable + low, CONFIG)
    declines = [s for s in signals if s.kind == "mood.sustained_decline"]
    # Baseline on the 3rd low day (day 33): days 0..25 alternate 8/6: mean 7.0, SD 1.02 -> limit 7 - max(0.88, 1.5)
    # = 5.5. The EWMA ends the stable month at 7.11 (last day 8), then 6.29, 5.63, 5.10: fires once, on low day 3.
    assert len(declines) == 1 and declines[0].trigger_event_ids == [low[2].event_id]
    evidence = declines[0].evidence
    assert evidence["limit"] == pytest.approx(5.5, abs=0.01) and evidence["baseline_days"] == 26
    assert evidence["ewma"] == pytest.approx(5.105, abs=0.01) and evidence["baseline_sd"] == pytest.approx(1.02, abs=0.01)
    assert evidence["ewma"] < evidence["limit"] and declines[0].severity == "medium"


def test_no_chart_without_14_days_of_baseline():
    client = uuid.uuid4()
    stable, low = stable_then_low(client, 5, stable_days=16)  # day 20 sees days 0..12 in its window: 13 days
    _, signals = run(stable + low, CONFIG)
    assert not [s for s in signals if s.kind == "mood.sustained_decline"]


def test_a_new_excursion_after_recovery_fires_again():
    client = uuid.uuid4()
    stable, low = stable_then_low(client, 3)
    back = [checkin(client, 34 + d, mood(8)) for d in range(4)]
    again = [checkin(client, 38 + d, mood(2)) for d in range(4)]
    _, signals = run(stable + low + back + again, CONFIG)
    assert len([s for s in signals if s.kind == "mood.sustained_decline"]) == 2


def test_days_are_counted_in_the_clients_timezone():
    client = uuid.uuid4()
    # 19:00 UTC + 0.25 day = 01:00 next day in Berlin, but still the same day in New York.
    state, _ = run([checkin(client, 0, mood(4), "Europe/Berlin"), checkin(client, 0.25, mood(8), "Europe/Berlin")],
                   CONFIG)
    assert state.mood_days == {date(2026, 1, 5).toordinal(): [4.0, 1], date(2026, 1, 6).toordinal(): [8.0, 1]}
    state, _ = run([checkin(client, 0, mood(4), "America/New_York"),
                    checkin(client, 0.25, mood(8), "America/New_York")], CONFIG)
    assert state.mood_days == {date(2026, 1, 5).toordinal(): [12.0, 2]}


@settings(max_examples=40, deadline=None)
@given(moods=st.lists(st.tuples(st.integers(0, 10), st.integers(1, 3)), min_size=20, max_size=60))
def test_the_sliding_chart_equals_a_full_recompute(moods):
    client, day, checkins = uuid.uuid4(), 0, []
    for value, step in moods:
        day += step
        checkins.append(checkin(client, day, mood(value)))
    state, _ = run(checkins, CONFIG)
    slid = list(state.mood_cache)
    assert slid[1] == pytest.approx(ewma([float(v) for v, _ in moods[:-1]], 0.2), abs=1e-9)  # every day, never cut
    state.mood_cache = None
    fresh = _chart_before(state, slid[0], None, CONFIG.mood)
    assert slid[0] == fresh[0] and slid[4] == fresh[4]
    assert slid[2:4] == pytest.approx(fresh[2:4], abs=1e-6)


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.timezones()),
       st.sampled_from(["UTC", "Europe/Berlin", "America/Sao_Paulo", "Asia/Kathmandu", "Pacific/Kiritimati",
                        "America/St_Johns", "Australia/Lord_Howe"]))
def test_local_day_from_epoch_seconds_is_the_day_of_the_instant(moment, zone_name):
    """The day a check-in counts for, read from its epoch seconds (as the core has them), is its local calendar
    day, to the microsecond around local midnight and across DST changes."""
    zone = zone_named(zone_name)
    assert local_day_at(moment.timestamp(), zone_name) == moment.astimezone(zone).toordinal()
    midnight = datetime.combine(moment.astimezone(zone).date(), time(0), tzinfo=zone)
    for edge in (midnight, midnight - timedelta(microseconds=1)):
        assert local_day_at(edge.timestamp(), zone_name) == edge.astimezone(zone).toordinal()
