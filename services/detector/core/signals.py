"""Building `signal.detected` events: deterministic ids, rounded evidence, one-sentence summaries."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from schemas.signal import Severity, SignalDetected, SignalKind, signal_id_for


def rounded(evidence: dict) -> dict:
    """Evidence numbers rounded to 3 decimals so they read well and serialise identically everywhere."""
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in evidence.items()}


def make_signal(
    client_id: str | UUID,
    kind: SignalKind,
    severity: Severity,
    observed_at: datetime,
    detected_at: datetime | None,
    triggers: Iterable[str | UUID],
    evidence: dict,
    summary: str,
) -> SignalDetected:
    """A signal whose id depends only on the client, the kind and the triggering check-ins.

    `detected_at` None (offline replay, no processing time) means the moment it was observed.
    """
    trigger_ids = [UUID(str(t)) for t in triggers]
    return SignalDetected(
        signal_id=signal_id_for(UUID(str(client_id)), kind, trigger_ids),
        client_id=UUID(str(client_id)),
        kind=kind,
        severity=severity,
        observed_at=observed_at,
        detected_at=detected_at or observed_at,
        trigger_event_ids=trigger_ids,
        evidence=rounded(evidence),
        summary=summary,
    )
