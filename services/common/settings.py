"""Typed settings parts that every service composes into its own pydantic-settings class.

Shared connection settings use the plain names ops teams expect (`KAFKA_BOOTSTRAP_SERVERS`,
`DATABASE_URL`); everything service-specific carries the service's own prefix, e.g.
`RAPPORT_GATEWAY_PORT`. `.rapport/stack.env`, written by `rapport stack up`, is read last,
so the environment always wins.
"""

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

STACK_ENV_FILE = ".rapport/stack.env"


def service_config(prefix: str) -> SettingsConfigDict:
    """The settings config every service uses: its env prefix plus the local stack's env file."""
    return SettingsConfigDict(env_prefix=prefix, env_file=STACK_ENV_FILE, extra="ignore")


def _plain(name: str):
    return AliasChoices(name, name.lower())


class KafkaSettings(BaseSettings):
    """How to reach Kafka; security settings are passed through to aiokafka and faust."""

    model_config = service_config("")

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=_plain("KAFKA_BOOTSTRAP_SERVERS"), description="host:port[,host:port]"
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias=_plain("KAFKA_SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        None, validation_alias=_plain("KAFKA_SASL_MECHANISM")
    )
    kafka_sasl_username: str | None = Field(None, validation_alias=_plain("KAFKA_SASL_USERNAME"))
    kafka_sasl_password: str | None = Field(None, validation_alias=_plain("KAFKA_SASL_PASSWORD"), repr=False)
    kafka_ssl_cafile: str | None = Field(None, validation_alias=_plain("KAFKA_SSL_CAFILE"))
    kafka_partitions: int = Field(6, ge=1, validation_alias=_plain("KAFKA_PARTITIONS"), description="for topic creation")
    kafka_fetch_max_wait_ms: int = Field(
        50, ge=1, validation_alias=_plain("KAFKA_FETCH_MAX_WAIT_MS"),
        description="longest a fetch waits for new records; Tansu answers only when it runs out, so keep it short",
    )
    kafka_session_timeout_ms: int = Field(
        10_000, ge=1000, validation_alias=_plain("KAFKA_SESSION_TIMEOUT_MS"),
        description="consumer group session timeout; lower means faster failover and faster joins",
    )


class DatabaseSettings(BaseSettings):
    """How to reach PostgreSQL."""

    model_config = service_config("")

    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/rapport",
        validation_alias=_plain("DATABASE_URL"),
        description="postgresql:// URL; the asyncpg driver is added automatically",
        repr=False,
    )
    database_pool_size: int = Field(5, ge=1, validation_alias=_plain("DATABASE_POOL_SIZE"))


class HttpSettings(BaseSettings):
    """Where a service's HTTP endpoint (API or health/metrics) listens."""

    host: str = "127.0.0.1"
    port: int = 8000
