"""BRS rules: reliable drop and improvement against the personal baseline, and entry into the low band."""

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from schemas.checkin import CheckinSubmitted
from schemas.signal import Severity, SignalDetected, SignalKind
from services.detector.core.config import ResilienceRules
from services.detector.core.signals import make_signal
from services.detector.core.state import ClientState

DAY = 86400.0


def reliable_change(score: float, baseline: float, rules: ResilienceRules) -> float:
    """Jacobson & Truax RC = (x - baseline) / S_diff; beyond +-1.96 is change larger than measurement error."""
    return (score - baseline) / rules.s_diff


@dataclass(frozen=True)
class BrsJudgement:
    """What one BRS score means against the client's history; `drop` is remembered on the entry."""

    drop: bool
    signals: list[SignalDetected]


def judge_brs(state: ClientState, index: int, checkin: CheckinSubmitted, t: float, score: float,
              now: datetime | None, rules: ResilienceRules) -> BrsJudgement:
    """Judge a BRS score placed at `index` of the history (event time `t`, epoch seconds) against the scores before it."""
    before = [e for e in state.entries[:index] if e.brs is not None]
    after = next((e for e in state.entries[index:] if e.brs is not None), None)
    previous = before[-1] if before else None
    window = [e.brs for e in before if e.brs is not None and e.t >= t - rules.baseline_days * DAY]
    signals: list[SignalDetected] = []
    drop = False

    def emit(kind: SignalKind, severity: Severity, evidence: dict, summary: str) -> None:
        signals.append(make_signal(checkin.client_id, kind, severity, checkin.occurred_at, now,
                                   [checkin.event_id], evidence, summary))

    if len(window) >= rules.baseline_min_scores:
        baseline = median(window)
        rc = reliable_change(score, baseline, rules)
        evidence = {"score": score, "baseline": float(baseline), "baseline_scores": len(window), "rc": rc,
                    "s_diff": rules.s_diff, "threshold": rules.rc_threshold}
        drop = rc <= -rules.rc_threshold
        # One signal per episode of consecutive reliable drops, whichever order they arrive in.
        already = (previous is not None and previous.brs_drop) or (after is not None and after.brs_drop)
        if drop and not already:
            emit(SignalKind.RESILIENCE_RELIABLE_DROP, Severity.HIGH, evidence,
                 f"Resilience (BRS) fell reliably from a baseline of {baseline:.2f} to {score:.2f} (RC {rc:.2f}).")
        recent = any(abs(t - when) < rules.improvement_every_days * DAY for when in state.improvements)
        if rc >= rules.rc_threshold and not recent:
            emit(SignalKind.RESILIENCE_RELIABLE_IMPROVEMENT, Severity.INFO, evidence,
                 f"Resilience (BRS) rose reliably from a baseline of {baseline:.2f} to {score:.2f} (RC {rc:.2f}).")
    low = score < rules.low_cutoff
    previous_brs = previous.brs if previous is not None else None
    entered_low = previous_brs is not None and previous_brs >= rules.low_cutoff
    already_low = after is not None and after.brs is not None and after.brs < rules.low_cutoff
    if low and entered_low and not already_low:
        emit(SignalKind.RESILIENCE_LOW, Severity.MEDIUM,
             {"score": score, "previous": previous_brs, "threshold": rules.low_cutoff},
             f"Resilience (BRS) fell into the low band: {score:.2f}, below {rules.low_cutoff:.2f} "
             f"(previously {previous_brs:.2f}).")
    return BrsJudgement(drop, signals)
