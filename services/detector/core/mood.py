"""mood.sustained_decline: a one-sided EWMA chart on the client's daily mean mood in their own timezone.

Days are proleptic Gregorian ordinals (`date.toordinal()`) of the client's local calendar day.
"""

from datetime import datetime
from math import sqrt

from schemas.checkin import CheckinSubmitted
from schemas.signal import Severity, SignalDetected, SignalKind
from services.detector.core.config import MoodRules
from services.detector.core.signals import make_signal
from services.detector.core.state import ClientState


def ewma(values: list[float], weight: float, level: float | None = None) -> float | None:
    """Exponentially weighted mean (newest value weighted `weight`), started at `level` or the first value."""
    for value in values:
        level = ewma_step(value, weight, level)
    return level


def ewma_step(value: float, weight: float, level: float | None) -> float:
    """`ewma` of one more value."""
    return value if level is None else weight * value + (1 - weight) * level


def _forget_old_days(state: ClientState, latest: int, keep_days: int) -> None:
    """Drop days older than `keep_days` before the latest (after judging, so the sliding window saw them leave).

    In event order the EWMA lives on in `mood_cache` and loses nothing. Only a full recompute after a late
    answer starts from the kept days: with daily data that start weighs 0.8^36 = 0.0003, with sparser data more.
    """
    days = state.mood_days
    oldest = latest - keep_days
    while (first := min(days)) < oldest:  # usually none or one day: min() scans in C, a comprehension would not
        del days[first]


def _day_mean(state: ClientState, day: int) -> float | None:
    total_count = state.mood_days.get(day)
    return total_count[0] / total_count[1] if total_count else None


def _chart_before(state: ClientState, key: int, previous: int | None, rules: MoodRules) -> list:
    """[day, EWMA through the days before it, baseline sum, sum of squares, days], kept in the state.

    In event order the chart moves forward a day at a time: extend the EWMA by the previous day and slide the
    baseline window (days D-35 .. D-8) instead of recomputing both from every stored day.
    """
    cache = state.mood_cache
    if cache is not None and cache[0] == key:
        return cache
    if previous is None or previous >= key:
        previous = max((k for k in state.mood_days if k < key), default=None)
    if cache is not None and previous is not None and cache[0] == previous:
        total, count = state.mood_days[previous]
        level: float | None = ewma_step(total / count, rules.ewma_lambda, cache[1])
        sums, squares, days = cache[2], cache[3], cache[4]
        for day in range(previous + 1, key + 1):
            entering = _day_mean(state, day - rules.baseline_from_days)
            leaving = _day_mean(state, day - 1 - rules.baseline_to_days)
            if entering is not None:
                sums, squares, days = sums + entering, squares + entering * entering, days + 1
            if leaving is not None:
                sums, squares, days = sums - leaving, squares - leaving * leaving, days - 1
    else:
        earlier = sorted(k for k in state.mood_days if k < key)
        level = ewma([state.mood_days[k][0] / state.mood_days[k][1] for k in earlier], rules.ewma_lambda)
        start, end = key - rules.baseline_to_days, key - rules.baseline_from_days
        window = [t / n for k, (t, n) in state.mood_days.items() if start <= k <= end]
        sums, squares, days = sum(window), sum(v * v for v in window), len(window)
    state.mood_cache = [key, level, sums, squares, days]
    return state.mood_cache


def baseline_of(sums: float, squares: float, days: int, rules: MoodRules) -> tuple[float, float]:
    """Baseline mean and SD (sample, floored) from running sums."""
    mean = sums / days
    variance = max(squares - sums * mean, 0.0) / (days - 1)
    return mean, max(sqrt(variance), rules.sd_floor)


def chart_mood(state: ClientState, checkin: CheckinSubmitted, key: int, value: float, now: datetime | None,
               rules: MoodRules) -> list[SignalDetected]:
    """Add a mood answer to its local day (an ordinal) and judge the latest day; a late day only updates the history."""
    cache = state.mood_cache  # when set, it charts the latest day
    latest = cache[0] if cache is not None else max(state.mood_days, default=None)
    total, count = state.mood_days.get(key, (0.0, 0))
    state.mood_days[key] = [total + value, count + 1]  # replaced, never mutated: state copies stay shallow
    if latest is not None and key < latest:
        state.mood_cache = None  # a past day changed: the chart is recomputed from the days next time
        return []
    signals = _judge_latest_day(state, checkin, key, latest, now, rules)
    if key != latest:
        _forget_old_days(state, key, rules.baseline_to_days + 1)
    return signals


def _judge_latest_day(state: ClientState, checkin: CheckinSubmitted, key: int, previous: int | None,
                      now: datetime | None, rules: MoodRules) -> list[SignalDetected]:
    _, before, sums, squares, days = _chart_before(state, key, previous, rules)
    if days < max(rules.baseline_min_days, 2):
        return []
    mean, sd = baseline_of(sums, squares, days, rules)
    total, count = state.mood_days[key]
    level = ewma_step(total / count, rules.ewma_lambda, before)
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
