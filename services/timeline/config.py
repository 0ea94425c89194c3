"""Settings of `rapport timeline`; `RAPPORT_TIMELINE_*` plus the shared Kafka and database parts."""

from pydantic import Field

from services.common.settings import DatabaseSettings, KafkaSettings, service_config


class TimelineSettings(KafkaSettings, DatabaseSettings):
    """How the timeline writer consumes, batches and reports its health."""

    model_config = service_config("RAPPORT_TIMELINE_")

    host: str = Field("127.0.0.1", description="interface of the /healthz, /readyz and /metrics endpoint")
    port: int = Field(8082, ge=0, le=65535, description="port of the /healthz, /readyz and /metrics endpoint")
    group_id: str = Field("rapport-timeline", description="Kafka consumer group of the writer")
    batch_max_records: int = Field(1000, ge=1, description="most records written in one transaction")
    chunk_records: int = Field(250, ge=1, description="records per insert statement; the next chunk is decoded "
                                                      "while PostgreSQL inserts the previous one")
    batches_in_flight: int = Field(2, ge=1, le=4, description="batches written at once, on a connection each: the "
                                   "next is decoded while the last rows and the commit of the previous one go in "
                                   "(`rapport timeline rebuild` too)")
    batch_max_wait_ms: int = Field(200, ge=1, description="longest wait for a batch to fill before writing it")
    retry_initial_s: float = Field(0.5, gt=0, description="first back-off after a failed batch (database down)")
    retry_max_s: float = Field(10.0, gt=0, description="longest back-off between retries of a failed batch")
    statement_timeout_ms: int = Field(30_000, ge=100, description="a batch slower than this is aborted and retried")
