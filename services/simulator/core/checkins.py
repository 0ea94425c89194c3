"""One client's check-ins: what they answer on a given day, derived from their latent trajectory."""

import random
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.simulator.core.archetypes import Archetype, Profile

BENIGN_NOTES = (
    "Walked to work today and it helped.",
    "Busy week at work, looking forward to the weekend.",
    "Slept badly but had a good talk with my sister.",
    "Tried the breathing exercise before the meeting.",
    "Cooked dinner with friends.",
)
CRISIS_NOTES = (
    "Honestly I can't go on like this.",
    "Some days I just want to die.",
    "Everyone would be better off without me.",
)
GOALS = ("walk-daily", "sleep-routine")


def event_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def brs_items(mean: float, rng: random.Random) -> list[dict]:
    """Six BRS answers whose score (items 2, 4, 6 reversed) is close to `mean`."""
    answers = []
    for item in range(1, 7):
        target = 6 - mean if item % 2 == 0 else mean
        answers.append({"instrument": "brs", "item": item, "value": int(_clip(round(rng.gauss(target, 0.35)), 1, 5))})
    return answers


def phq9_items(mood: float, rng: random.Random, item9: int = 0) -> list[dict]:
    """PHQ-9 answers tracking low mood; item 9 (thoughts of self-harm) only as given."""
    level = _clip((7 - mood) / 3, 0, 2.5)
    items = [{"instrument": "phq9", "item": i, "value": int(_clip(round(rng.gauss(level, 0.5)), 0, 3))}
             for i in range(1, 9)]
    return items + [{"instrument": "phq9", "item": 9, "value": item9}]


def srs_items(mean: float, rng: random.Random) -> list[dict]:
    return [{"instrument": "srs", "item": i, "value": round(_clip(rng.gauss(mean, 0.2), 0, 10), 1)}
            for i in range(1, 5)]


def local_instant(day: date, hour: float, zone: ZoneInfo) -> datetime:
    """The aware instant of `hour` (fractional) on a local calendar day."""
    naive = datetime.combine(day, time()) + timedelta(seconds=int(hour * 3600))
    return naive.replace(tzinfo=zone)


def daily_checkin(client_id: str, zone_name: str, profile: Profile, day: int, occurred_at: datetime,
                  due: set[str], rng: random.Random, risk_episode: bool, crisis_note: bool = False) -> dict:
    """The `checkin.submitted` body of one day's check-in."""
    mood = profile.mood_mean(day)
    answers = [{"instrument": "mood", "item": 1, "value": int(_clip(round(rng.gauss(mood, 0.9)), 0, 10))}]
    if "brs" in due:
        answers += brs_items(profile.brs_mean(day), rng)
    if "phq9" in due or risk_episode:
        answers += phq9_items(mood, rng, item9=rng.choice([1, 2, 3]) if risk_episode else 0)
    if risk_episode:
        answers += [{"instrument": "cssrs", "item": i, "value": v}
                    for i, v in enumerate([1, 1, int(rng.random() < 0.5), 0, 0, 0], start=1)]
    if "srs" in due:
        answers += srs_items(profile.srs_item_mean(day), rng)
    if rng.random() < 0.5:
        answers.append({"instrument": "sleep", "item": 1, "value": round(_clip(rng.gauss(7, 1.1), 3, 11), 1)})
    event = {
        "event_id": event_id(rng), "type": "checkin.submitted", "version": 1, "client_id": client_id,
        "occurred_at": occurred_at.isoformat(), "timezone": zone_name, "answers": answers,
        "help_requested": risk_episode and rng.random() < 0.5,
        "source": {"app": "rapport-simulator", "app_version": "1"},
    }
    if rng.random() < 0.4:
        event["goals"] = [{"goal_id": g, "progress": rng.randint(2, 9)} for g in GOALS if rng.random() < 0.7]
    if crisis_note:
        event["note"] = rng.choice(CRISIS_NOTES)
    elif rng.random() < 0.1 and profile.archetype not in (Archetype.ACUTE_RISK, Archetype.CRISIS_LANGUAGE):
        event["note"] = rng.choice(BENIGN_NOTES)
    return event
