"""mood.sustained_decline: a one-sided EWMA chart on the client's daily mean mood in their own timezone."""

from datetime import date, datetime, timedelta
from math import sqrt

from schemas.checkin import CheckinSubmitted
from schemas.signal import Severity, SignalDetected, SignalKind
from services.detector.core.config import MoodRules
from services.detector.core.signals import make_signal
from services.detector.core.state import ClientState


def ewma(values: list[float], weight: float, level: float | None = None) -> float | None:
    """Exponentially weighted mean (newest value weighted `weight`), started at `level` or the first value."""
    for value in values:
        level = value if level is None else weight * value + (1 - weight) * level
    return level


def mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1)."""
    mean = sum(values) / len(values)
    return mean, sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def record_mood(state: ClientState, day: date, value: float, keep_days: int) -> None:
    """Add one mood answer to its local day's running mean; values are replaced, never mutated (cheap copies)."""
    key = day.isoformat()
    latest = max(state.mood_days, default=key)
    if key < latest:
        state.mood_cache = None  # a late answer changes a past day: recompute the chart from the days
    total, count = state.mood_days.get(key, (0.0, 0))
    state.mood_days[key] = [total + value, count + 1]
    if key > latest:
        oldest = (day - timedelta(days=keep_days)).isoformat()
        for stale in [k for k in state.mood_days if k < oldest]:
            del state.mood_days[stale]


def _chart_before(state: ClientState, key: str, rules: MoodRules) -> list:
    """[day, EWMA through the days before it, baseline mean, baseline SD, baseline days], cached in the state."""
    cache = state.mood_cache
    if cache is not None and cache[0] == key:
        return cache
    earlier = sorted(k for k in state.mood_days if k < key)
    if cache is not None and earlier and cache[0] == earlier[-1]:
        total, count = state.mood_days[cache[0]]
        level = ewma([total / count], rules.ewma_lambda, cache[1])  # extend yesterday's chart by one day
    else:
        level = ewma([state.mood_days[k][0] / state.mood_days[k][1] for k in earlier], rules.ewma_lambda)
    day = date.fromisoformat(key)
    start = (day - timedelta(days=rules.baseline_to_days)).isoformat()
    end = (day - timedelta(days=rules.baseline_from_days)).isoformat()
    baseline = [state.mood_days[k][0] / state.mood_days[k][1] for k in earlier if start <= k <= end]
    mean, sd = mean_sd(baseline) if len(baseline) >= 2 else (0.0, 0.0)
    state.mood_cache = [key, level, mean, max(sd, rules.sd_floor), len(baseline)]
    return state.mood_cache


def judge_mood(state: ClientState, checkin: CheckinSubmitted, now: datetime, rules: MoodRules) -> list[SignalDetected]:
    """Judge the client's latest local day (a late answer for an earlier day only updates the history)."""
    key = checkin.local_date.isoformat()
    if key != max(state.mood_days):
        return []
    _, before, mean, sd, days = _chart_before(state, key, rules)
    if days < rules.baseline_min_days:
        return []
    total, count = state.mood_days[key]
    level = ewma([total / count], rules.ewma_lambda, before)
    limit = mean - max(rules.limit_factor * sd, rules.min_drop_points)
    below = level < limit
    started = below and not state.mood_excursion
    state.mood_excursion = below  # once per excursion: it ends when the EWMA is back above the limit
    if not started:
        return []
    evidence = {"ewma": level, "limit": limit, "baseline_mean": mean, "baseline_sd": sd, "baseline_days": days,
                "today_mean": total / count, "lambda": rules.ewma_lambda, "L": rules.control_l}
    summary = (f"Mood has been declining: its weighted daily average is {level:.1f}, below the control limit "
               f"{limit:.1f} (their usual level is {mean:.1f}).")
    return [make_signal(checkin.client_id, SignalKind.MOOD_SUSTAINED_DECLINE, Severity.MEDIUM, checkin.occurred_at,
                        now, [checkin.event_id], evidence, summary)]
