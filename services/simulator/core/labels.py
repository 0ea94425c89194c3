"""Ground truth: which signal kinds each simulated client and episode should produce, and when."""

from datetime import date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from services.simulator.core.archetypes import Archetype, Profile
from services.simulator.core.checkins import CRISIS_NOTES

EXPECTED = {
    Archetype.STABLE: [],
    Archetype.GRADUAL_MOOD_DECLINE: ["mood.sustained_decline"],
    Archetype.ABRUPT_RESILIENCE_DROP: ["resilience.reliable_drop", "resilience.low"],
    Archetype.ALLIANCE_RUPTURE: ["alliance.rupture"],
    Archetype.DISENGAGEMENT: ["engagement.missed_checkins"],
    Archetype.RECOVERY: ["resilience.reliable_improvement"],
    Archetype.ACUTE_RISK: ["risk.acute"],
    Archetype.CRISIS_LANGUAGE: ["risk.language"],
}
# Kinds a detector may reasonably add for the same course (not errors when they appear, not misses when absent).
ALLOWED = {
    Archetype.ABRUPT_RESILIENCE_DROP: ["mood.sustained_decline"],
    Archetype.RECOVERY: ["resilience.low"],
    Archetype.ACUTE_RISK: ["mood.sustained_decline"],
    Archetype.CRISIS_LANGUAGE: ["mood.sustained_decline"],
}


def _has(checkin, instrument: str) -> bool:
    return any(a["instrument"] == instrument for a in checkin.event["answers"])


def _occurred(checkin) -> datetime:
    return datetime.fromisoformat(checkin.event["occurred_at"])


def _first_with(checkins, instrument: str, since: datetime, extra=lambda c: True):
    return next((c for c in checkins if _occurred(c) >= since and _has(c, instrument) and extra(c)), None)


def _brs_history(checkins, before: datetime) -> int:
    return sum(1 for c in checkins if before - timedelta(days=28) <= _occurred(c) < before and _has(c, "brs"))


def missed_checkin_deadline(checkins) -> datetime | None:
    """Last check-in + max(3 days, 3 x median gap of the last 14 gaps), when there were >= 3 check-ins."""
    times = sorted(_occurred(c) for c in checkins)
    if len(times) < 3:
        return None
    gaps = [(b - a).total_seconds() for a, b in zip(times[-15:], times[-14:])]
    return times[-1] + max(timedelta(days=3), timedelta(seconds=3 * median(gaps)))


def label_client(client_id: str, zone_name: str, profile: Profile, first_day: date, checkins: list,
                 until: datetime) -> dict:
    """The label of one client: archetype, episode window, expected and allowed signal kinds."""
    kinds = EXPECTED[profile.archetype]
    label = {"client_id": client_id, "timezone": zone_name, "archetype": profile.archetype.value,
             "checkins": len(checkins), "offline_share": profile.offline_share,
             "allowed_kinds": ALLOWED.get(profile.archetype, []), "episodes": []}
    if profile.onset_day is None:
        return label
    onset = datetime.combine(first_day + timedelta(days=profile.onset_day), time(), ZoneInfo(zone_name))
    episode = {"episode": profile.archetype.value, "signal_kinds": kinds, "from": onset.isoformat(),
               "until": until.isoformat(), "trigger_event_ids": [], "detectable": True, "why": ""}
    trigger = None
    if profile.archetype in (Archetype.ABRUPT_RESILIENCE_DROP, Archetype.RECOVERY):
        trigger = _first_with(checkins, "brs", onset)
        history = _brs_history(checkins, _occurred(trigger)) if trigger else 0
        episode["detectable"], episode["why"] = history >= 3, f"{history} BRS scores in the 28 days before"
    elif profile.archetype == Archetype.ALLIANCE_RUPTURE:
        trigger = _first_with(checkins, "srs", onset)
        episode["detectable"], episode["why"] = trigger is not None, "first session rated after the rupture"
    elif profile.archetype == Archetype.ACUTE_RISK:
        trigger = _first_with(checkins, "cssrs", onset)
        episode["detectable"], episode["why"] = trigger is not None, "PHQ-9 item 9 >= 1 and C-SSRS yes"
    elif profile.archetype == Archetype.CRISIS_LANGUAGE:
        trigger = next((c for c in checkins if _occurred(c) >= onset and "note" in c.event
                        and c.event["note"] in CRISIS_NOTES), None)
        episode["detectable"], episode["why"] = trigger is not None, "a crisis phrase in the note, no risk answer"
    elif profile.archetype == Archetype.GRADUAL_MOOD_DECLINE:
        days_after = (until - onset).days
        episode["detectable"] = profile.onset_day >= 24 and days_after >= 10
        episode["why"] = f"{profile.onset_day} days of baseline, {days_after} days of decline"
    elif profile.archetype == Archetype.DISENGAGEMENT:
        before = [c for c in checkins if _occurred(c) < onset]
        deadline = missed_checkin_deadline(before)
        episode["detectable"] = deadline is not None and deadline <= until
        episode["expected_at"] = deadline.isoformat() if deadline else None
        episode["why"] = "no check-in after the last one; deadline = last + max(3 days, 3 x median gap)"
    if trigger is not None:
        episode["trigger_event_ids"] = [trigger.event["event_id"]]
        episode["expected_at"] = trigger.event["occurred_at"]
    label["episodes"].append(episode)
    return label
