"""Settings of `rapport gateway`; `RAPPORT_GATEWAY_*` plus the shared Kafka, database and auth parts."""

from pydantic import BaseModel, Field

from services.common.auth import AuthSettings
from services.common.settings import DatabaseSettings, KafkaSettings, service_config


class CrisisLine(BaseModel):
    """One crisis service a client can reach at once."""

    name: str
    phone: str | None = None
    text: str | None = Field(None, description="SMS short code or instructions, when the service takes texts")
    url: str | None = None
    hours: str = "24/7"


def _default_crisis_lines() -> dict[str, list[CrisisLine]]:
    # Defaults only: every deployment must check these against its own region and clinical governance.
    return {
        "US": [CrisisLine(name="988 Suicide & Crisis Lifeline", phone="988", text="988",
                          url="https://988lifeline.org")],
        "CA": [CrisisLine(name="9-8-8 Suicide Crisis Helpline", phone="988", text="988", url="https://988.ca")],
        "GB": [CrisisLine(name="Samaritans", phone="116 123", url="https://www.samaritans.org"),
               CrisisLine(name="Shout", text="Text SHOUT to 85258", url="https://giveusashout.org")],
        "IE": [CrisisLine(name="Samaritans Ireland", phone="116 123", url="https://www.samaritans.ie")],
        "DE": [CrisisLine(name="TelefonSeelsorge", phone="0800 111 0 111", url="https://www.telefonseelsorge.de")],
        "AT": [CrisisLine(name="TelefonSeelsorge", phone="142", url="https://www.telefonseelsorge.at")],
        "FR": [CrisisLine(name="3114 Numéro national de prévention du suicide", phone="3114", url="https://3114.fr")],
        "NL": [CrisisLine(name="113 Zelfmoordpreventie", phone="0800 0113", url="https://www.113.nl")],
        "AU": [CrisisLine(name="Lifeline", phone="13 11 14", text="0477 13 11 14", url="https://www.lifeline.org.au")],
        "NZ": [CrisisLine(name="Need to talk?", phone="1737", text="1737", url="https://1737.org.nz")],
        "*": [CrisisLine(name="Local emergency services", phone="112",
                         url="https://findahelpline.com", hours="24/7; in the US and Canada call 911")],
    }


class GatewaySettings(KafkaSettings, DatabaseSettings):
    """Where the gateway listens, how it authenticates apps and how it protects Kafka."""

    model_config = service_config("RAPPORT_GATEWAY_")

    host: str = Field("127.0.0.1", description="interface the HTTP server binds to")
    port: int = Field(8080, ge=0, le=65535, description="HTTP port of the API")
    auth: AuthSettings = Field(default_factory=AuthSettings, description="token verification (RAPPORT_AUTH_*)")
    auth_required: bool = Field(
        True, description="require a client bearer token whose subject is the client_id; false only for local demos"
    )
    max_body_bytes: int = Field(1_048_576, ge=1024, description="larger request bodies get 413")
    batch_max_items: int = Field(500, ge=1, le=500, description="most check-ins in one POST /v1/checkins:batch")
    kafka_ack_timeout_s: float = Field(
        5.0, gt=0, description="how long to wait for Kafka to acknowledge a write before answering 503"
    )
    unavailable_retry_after_s: int = Field(5, ge=1, description="Retry-After of a 503 when Kafka is unavailable")
    rate_limit_per_minute: float = Field(60, gt=0, description="sustained check-ins per client per minute")
    rate_limit_burst: int = Field(
        600, ge=1, description="check-ins a client may send at once (an offline phone syncing a backlog)"
    )
    idempotency_cache_size: int = Field(
        100_000, ge=0, description="accepted event ids remembered per instance; older repeats rely on idempotent sinks"
    )
    crisis_lines: dict[str, list[CrisisLine]] = Field(
        default_factory=_default_crisis_lines,
        description="crisis lines per ISO 3166 country code; '*' is the fallback for any other region",
    )
