"""`alert.*` v1 lifecycle events on `rapport.alerts.v1`: one per alert state change."""

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.signal import Severity, SignalKind


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertTransition(StrEnum):
    OPENED = "opened"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


class AlertEvent(BaseModel):
    """One step in an alert's life: opened by the notifier, acknowledged/resolved by a therapist."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: UUID = Field(description="unique per transition; deterministic for `opened`")
    type: Literal["alert.lifecycle"] = "alert.lifecycle"
    version: Literal[1] = 1
    alert_id: UUID
    signal_id: UUID
    client_id: UUID
    kind: SignalKind
    severity: Severity
    transition: AlertTransition
    state: AlertState = Field(description="the alert's state after this transition")
    actor: str = Field(description="therapist id, or 'system' for the notifier")
    occurred_at: AwareDatetime
    recipients: list[UUID] = Field(default_factory=list, description="therapists this step is pushed to")
    note: str | None = Field(default=None, max_length=2000, repr=False)
    summary: str = ""

    def to_kafka(self) -> tuple[bytes, bytes]:
        return str(self.client_id).encode(), self.model_dump_json().encode()
