"""Pure gateway logic: risk answers, regions, the idempotency ledger and rate limits."""

import uuid
from datetime import UTC, datetime

import pytest

from schemas.checkin import CheckinSubmitted
from services.gateway.config import GatewaySettings
from services.gateway.core.ledger import AcceptedLedger, EventIdConflict
from services.gateway.core.ratelimit import RateLimiter
from services.gateway.core.safety import region_for_timezone, risk_reasons, safety_resources


def event(answers=(("mood", 1, 5),), **extra) -> CheckinSubmitted:
    return CheckinSubmitted(
        event_id=uuid.uuid4(), client_id=uuid.uuid4(), occurred_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
        timezone=extra.pop("timezone", "Europe/London"),
        answers=[{"instrument": i, "item": n, "value": v} for i, n, v in answers], **extra)


@pytest.mark.parametrize(("answers", "help_requested", "expected"), [
    ((("mood", 1, 2),), False, []),
    ((("phq9", 9, 0),), False, []),
    ((("phq9", 9, 1),), False, ["phq9.item9"]),
    ((("cssrs", 1, 1),), False, ["cssrs"]),
    ((("cssrs", 1, 0), ("phq9", 9, 3)), True, ["phq9.item9", "help_requested"]),
])
def test_risk_reasons(answers, help_requested, expected):
    assert risk_reasons(event(answers, help_requested=help_requested)) == expected


def test_regions_from_timezones():
    assert region_for_timezone("Europe/Berlin") == "DE"
    assert region_for_timezone("America/Toronto") == "CA"
    assert region_for_timezone("Australia/Sydney") == "AU"
    assert region_for_timezone("UTC") == "*"


def test_safety_resources_fall_back_to_the_default_region():
    lines = GatewaySettings().crisis_lines
    assert safety_resources(event(), lines) is None
    here = safety_resources(event(help_requested=True, timezone="Europe/London"), lines)
    assert here["region"] == "GB" and here["lines"][0]["phone"] == "116 123"
    elsewhere = safety_resources(event(help_requested=True, timezone="Asia/Kolkata"), lines)
    assert elsewhere["region"] == "*" and elsewhere["lines"]


def test_ledger_knows_repeats_and_refuses_reused_ids():
    ledger = AcceptedLedger(capacity=2)
    first = event()
    assert ledger.accepted(first) is False
    ledger.remember(first)
    assert ledger.accepted(first) is True
    with pytest.raises(EventIdConflict):
        ledger.accepted(first.model_copy(update={"help_requested": True}))


def test_ledger_forgets_the_least_recently_used():
    ledger = AcceptedLedger(capacity=2)
    a, b, c = event(), event(), event()
    for e in (a, b):
        ledger.remember(e)
    ledger.accepted(a)
    ledger.remember(c)
    assert len(ledger) == 2
    assert ledger.accepted(b) is False and ledger.accepted(a) is True


def test_rate_limit_allows_a_burst_then_the_sustained_rate():
    limiter, client = RateLimiter(per_minute=60, burst=3), uuid.uuid4()
    assert [limiter.take(client, 1, now=0.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.take(client, 1, now=0.0) == 1
    assert limiter.take(client, 1, now=1.0) == 0
    assert limiter.take(uuid.uuid4(), 1, now=1.0) == 0


def test_a_batch_larger_than_the_burst_waits_for_a_full_bucket():
    limiter, client = RateLimiter(per_minute=60, burst=10), uuid.uuid4()
    assert limiter.take(client, 500, now=0.0) == 0
    assert limiter.take(client, 5, now=0.0) == 5


def test_implausible_checkin_times():
    from datetime import timedelta

    from services.gateway.core.timing import occurred_at_problem

    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert occurred_at_problem(now - timedelta(days=40), now) is None
    assert occurred_at_problem(now + timedelta(hours=3), now) is None
    assert "future" in occurred_at_problem(now + timedelta(days=2), now)
    assert "year" in occurred_at_problem(now - timedelta(days=400), now)
