"""The alert policy: for one signal decide push, digest or suppressed, who is told, and when to escalate.

Defaults follow the product spec: critical goes to every clinician in the care team at once and
escalates to the escalation contact when unacknowledged after 15 minutes; high and medium go to the
primary therapist unless the same (client, kind) was pushed within its cooldown (24 h / 72 h);
low and info go to the daily digest. Quiet hours hold back the page (webhook) of non-critical alerts
until they end, never of critical ones; the alert is in the therapists' inbox at once either way.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from schemas.signal import Severity, SignalDetected
from services.common.alerts import DEFAULT_ROUTES, CareTeam, Role


class Delivery(StrEnum):
    PUSH = "push"
    DIGEST = "digest"
    SUPPRESSED = "suppressed"


class QuietHours(BaseModel):
    """A daily window (may span midnight) in one timezone, e.g. 22:00-07:00 Europe/Berlin."""

    start: time
    end: time
    timezone: str = "UTC"

    @classmethod
    def parse(cls, window: str, timezone: str = "UTC") -> "QuietHours | None":
        """`"22:00-07:00"` -> QuietHours; an empty string -> None (no quiet hours)."""
        if not window.strip():
            return None
        start, end = (time.fromisoformat(part.strip()) for part in window.split("-", 1))
        try:
            ZoneInfo(timezone)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"unknown quiet-hours timezone: {timezone}") from exc
        return cls(start=start, end=end, timezone=timezone)

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(ZoneInfo(self.timezone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_end(self, instant: datetime) -> datetime:
        """The first end of the window after `instant` (when held pushes go out)."""
        zone = ZoneInfo(self.timezone)
        local = instant.astimezone(zone)
        end = datetime.combine(local.date(), self.end, zone)
        return end if end > local else datetime.combine(local.date() + timedelta(days=1), self.end, zone)


def _default_cooldowns() -> dict[Severity, timedelta]:
    return {Severity.HIGH: timedelta(hours=24), Severity.MEDIUM: timedelta(hours=72)}


class PolicyConfig(BaseModel):
    """Everything the policy needs to know; built from the notifier's settings."""

    escalation_after: timedelta = timedelta(minutes=15)
    routes: dict[Severity, tuple[Role, ...]] = Field(default_factory=lambda: dict(DEFAULT_ROUTES),
                                                     description="care-team roles pushed per severity")
    cooldowns: dict[Severity, timedelta] = Field(default_factory=_default_cooldowns)
    push_severities: frozenset[Severity] = frozenset({Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM})
    quiet_hours: QuietHours | None = None


@dataclass(frozen=True)
class Decision:
    """What to do with one signal's alert."""

    delivery: Delivery
    recipients: list[UUID] = field(default_factory=list)
    escalate_at: datetime | None = None
    reason: str = ""
    hold_until: datetime | None = None  # quiet hours: page (webhook) not before this


class AlertPolicy:
    """Pure decisions over a signal, the client's care team, the nearest push of the same kind and `now`."""

    def __init__(self, config: PolicyConfig | None = None):
        self.config = config or PolicyConfig()

    def decide(self, signal: SignalDetected, team: CareTeam, nearest_push_observed_at: datetime | None,
               now: datetime) -> Decision:
        """`nearest_push_observed_at`: observed_at of the pushed alert of this client and kind nearest in event time."""
        severity = signal.severity
        if severity is Severity.CRITICAL:
            return Decision(Delivery.PUSH, team.recipients(severity, self.config.routes),
                            now + self.config.escalation_after, "critical: pushed now, escalation timer set")
        if severity not in self.config.push_severities:
            return Decision(Delivery.DIGEST, reason=f"{severity.value}: daily digest")
        if self._cooling_down(signal, nearest_push_observed_at):
            return Decision(Delivery.SUPPRESSED, reason=f"cooldown for {signal.kind.value}")
        recipients = team.recipients(severity, self.config.routes)
        quiet = self.config.quiet_hours
        if quiet and quiet.contains(now):
            return Decision(Delivery.PUSH, recipients, hold_until=quiet.next_end(now),
                            reason="quiet hours: in the inbox now, paged when they end")
        return Decision(Delivery.PUSH, recipients, reason=f"{severity.value}: pushed")

    def _cooling_down(self, signal: SignalDetected, nearest_push_observed_at: datetime | None) -> bool:
        cooldown = self.config.cooldowns.get(signal.severity)
        if cooldown is None or nearest_push_observed_at is None:
            return False
        # Event time, both ways: offline phones deliver late, and a late signal is as much a repeat.
        return abs(signal.observed_at - nearest_push_observed_at) < cooldown
