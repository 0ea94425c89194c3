"""engagement.missed_checkins: no check-in by a deadline set by the client's own rhythm, in their timezone."""

from datetime import UTC, datetime, time, timedelta
from statistics import median

from schemas.signal import Severity, SignalDetected, SignalKind
from services.detector.core.config import EngagementRules
from services.detector.core.signals import make_signal
from services.detector.core.state import ClientState
from services.detector.core.zones import zone_named

DAY = 86400.0


def expected_gap_days(state: ClientState, rules: EngagementRules) -> float:
    """max(min gap, multiplier x median gap of the latest check-ins), in days."""
    recent = [e.t for e in state.entries[-rules.gap_window:]]
    typical = median(b - a for a, b in zip(recent, recent[1:])) / DAY
    return max(rules.min_gap_days, rules.gap_multiplier * typical)


def missed_deadline(state: ClientState, rules: EngagementRules) -> datetime | None:
    """The local midnight ending the day on which the allowed gap runs out; None while not enough history."""
    if len(state.entries) < rules.min_prior:
        return None
    zone = zone_named(state.timezone)
    due = datetime.fromtimestamp(state.entries[-1].t + expected_gap_days(state, rules) * DAY, zone)
    return datetime.combine(due.date() + timedelta(days=1), time(0), tzinfo=zone)


def check_missed(state: ClientState, watermark: float, now: datetime | None,
                 rules: EngagementRules) -> list[SignalDetected]:
    """One signal per gap once the watermark (epoch seconds) passes the deadline; marks the gap as reported.

    `now` is the processing time for `detected_at`; offline (None) it is the deadline itself.
    """
    last = state.entries[-1] if state.entries else None
    if last is None or state.missed_reported or watermark < last.t + rules.min_gap_days * DAY:
        return []  # the cheap checks first: this runs for every check-in
    deadline = missed_deadline(state, rules)
    if deadline is None or watermark < deadline.timestamp():
        return []
    state.missed_reported = True
    gap = expected_gap_days(state, rules)
    silent_days = (deadline.timestamp() - last.t) / DAY
    evidence = {"days_since_last": silent_days, "allowed_gap_days": gap, "prior_checkins": len(state.entries),
                "last_checkin_at": datetime.fromtimestamp(last.t, UTC).isoformat(), "timezone": state.timezone}
    summary = f"No check-in for {silent_days:.1f} days (their rhythm allows up to {gap:.1f} days)."
    return [make_signal(state.client_id, SignalKind.ENGAGEMENT_MISSED_CHECKINS, Severity.LOW, deadline, now or deadline,
                        [str(state.last_event_id)], evidence, summary)]
