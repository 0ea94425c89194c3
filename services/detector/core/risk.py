"""risk.acute and risk.language: judged on each check-in alone, so a late one still raises them."""

from datetime import datetime

from schemas.checkin import CheckinSubmitted
from schemas.scoring import Score
from schemas.signal import Severity, SignalDetected, SignalKind
from services.detector.core.config import DetectorConfig
from services.detector.core.lexicon import find_crisis_language
from services.detector.core.signals import make_signal


def acute_risk(checkin: CheckinSubmitted, scores: dict[str, Score], now: datetime | None, config: DetectorConfig):
    """PHQ-9 item 9, C-SSRS screener items and the help button; critical unless one lone lower-level answer."""
    if "phq9" not in scores and "cssrs" not in scores and not checkin.help_requested:
        return []  # most check-ins: nothing this rule reads
    rules = config.risk
    critical: list[str] = []
    high: list[str] = []
    evidence: dict = {}
    item9 = scores["phq9"].detail.get("item9") if "phq9" in scores else None  # the answer, kept by the scoring
    if item9 is not None and item9 >= rules.phq9_item9_min:
        evidence["phq9_item9"] = int(item9)
        (critical if item9 >= rules.phq9_item9_critical else high).append(f"PHQ-9 item 9 answered {int(item9)} of 3")
    if "cssrs" in scores:
        yes = sorted(a.item for a in checkin.answers if a.instrument == "cssrs" and a.value >= 1)
        if yes:
            evidence["cssrs_yes_items"] = yes
        if any(i in rules.cssrs_critical_items for i in yes):
            critical.append(f"C-SSRS yes on item(s) {', '.join(map(str, yes))}")
        elif any(i in rules.cssrs_high_items for i in yes):
            high.append(f"C-SSRS yes on item(s) {', '.join(map(str, yes))}")
    if checkin.help_requested and rules.help_requested:
        evidence["help_requested"] = True
        critical.append('the client pressed "I need support now"')
    reasons = critical + high
    if not reasons:
        return []
    # Two lower-level answers together are treated as critical: only a single lone one is "high".
    severity = Severity.CRITICAL if critical or len(high) > 1 else Severity.HIGH
    evidence["triggers"] = len(reasons)
    summary = f"Acute risk: {'; '.join(reasons)}."
    return [make_signal(checkin.client_id, SignalKind.RISK_ACUTE, severity, checkin.occurred_at, now,
                        [checkin.event_id], evidence, summary)]


def crisis_language(checkin: CheckinSubmitted, now: datetime | None, config: DetectorConfig) -> list[SignalDetected]:
    """The note contains crisis language that is not negated; the evidence names the phrase, never the note."""
    if not config.language.enabled or not checkin.note:
        return []
    match = find_crisis_language(checkin.note, config.language.extra_phrases)
    if match is None:
        return []
    return [make_signal(checkin.client_id, SignalKind.RISK_LANGUAGE, Severity.HIGH, checkin.occurred_at, now,
                        [checkin.event_id], {"lexicon_pattern": match.phrase},
                        "The check-in note contains crisis language; please read it and reach out.")]
