"""Which dead-lettered records to replay, from their DLQ headers and timestamp (pure: no Kafka, no clock)."""

from dataclasses import dataclass
from datetime import datetime

from schemas.topics import DLQ
from services.common.kafka import DLQ_OFFSET, DLQ_PARTITION, DLQ_REASON, DLQ_TOPIC


@dataclass(frozen=True)
class Origin:
    """Where a dead-lettered record came from and why it was dead-lettered."""

    topic: str
    partition: str
    offset: str
    reason: str


@dataclass(frozen=True)
class ReplayFilter:
    """Which dead-lettered records to replay; every condition left as None matches all."""

    topic: str | None = None
    reason_contains: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def origin_of(self, headers: dict[str, str], timestamp_ms: int) -> Origin | None:
        """The record's origin when it should be replayed, else None (filtered out or no origin header)."""
        origin = Origin(headers.get(DLQ_TOPIC, ""), headers.get(DLQ_PARTITION, "?"),
                        headers.get(DLQ_OFFSET, "?"), headers.get(DLQ_REASON, ""))
        if not origin.topic or origin.topic == DLQ:
            return None
        if self.topic and origin.topic != self.topic:
            return None
        if self.reason_contains and self.reason_contains.lower() not in origin.reason.lower():
            return None
        if self.since and timestamp_ms < self.since.timestamp() * 1000:
            return None
        if self.until and timestamp_ms >= self.until.timestamp() * 1000:
            return None
        return origin
