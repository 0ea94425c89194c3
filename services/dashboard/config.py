"""Settings of `rapport dashboard`; `RAPPORT_DASHBOARD_*` plus the shared Kafka, database and auth parts."""

from pydantic import Field

from services.common.auth import AuthSettings
from services.common.settings import DatabaseSettings, KafkaSettings, service_config


class DashboardSettings(KafkaSettings, DatabaseSettings):
    """Where the dashboard listens, how it signs therapists in and how its live stream behaves."""

    model_config = service_config("RAPPORT_DASHBOARD_")

    host: str = Field("127.0.0.1", description="interface the HTTP server binds to")
    port: int = Field(8090, ge=0, le=65535, description="HTTP port of the API, the stream and the web page")
    auth: AuthSettings = Field(
        default_factory=AuthSettings,
        description="token verification (RAPPORT_AUTH_*): HS256 dev tokens, or an OIDC provider's JWKS in production",
    )
    cookie_secure: bool = Field(False, description="mark the sign-in cookie Secure (set true behind HTTPS)")
    cookie_max_age_s: int = Field(12 * 3600, ge=60, description="how long the sign-in cookie lives")
    heartbeat_s: float = Field(15.0, gt=0, description="seconds between SSE comment heartbeats")
    care_team_ttl_s: float = Field(10.0, ge=0, description="how long a therapist's care-team membership is cached")
    resume_margin_s: float = Field(
        60.0, ge=0, description="on Last-Event-ID resume, replay this much earlier too (late commits); the page dedups"
    )
    stream_queue_size: int = Field(1000, ge=10, description="events buffered per open stream before it is dropped")
    live_updates: bool = Field(True, description="consume rapport.alerts.v1 and rapport.checkins.v1 for /api/stream")
