"""Webhook signatures verify only for the same secret, body and a fresh timestamp; the retry schedule backs off."""

from datetime import timedelta

from services.notifier.core.webhook import is_permanent_failure, retry_delay, signature, signed_headers, verify

BODY = b'{"alert_id": "a"}'


def test_a_signature_verifies_with_the_same_secret_and_body():
    headers = signed_headers("s3cret", 1_700_000_000, BODY, "d-1")
    assert headers["X-Rapport-Signature"].startswith("v1=") and headers["X-Rapport-Delivery"] == "d-1"
    assert verify("s3cret", headers["X-Rapport-Timestamp"], BODY, headers["X-Rapport-Signature"], now=1_700_000_010)


def test_a_changed_body_secret_or_stale_timestamp_fails():
    given = signature("s3cret", 1_700_000_000, BODY)
    assert not verify("s3cret", "1700000000", BODY + b" ", given, now=1_700_000_000)
    assert not verify("other", "1700000000", BODY, given, now=1_700_000_000)
    assert not verify("s3cret", "1700000000", BODY, given, now=1_700_000_000 + 301)
    assert not verify("s3cret", "not-a-number", BODY, given, now=1_700_000_000)


def test_retries_back_off_exponentially_up_to_the_cap():
    assert [retry_delay(n, 1, 10) for n in (1, 2, 3, 4, 5)] == [timedelta(seconds=s) for s in (1, 2, 4, 8, 10)]


def test_client_errors_are_permanent_except_timeouts_and_rate_limits():
    assert is_permanent_failure(400) and is_permanent_failure(404)
    assert not any(is_permanent_failure(code) for code in (408, 429, 500, 503))
