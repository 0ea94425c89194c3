"""`signal.detected` v1 — what the detector concludes from a client's check-ins."""

from enum import StrEnum
from typing import Any, Iterable, Literal
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SIGNAL_NAMESPACE = UUID("6f1c2a4e-52b1-4d8e-9a57-3b7f0c9e2d41")


class SignalKind(StrEnum):
    RISK_ACUTE = "risk.acute"
    RISK_LANGUAGE = "risk.language"
    RESILIENCE_RELIABLE_DROP = "resilience.reliable_drop"
    RESILIENCE_LOW = "resilience.low"
    RESILIENCE_RELIABLE_IMPROVEMENT = "resilience.reliable_improvement"
    MOOD_SUSTAINED_DECLINE = "mood.sustained_decline"
    ALLIANCE_RUPTURE = "alliance.rupture"
    ENGAGEMENT_MISSED_CHECKINS = "engagement.missed_checkins"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical .. 4 for info, for sorting by urgency."""
        return list(Severity).index(self)


def signal_id_for(client_id: UUID, kind: SignalKind | str, trigger_event_ids: Iterable[UUID | str]) -> UUID:
    """Deterministic id: a redelivered check-in yields the same signal id."""
    ids = ",".join(sorted(str(i) for i in trigger_event_ids))
    return uuid5(SIGNAL_NAMESPACE, f"{client_id}|{SignalKind(kind).value}|{ids}")


class SignalDetected(BaseModel):
    """The event on `rapport.signals.v1`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    signal_id: UUID
    type: Literal["signal.detected"] = "signal.detected"
    version: Literal[1] = 1
    client_id: UUID
    kind: SignalKind
    severity: Severity
    observed_at: AwareDatetime = Field(description="occurred_at of the trigger; for missed check-ins the deadline")
    detected_at: AwareDatetime = Field(description="processing time")
    trigger_event_ids: list[UUID] = Field(default_factory=list)
    evidence: dict[str, Any] = Field(default_factory=dict)
    summary: str = Field(min_length=1, max_length=500)

    def to_kafka(self) -> tuple[bytes, bytes]:
        return str(self.client_id).encode(), self.model_dump_json().encode()
