"""Settings of `rapport notifier`; `RAPPORT_NOTIFIER_*` plus the shared Kafka and database parts."""

from datetime import timedelta

from pydantic import Field, model_validator

from schemas.signal import Severity
from services.common.alerts import DEFAULT_ROUTES, Role
from services.common.settings import DatabaseSettings, KafkaSettings, service_config
from services.notifier.core import PolicyConfig, QuietHours


class NotifierSettings(KafkaSettings, DatabaseSettings):
    """The alert policy, the escalation timer loop, the webhook channel and the health endpoint."""

    model_config = service_config("RAPPORT_NOTIFIER_")

    host: str = Field("127.0.0.1", description="interface of the /healthz, /readyz and /metrics endpoint")
    port: int = Field(8083, ge=0, le=65535, description="port of the /healthz, /readyz and /metrics endpoint")
    group_id: str = Field("rapport-notifier", description="Kafka consumer group over rapport.signals.v1")
    escalation_after_s: float = Field(900, gt=0, description="unacknowledged critical alerts escalate after this")
    escalation_poll_s: float = Field(1.0, gt=0, description="how often the durable escalation timers are checked")
    routes: dict[Severity, list[Role]] = Field(
        default_factory=dict,
        description='care-team roles an alert is pushed to, per severity, as JSON, e.g. {"high": ["primary", "member"]};'
                    ' unset severities keep the default (critical: primary+member, others: primary)',
    )
    cooldown_high_s: float = Field(86_400, ge=0, description="a repeat high signal (client, kind) inside this is suppressed")
    cooldown_medium_s: float = Field(259_200, ge=0, description="the same for medium signals (default 72 h)")
    quiet_hours: str = Field("", description="e.g. '22:00-07:00': pages of non-critical alerts wait until the end; empty = none")
    quiet_hours_timezone: str = Field("UTC", description="IANA zone the quiet hours are counted in")
    webhook_url: str = Field("", description="POST every pushed alert step here (paging/e-mail bridge); empty = off")
    webhook_secret: str = Field("", repr=False, description="HMAC-SHA256 key signing webhook payloads")
    webhook_max_attempts: int = Field(8, ge=1, description="deliveries failing this often are marked failed")
    webhook_backoff_initial_s: float = Field(1.0, gt=0, description="first retry delay; doubles per attempt")
    webhook_backoff_max_s: float = Field(300.0, gt=0, description="longest delay between webhook attempts")
    webhook_poll_s: float = Field(1.0, gt=0, description="how often due webhook deliveries are looked for")
    webhook_timeout_s: float = Field(5.0, gt=0, description="per-request timeout of a webhook POST")

    @model_validator(mode="after")
    def _webhooks_are_signed(self) -> "NotifierSettings":
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("RAPPORT_NOTIFIER_WEBHOOK_SECRET is required when RAPPORT_NOTIFIER_WEBHOOK_URL is set")
        self.policy()  # fail at start-up on bad quiet hours, not at the first signal
        return self

    def policy(self) -> PolicyConfig:
        """The pure policy's configuration from these settings."""
        return PolicyConfig(
            escalation_after=timedelta(seconds=self.escalation_after_s),
            routes=DEFAULT_ROUTES | {severity: tuple(roles) for severity, roles in self.routes.items()},
            cooldowns={Severity.HIGH: timedelta(seconds=self.cooldown_high_s),
                       Severity.MEDIUM: timedelta(seconds=self.cooldown_medium_s)},
            quiet_hours=QuietHours.parse(self.quiet_hours, self.quiet_hours_timezone),
        )
