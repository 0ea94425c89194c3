"""mood.sustained_decline: a one-sided EWMA chart on the client's daily mean mood in their own timezone."""

from datetime import date, datetime, timedelta
from statistics import fmean, stdev

from schemas.checkin import CheckinSubmitted
from schemas.signal import Severity, SignalDetected, SignalKind
from services.detector.core.config import MoodRules
from services.detector.core.signals import make_signal
from services.detector.core.state import ClientState


def ewma(values: list[float], weight: float) -> float:
    """Exponentially weighted mean, started at the first value, newest value weighted `weight`."""
    level = values[0]
    for value in values[1:]:
        level = weight * value + (1 - weight) * level
    return level


def record_mood(state: ClientState, day: date, value: float, keep_days: int) -> None:
    """Add one mood answer to the day's running mean (values are replaced, never mutated, so copies stay cheap)."""
    key = day.isoformat()
    total, count = state.mood_days.get(key, (0.0, 0))
    state.mood_days[key] = [total + value, count + 1]
    oldest = (date.fromisoformat(max(state.mood_days)) - timedelta(days=keep_days)).isoformat()
    for stale in [k for k in state.mood_days if k < oldest]:
        del state.mood_days[stale]


def judge_mood(state: ClientState, checkin: CheckinSubmitted, now: datetime, rules: MoodRules) -> list[SignalDetected]:
    """Judge the client's latest local day (a late answer for an earlier day only updates the history)."""
    day = checkin.local_date
    if day.isoformat() != max(state.mood_days):
        return []
    means = {k: s / n for k, (s, n) in sorted(state.mood_days.items())}
    start = (day - timedelta(days=rules.baseline_to_days)).isoformat()
    end = (day - timedelta(days=rules.baseline_from_days)).isoformat()
    baseline = [m for k, m in means.items() if start <= k <= end]
    if len(baseline) < rules.baseline_min_days:
        return []
    level = ewma(list(means.values()), rules.ewma_lambda)
    mean, sd = fmean(baseline), max(stdev(baseline), rules.sd_floor)
    limit = mean - max(rules.limit_factor * sd, rules.min_drop_points)
    below = level < limit
    started = below and not state.mood_excursion
    state.mood_excursion = below  # once per excursion: it ends when the EWMA is back above the limit
    if not started:
        return []
    evidence = {"ewma": level, "limit": limit, "baseline_mean": mean, "baseline_sd": sd, "baseline_days": len(baseline),
                "today_mean": means[day.isoformat()], "lambda": rules.ewma_lambda, "L": rules.control_l}
    summary = (f"Mood has been declining: its weighted daily average is {level:.1f}, below the control limit "
               f"{limit:.1f} (their usual level is {mean:.1f}).")
    return [make_signal(checkin.client_id, SignalKind.MOOD_SUSTAINED_DECLINE, Severity.MEDIUM, checkin.occurred_at,
                        now, [checkin.event_id], evidence, summary)]
