"""Client trajectories: the latent mood, resilience and alliance of each archetype, day by day."""

import random
from dataclasses import dataclass
from enum import StrEnum


class Archetype(StrEnum):
    STABLE = "stable"
    GRADUAL_MOOD_DECLINE = "gradual_mood_decline"
    ABRUPT_RESILIENCE_DROP = "abrupt_resilience_drop"
    ALLIANCE_RUPTURE = "alliance_rupture"
    DISENGAGEMENT = "disengagement"
    RECOVERY = "recovery"
    ACUTE_RISK = "acute_risk"
    CRISIS_LANGUAGE = "crisis_language"


# Shares of a cohort: most clients are stable, every other course is common enough to be seen in a demo.
WEIGHTS = {
    Archetype.STABLE: 0.30,
    Archetype.GRADUAL_MOOD_DECLINE: 0.12,
    Archetype.ABRUPT_RESILIENCE_DROP: 0.10,
    Archetype.ALLIANCE_RUPTURE: 0.10,
    Archetype.DISENGAGEMENT: 0.10,
    Archetype.RECOVERY: 0.13,
    Archetype.ACUTE_RISK: 0.10,
    # Crisis words in a note without a risk answer: item 9 alone misses most suicides (Louzon 2016).
    Archetype.CRISIS_LANGUAGE: 0.05,
}


@dataclass(frozen=True)
class Profile:
    """One simulated client's stable traits and the day their episode starts (None for stable clients)."""

    archetype: Archetype
    mood_base: float
    brs_base: float
    srs_item_base: float
    adherence: float
    offline_share: float
    checkin_hour: float
    onset_day: int | None

    def mood_mean(self, day: int) -> float:
        """Expected mood (0..10) on `day`."""
        since = None if self.onset_day is None else day - self.onset_day
        if since is None or since < 0:
            return self.mood_base if self.archetype != Archetype.RECOVERY else self.mood_base - 2.5
        if self.archetype == Archetype.GRADUAL_MOOD_DECLINE:
            return self.mood_base - 3.5 * min(1.0, since / 14)
        if self.archetype == Archetype.ABRUPT_RESILIENCE_DROP:
            return self.mood_base - 1.0
        if self.archetype == Archetype.RECOVERY:
            return self.mood_base - 2.5 + 2.5 * min(1.0, since / 14)
        if self.archetype in (Archetype.ACUTE_RISK, Archetype.CRISIS_LANGUAGE) and since <= 2:
            return max(self.mood_base - 3.0, 1.0)
        return self.mood_base

    def brs_mean(self, day: int) -> float:
        """Expected Brief Resilience Scale score (1..5) on `day`."""
        after = self.onset_day is not None and day >= self.onset_day
        if self.archetype == Archetype.ABRUPT_RESILIENCE_DROP and after:
            return 2.2
        if self.archetype == Archetype.RECOVERY:
            return 3.9 if after else 2.3
        return self.brs_base

    def srs_item_mean(self, day: int) -> float:
        """Expected Session Rating Scale item (0..10) at a session on `day`."""
        if self.archetype == Archetype.ALLIANCE_RUPTURE and self.onset_day is not None and day >= self.onset_day:
            # One ruptured session, then a partial repair.
            return 6.8 if day < self.onset_day + 7 else 8.6
        return self.srs_item_base

    def active(self, day: int) -> bool:
        """Whether the client still checks in at all (disengaged clients stop)."""
        return not (self.archetype == Archetype.DISENGAGEMENT and self.onset_day is not None and day >= self.onset_day)


def pick_archetype(index: int, rng: random.Random) -> Archetype:
    """The first clients cover every archetype once (small demo cohorts show each); then by WEIGHTS."""
    kinds = list(WEIGHTS)
    if index < len(kinds):
        return kinds[index]
    return rng.choices(kinds, weights=list(WEIGHTS.values()))[0]


def make_profile(archetype: Archetype, days: int, rng: random.Random) -> Profile:
    """Traits drawn for one client; the onset leaves the history each signal rule needs before it."""
    onset = None if archetype == Archetype.STABLE else _onset_day(archetype, days, rng)
    return Profile(
        archetype=archetype,
        mood_base=rng.uniform(5.8, 7.5) if archetype != Archetype.ACUTE_RISK else rng.uniform(4.5, 5.5),
        brs_base=rng.uniform(3.7, 4.2),
        srs_item_base=rng.uniform(9.5, 9.8),
        adherence=rng.uniform(0.7, 0.95),
        offline_share=rng.choice([0.0, 0.05, 0.15, 0.4]),
        checkin_hour=rng.choice([7.5, 8.5, 12.5, 19.0, 21.0, 22.5]),
        onset_day=onset,
    )


def _onset_day(archetype: Archetype, days: int, rng: random.Random) -> int:
    if archetype == Archetype.DISENGAGEMENT:
        return max(days - rng.randint(6, 12), 4)
    if archetype in (Archetype.ACUTE_RISK, Archetype.CRISIS_LANGUAGE):
        return max(days - rng.randint(2, 10), 0)
    # Baselines need about a month of history (28-35 days of BRS or mood) before the change.
    return max(min(days - 14, 28 + rng.randint(0, 6)), 0)
