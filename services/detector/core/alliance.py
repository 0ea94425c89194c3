"""alliance.rupture on the Session Rating Scale: below the cutoff, or well below the client's own mean."""

from dataclasses import dataclass
from datetime import datetime

from schemas.checkin import CheckinSubmitted
from schemas.signal import Severity, SignalDetected, SignalKind
from services.detector.core.config import AllianceRules
from services.detector.core.signals import make_signal
from services.detector.core.state import ClientState
from services.detector.core.stats import mean_sd


@dataclass(frozen=True)
class SrsJudgement:
    """Whether this SRS total is a rupture (remembered on the entry) and the signal, if it starts an episode."""

    rupture: bool
    signals: list[SignalDetected]


def judge_srs(state: ClientState, index: int, checkin: CheckinSubmitted, total: float, now: datetime | None,
              rules: AllianceRules) -> SrsJudgement:
    """Judge an SRS total placed at `index` of the history against the totals before it."""
    before = [e for e in state.entries[:index] if e.srs is not None]
    after = next((e for e in state.entries[index:] if e.srs is not None), None)
    reasons: list[str] = []
    evidence: dict = {"score": total, "cutoff": rules.cutoff}
    if total < rules.cutoff:
        reasons.append(f"below the cutoff of {rules.cutoff:g}")
    if len(before) >= rules.min_prior:
        history = [e.srs for e in before if e.srs is not None]  # all of them: `before` keeps SRS entries
        mean, sd = mean_sd(history)
        needed = max(rules.sd_multiplier * sd, rules.min_drop_points)
        evidence |= {"personal_mean": mean, "personal_sd": sd, "drop": mean - total, "drop_needed": needed,
                     "prior_scores": len(history)}
        if mean - total >= needed:
            reasons.append(f"{mean - total:.1f} points below their own mean of {mean:.1f}")
    rupture = bool(reasons)
    # One signal per episode: the first rupture after a sound session (or the first SRS at all).
    already = (before and before[-1].srs_rupture) or (after is not None and after.srs_rupture)
    if not rupture or already:
        return SrsJudgement(rupture, [])
    summary = f"Possible alliance rupture: the session was rated {total:.1f} of 40, {' and '.join(reasons)}."
    signal = make_signal(checkin.client_id, SignalKind.ALLIANCE_RUPTURE, Severity.HIGH, checkin.occurred_at, now,
                         [checkin.event_id], evidence, summary)
    return SrsJudgement(rupture, [signal])
