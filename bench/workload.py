"""Synthetic check-ins for the benchmark: a deterministic cohort with daily mood and periodic instruments.

Most clients are stable; about one in ten slides over the period so the detector's rules do real work.
Events are plain dicts in the v1 `checkin.submitted` shape, in arrival order (day by day).
"""

import json
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC")
BENCH_NAMESPACE = uuid.UUID("5d1c8a3e-2f47-4b6b-8a51-0b9e7c2f4d11")


def client_ids(count: int, seed: int, label: str = "client") -> list[uuid.UUID]:
    """Stable client ids for a cohort: the same seed gives the same clients."""
    return [uuid.uuid5(BENCH_NAMESPACE, f"{label}-{seed}-{i}") for i in range(count)]


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def checkin(client_id: uuid.UUID, occurred_at: datetime, zone: str, answers: list[dict], **extra) -> dict:
    """One v1 check-in event with a fresh event_id."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": "checkin.submitted",
        "version": 1,
        "client_id": str(client_id),
        "occurred_at": occurred_at.isoformat(),
        "timezone": zone,
        "answers": answers,
        "source": {"app": "rapport-bench", "app_version": "1"},
    } | extra


def day_answers(rng: random.Random, day: int, index: int, level: float) -> list[dict]:
    """What one client answers on one day: mood daily, BRS and SRS weekly, PHQ-9 fortnightly."""
    answers = [{"instrument": "mood", "item": 1, "value": round(_clamp(level + rng.gauss(0, 1.0), 0, 10))}]
    if (day + index) % 7 == 0:
        brs = _clamp(level / 2 + rng.gauss(0, 0.3), 1, 5)
        answers += [{"instrument": "brs", "item": i, "value": round(brs if i % 2 else 6 - brs)} for i in range(1, 7)]
    if (day + index) % 7 == 3:
        answers += [{"instrument": "srs", "item": i, "value": round(_clamp(9.3 + rng.gauss(0, 0.5), 0, 10), 1)}
                    for i in range(1, 5)]
    if (day + index) % 14 == 5:
        answers += [{"instrument": "phq9", "item": i, "value": 0 if i == 9 else rng.randint(0, 1)} for i in range(1, 10)]
    return answers


def history(clients: list[uuid.UUID], days: int, seed: int, end: datetime) -> Iterator[dict]:
    """`days` days of check-ins for every client, ending at `end`, in arrival (day) order."""
    rng = random.Random(seed)
    start_levels = [rng.uniform(6.0, 8.5) for _ in clients]
    sliding = [rng.random() < 0.1 for _ in clients]
    zones = [ZONES[i % len(ZONES)] for i in range(len(clients))]
    for day in range(days):
        when = end - timedelta(days=days - 1 - day)
        for i, client in enumerate(clients):
            level = start_levels[i] - (4.0 * day / max(days - 1, 1) if sliding[i] else 0.0)
            at = when - timedelta(minutes=rng.randint(0, 600))
            yield checkin(client, at, zones[i], day_answers(rng, day, i, level))


def ordinary(client_id: uuid.UUID, at: datetime, rng: random.Random) -> dict:
    """A routine check-in: mood only, nothing alarming."""
    return checkin(client_id, at, "Europe/Berlin", [{"instrument": "mood", "item": 1, "value": rng.randint(5, 8)}])


def risk(client_id: uuid.UUID, at: datetime) -> dict:
    """A check-in that must raise a critical alert: PHQ-9 item 9 answered and help requested."""
    return checkin(client_id, at, "Europe/Berlin",
                   [{"instrument": "phq9", "item": 9, "value": 2}, {"instrument": "mood", "item": 1, "value": 1}],
                   help_requested=True)


def encode(event: dict) -> tuple[bytes, bytes]:
    """(key, value) as the gateway publishes them: key is the client_id."""
    return event["client_id"].encode(), json.dumps(event).encode()
