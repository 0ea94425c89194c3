"""The daily digest groups digest alerts per therapist, most urgent first, on the therapist's day."""

import uuid
from datetime import UTC, date, datetime

import pytest

from services.notifier.core.digest import DigestItem, build_digests, day_bounds, render_text
from services.notifier.digest import parse_day

ANA, BEN = uuid.uuid4(), uuid.uuid4()


def item(severity: str, hour: int, recipients, summary="s") -> DigestItem:
    return DigestItem(uuid.uuid4(), uuid.uuid4(), "Client C", "engagement.missed_checkins", severity, summary,
                      datetime(2026, 11, 26, hour, tzinfo=UTC), tuple(recipients))


def test_each_therapist_gets_only_their_items_most_urgent_first():
    info, low_late, low_early = item("info", 9, [ANA]), item("low", 15, [ANA, BEN]), item("low", 8, [BEN])
    digests = build_digests([info, low_late, low_early], {ANA: "Ana", BEN: "Ben"})
    assert [(d.therapist_name, [i.alert_id for i in d.items]) for d in digests] == [
        ("Ana", [low_late.alert_id, info.alert_id]), ("Ben", [low_early.alert_id, low_late.alert_id])]
    assert digests[0].to_json()["items"][0]["client_id"] == str(low_late.client_id)


def test_the_text_names_the_day_and_each_item():
    text = render_text(date(2026, 11, 26), "Europe/Berlin", build_digests([item("low", 23, [ANA], "No check-in for 4 days")], {ANA: "Ana"}))
    assert "2026-11-26 (Europe/Berlin) for Ana - 1 item(s)" in text
    assert "[low] Client C: No check-in for 4 days (engagement.missed_checkins, 2026-11-27 00:00)" in text
    assert "nothing to report" in render_text(date(2026, 11, 26), "UTC", [])


def test_a_day_is_counted_in_its_timezone():
    start, end = day_bounds(date(2026, 11, 26), "Europe/Berlin")
    assert start == datetime(2026, 11, 25, 23, tzinfo=UTC) and end == datetime(2026, 11, 26, 23, tzinfo=UTC)


def test_bad_dates_and_zones_are_named():
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day("26.11.2026", "UTC")
    with pytest.raises(ValueError, match="unknown timezone"):
        parse_day(None, "Nowhere/Land")
