"""The webhook contract, pure: HMAC-SHA256 signatures, verification for receivers, and the retry schedule.

A request carries `X-Rapport-Timestamp` (unix seconds) and `X-Rapport-Signature: v1=<hex>`, where
hex = HMAC-SHA256(secret, "<timestamp>." + body). Receivers recompute it over the raw body and reject
stale timestamps, which stops replays of captured requests.
"""

import hashlib
import hmac
from datetime import timedelta

TIMESTAMP_HEADER = "X-Rapport-Timestamp"
SIGNATURE_HEADER = "X-Rapport-Signature"
DELIVERY_HEADER = "X-Rapport-Delivery"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def signed_headers(secret: str, timestamp: int, body: bytes, delivery_id: str) -> dict[str, str]:
    """Headers of one webhook request."""
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        DELIVERY_HEADER: delivery_id,
    }


def verify(secret: str, timestamp: str, body: bytes, given: str, now: float, tolerance_s: float = 300) -> bool:
    """True when `given` signs `body` at `timestamp` and the timestamp is within `tolerance_s` of `now`."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, sent_at, body), given)


def retry_delay(attempts: int, initial_s: float, max_s: float) -> timedelta:
    """Exponential back-off after `attempts` failed attempts: initial, 2x, 4x ... capped at max."""
    return timedelta(seconds=min(initial_s * 2 ** max(attempts - 1, 0), max_s))


def is_permanent_failure(status_code: int) -> bool:
    """A 4xx (other than timeout / rate limit) will not get better by retrying."""
    return 400 <= status_code < 500 and status_code not in (408, 425, 429)
