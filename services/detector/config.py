"""Settings of `rapport detector`: `RAPPORT_DETECTOR_*` plus the shared Kafka part."""

from pathlib import Path

from pydantic import Field

from services.common.settings import KafkaSettings, service_config


class DetectorSettings(KafkaSettings):
    """Where the worker's web server listens, where thresholds come from and how often the live clock ticks."""

    model_config = service_config("RAPPORT_DETECTOR_")

    app_id: str = Field(
        "rapport-detector",
        description="faust app id: the consumer group and the prefix of the state changelog topic; change it only "
        "to run a detector that must not share state with the deployed one (tests, a blue/green cut-over)",
    )
    web_host: str = Field("127.0.0.1", description="interface of /healthz and /metrics (faust's web server)")
    web_port: int = Field(8081, ge=0, le=65535, description="port of /healthz and /metrics")
    config_file: Path | None = Field(None, description="TOML file of rule thresholds and per-client overrides")
    clock_interval_s: float = Field(60.0, gt=0, description="how often the live clock checks missed check-ins")
    data_dir: Path = Field(Path(".rapport/detector"), description="faust's data directory (tables live in memory)")
    log_level: str = Field("INFO", description="log level of the JSON logs")
    recovery_consistency_check: bool = Field(
        True,
        description="faust's check that a table's offset is not past its changelog's end; the embedded Tansu "
        "broker reports the end as the start of the last batch, so the local stack turns it off",
    )
