"""Generate a cohort: every client's check-ins in arrival order, and what each client should trigger."""

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.simulator.core.archetypes import Archetype, make_profile, pick_archetype
from services.simulator.core.checkins import daily_checkin, local_instant
from services.simulator.core.labels import label_client

COHORT_NAMESPACE = uuid.UUID("9a3e6c1d-2b4f-4e8a-8c7d-5f1e0a2b3c4d")
TIMEZONES = (
    "Europe/Berlin", "Europe/London", "Europe/Madrid", "America/New_York", "America/Chicago", "America/Los_Angeles",
    "America/Toronto", "America/Sao_Paulo", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "Pacific/Auckland",
    "Africa/Nairobi",
)


@dataclass(frozen=True)
class SimulatedCheckin:
    """A check-in event and when it reaches the backend (later than it happened when the phone was offline)."""

    event: dict
    received_at: datetime


@dataclass
class Cohort:
    """Check-ins in arrival order plus the ground-truth labels of every client."""

    checkins: list[SimulatedCheckin]
    labels: dict = field(default_factory=dict)

    def events(self) -> list[dict]:
        return [c.event for c in self.checkins]


def client_id_for(seed: int, index: int) -> str:
    return str(uuid.uuid5(COHORT_NAMESPACE, f"{seed}:{index}"))


def simulate_client(seed: int, index: int, days: int, until: datetime) -> tuple[list[SimulatedCheckin], dict]:
    """One client's check-ins over the `days` local days that end at `until`, and their label."""
    rng = random.Random(f"{seed}:{index}")
    client_id, zone_name = client_id_for(seed, index), rng.choice(TIMEZONES)
    zone = ZoneInfo(zone_name)
    archetype = pick_archetype(index, rng)
    profile = make_profile(archetype, days, rng)
    first_day = until.astimezone(zone).date() - timedelta(days=days - 1)
    brs_day, session_day, phq_day = rng.randrange(7), rng.randrange(7), rng.randrange(14)
    checkins: list[SimulatedCheckin] = []
    skipped = 0
    for day in range(days):
        if not profile.active(day):
            continue
        due = {name for name, offset, every in (("brs", brs_day, 7), ("srs", session_day, 7), ("phq9", phq_day, 14))
               if day % every == offset}
        risk_episode = archetype == Archetype.ACUTE_RISK and day == profile.onset_day
        crisis_note = archetype == Archetype.CRISIS_LANGUAGE and day == profile.onset_day
        # Irregular, yet never two missed days in a row: only disengaged clients stop checking in.
        if not (due or risk_episode or crisis_note or skipped >= 1 or rng.random() < profile.adherence):
            skipped += 1
            continue
        skipped = 0
        hour = min(max(profile.checkin_hour + rng.gauss(0, 1.0), 6.0), 23.9)
        occurred_at = local_instant(first_day + timedelta(days=day), hour, zone)
        if occurred_at > until:
            break
        event = daily_checkin(client_id, zone_name, profile, day, occurred_at, due, rng, risk_episode, crisis_note)
        checkins.append(SimulatedCheckin(event, _arrival(occurred_at, profile.offline_share, rng)))
        if rng.random() < 0.05 and occurred_at + timedelta(hours=5) <= until:
            later = occurred_at + timedelta(hours=5)
            extra = daily_checkin(client_id, zone_name, profile, day, later, set(), rng, False)
            checkins.append(SimulatedCheckin(extra, _arrival(later, profile.offline_share, rng)))
    return checkins, label_client(client_id, zone_name, profile, first_day, checkins, until)


def _arrival(occurred_at: datetime, offline_share: float, rng: random.Random) -> datetime:
    # Offline phones sync within 18 hours: with at most one skipped day in between, a late check-in still
    # arrives before the 3-day missed-check-in deadline, so only disengaged clients should trigger one.
    if rng.random() < offline_share:
        return occurred_at + timedelta(hours=rng.uniform(1, 18))
    return occurred_at + timedelta(seconds=rng.uniform(1, 120))


def simulate_cohort(clients: int, days: int, seed: int, until: datetime) -> Cohort:
    """The whole cohort; the same (clients, days, seed, until) always gives the same output."""
    if until.tzinfo is None:
        raise ValueError("until must be timezone-aware")
    checkins, labels = [], []
    for index in range(clients):
        client_checkins, label = simulate_client(seed, index, days, until)
        checkins.extend(client_checkins)
        labels.append(label)
    checkins.sort(key=lambda c: (c.received_at.timestamp(), c.event["event_id"]))
    summary = {"seed": seed, "clients": clients, "days": days, "until": until.isoformat(), "checkins": len(checkins)}
    return Cohort(checkins, summary | {"labels": labels})
