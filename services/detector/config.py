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
    batch_max_events: int = Field(
        1000, ge=1, description="most check-ins the agent takes from the stream at once; each client's state is "
        "read and written once per batch, and the batch's signals are acknowledged together",
    )
    batch_wait_ms: int = Field(
        10, ge=1, description="longest the agent waits for a batch to fill; a lone check-in waits this long",
    )
    changelog_flush_ms: int = Field(
        3000, ge=0, description="how often states saved since the last flush go to the changelog and the check-ins "
        "behind them are acked (0: after every batch); a client judged in several batches meanwhile costs one "
        "changelog record, so a backlog drains faster; signals are never held back, and a crash before the flush "
        "redelivers those check-ins (the same signal ids again, which the sinks drop)",
    )
    changelog_flush_caught_up_ms: int = Field(
        250, ge=0, description="how often to flush instead while the worker is caught up (fewer than "
        "BATCH_MAX_EVENTS check-ins behind): a steady stream brings a new client with nearly every check-in, so a "
        "long interval saves little there, and a flush of thousands of records holds up the next check-ins",
    )
    changelog_flush_events: int = Field(
        10_000, ge=1, description="flush sooner once this many check-ins wait for it",
    )
    producer_linger_ms: int = Field(
        0, ge=0, description="how long faust's producer waits to fill a request with changelog records and "
        "signals (0: a request per write, faust's default); 20 drains a backlog about 1.5x faster on Apache Kafka, "
        "but on the embedded Tansu broker changelog batches of several records stall recovery after a restart",
    )
    producer_max_batch_bytes: int = Field(
        16_384, ge=1, description="largest record batch faust's producer builds per partition (faust's default); 1 "
        "makes every record its own batch, which the embedded Tansu broker needs: it reports a changelog's end as "
        "the last batch's first offset, so faust's recovery would stop short of the rest of that batch",
    )
    state_cache_clients: int = Field(
        50_000, ge=0, description="decoded client states kept beside the Table (least recently used out; 0: "
        "none); one is used only while the Table holds the very value it was decoded from",
    )
    data_dir: Path = Field(Path(".rapport/detector"), description="faust's data directory (tables live in memory)")
    log_level: str = Field("INFO", description="log level of the JSON logs")
    recovery_consistency_check: bool = Field(
        True,
        description="faust's check that a table's offset is not past its changelog's end; the embedded Tansu "
        "broker reports the end as the start of the last batch, so the local stack turns it off",
    )
