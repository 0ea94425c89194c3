"""Check-in builders for detector unit tests: days counted from a fixed start, answers by instrument."""

import uuid
from datetime import UTC, datetime, timedelta

from schemas.checkin import CheckinSubmitted

START = datetime(2026, 1, 5, 19, 0, tzinfo=UTC)  # a Monday, 20:00 in Berlin


def brs(*adjusted: int) -> list[dict]:
    """BRS answers whose item scores after reversal are `adjusted` (so the BRS score is their mean)."""
    return [{"instrument": "brs", "item": i, "value": 6 - v if i in (2, 4, 6) else v}
            for i, v in enumerate(adjusted, start=1)]


def brs_score(score: float) -> list[dict]:
    """BRS answers for a score that is a whole number (all six adjusted items equal)."""
    return brs(*[int(score)] * 6)


def srs(total: float) -> list[dict]:
    return [{"instrument": "srs", "item": i, "value": round(total / 4, 1)} for i in range(1, 5)]


def mood(value: int) -> list[dict]:
    return [{"instrument": "mood", "item": 1, "value": value}]


def checkin(client_id: uuid.UUID, day: float, answers: list[dict], timezone: str = "Europe/Berlin",
            event_id: uuid.UUID | None = None, **extra) -> CheckinSubmitted:
    """A check-in `day` days after START (fractions are parts of a day)."""
    return CheckinSubmitted(event_id=event_id or uuid.uuid4(), client_id=client_id, timezone=timezone,
                            occurred_at=START + timedelta(days=day), answers=answers, **extra)


def run(checkins, config, state=None):
    """Evaluate check-ins in the given order; return the final state and every signal."""
    from services.detector.core import evaluate

    signals = []
    for c in checkins:
        state, new = evaluate(state, c, c.occurred_at, config)
        signals += new
    return state, signals


def kinds(signals) -> list[str]:
    return [s.kind.value for s in signals]
