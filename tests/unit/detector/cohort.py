"""A deterministic synthetic cohort of check-ins (JSONL) for replay tests and throughput measurements."""

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC")
START = datetime(2026, 3, 1, tzinfo=UTC)


def _brs(level: float, rng: random.Random) -> list[dict]:
    answers = []
    for item in range(1, 7):
        value = min(5, max(1, round(level + rng.gauss(0, 0.5))))
        answers.append({"instrument": "brs", "item": item, "value": 6 - value if item % 2 == 0 else value})
    return answers


def _new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def client_checkins(rng: random.Random, days: int) -> list[dict]:
    """One client's check-ins in event-time order: daily mood, weekly BRS and SRS, fortnightly PHQ-9."""
    client_id, zone = _new_id(rng), rng.choice(ZONES)
    mood, brs, srs = rng.uniform(4, 8), rng.uniform(2.8, 4.2), rng.uniform(33, 39)
    declining = rng.random() < 0.15
    stops_at = rng.randint(days // 2, days) if rng.random() < 0.1 else days
    events = []
    for day in range(stops_at):
        if rng.random() > 0.8:
            continue
        drift = -0.08 * max(0, day - days / 2) if declining else 0.0
        answers = [{"instrument": "mood", "item": 1, "value": min(10, max(0, round(mood + drift + rng.gauss(0, 1.2))))}]
        if day % 7 == 0:
            answers += _brs(brs + drift / 3, rng)
            answers += [{"instrument": "srs", "item": i, "value": round(min(10, max(0, srs / 4 + rng.gauss(0, 0.5))), 1)}
                        for i in range(1, 5)]
        if day % 14 == 3:
            answers += [{"instrument": "phq9", "item": i, "value": rng.choice((0, 0, 1, 1, 2, 3) if i < 9 else
                                                                               (0,) * 30 + (1, 2))} for i in range(1, 10)]
        event = {"event_id": _new_id(rng), "client_id": client_id, "timezone": zone, "answers": answers,
                 "occurred_at": (START + timedelta(days=day, hours=rng.uniform(7, 22))).isoformat()}
        if rng.random() < 0.002:
            event["note"] = "some days I want to die"
        elif rng.random() < 0.05:
            event["note"] = "I would never hurt myself, just tired"
        events.append(event)
    return events


def write_cohort(path: Path, clients: int = 1000, days: int = 60, seed: int = 7) -> int:
    """Write the cohort in arrival order (a few late syncs, redeliveries and broken lines); return the line count."""
    rng = random.Random(seed)
    events = [e for _ in range(clients) for e in client_checkins(rng, days)]
    arrival = [(datetime.fromisoformat(e["occurred_at"]) + timedelta(hours=rng.expovariate(1 / 0.5) if
                rng.random() > 0.03 else rng.uniform(24, 72)), e) for e in events]
    arrival.sort(key=lambda pair: pair[0])
    lines = [json.dumps(e) for _, e in arrival]
    for index in rng.sample(range(len(lines)), k=len(lines) // 200):
        lines.insert(index, lines[index])  # redelivered
    lines.insert(len(lines) // 3, '{"event_id": "not-a-uuid"}')
    lines.insert(len(lines) // 2, "this is not json")
    path.write_text("\n".join(lines) + "\n")
    return len(lines)
