"""Kafka plumbing: client options, topics, the producer, the dead-letter topic and the shared consumer loop."""

import asyncio
import logging
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError

from schemas.topics import ALL_TOPICS, DLQ
from services.common.metrics import REGISTRY
from services.common.settings import KafkaSettings

log = logging.getLogger(__name__)

DLQ_REASON = "rapport.dlq.reason"
DLQ_TOPIC = "rapport.dlq.topic"
DLQ_PARTITION = "rapport.dlq.partition"
DLQ_OFFSET = "rapport.dlq.offset"
DLQ_SERVICE = "rapport.dlq.service"

dlq_total = REGISTRY.counter("rapport_dlq_records_total", "records sent to the dead-letter topic", ["service"])


def client_options(settings: KafkaSettings) -> dict:
    """Connection and security options shared by every aiokafka client."""
    options: dict = {
        "bootstrap_servers": settings.kafka_bootstrap_servers.split(","),
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password
    return options


async def ensure_topics(settings: KafkaSettings, topics: Sequence[str] = ALL_TOPICS) -> list[str]:
    """Create missing topics with the configured partition count; return the ones created."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics([NewTopic(t, settings.kafka_partitions, 1) for t in missing])
            except TopicAlreadyExistsError:
                pass
        return missing
    finally:
        await admin.close()


def make_producer(settings: KafkaSettings, **overrides) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas; no idempotence (the sinks are idempotent instead)."""
    options = {"acks": "all", "enable_idempotence": False, "linger_ms": 2, "request_timeout_ms": 10_000}
    options.update(overrides)
    return AIOKafkaProducer(**client_options(settings), **options)


async def send_to_dlq(producer: AIOKafkaProducer, record: ConsumerRecord, reason: str, service: str) -> None:
    """Publish an unusable record to the dead-letter topic with its reason and origin in headers."""
    headers = [
        (DLQ_REASON, reason[:1000].encode()),
        (DLQ_TOPIC, record.topic.encode()),
        (DLQ_PARTITION, str(record.partition).encode()),
        (DLQ_OFFSET, str(record.offset).encode()),
        (DLQ_SERVICE, service.encode()),
    ]
    await producer.send_and_wait(DLQ, record.value, key=record.key, headers=headers)
    dlq_total.inc(service=service)
    log.warning(
        "dead-lettered record",
        extra={"topic": record.topic, "partition": record.partition, "offset": record.offset, "reason": reason[:200]},
    )


class PoisonRecord(Exception):
    """Raised by a handler for a record that can never be processed; it goes to the DLQ."""


@dataclass
class BatchLimits:
    max_records: int = 500
    max_wait_ms: int = 200
    retry_initial_s: float = 0.5
    retry_max_s: float = 15.0
    # Batches handled at once. Above 1 the next batch is fetched and handled while the previous one finishes
    # (its last write, its commit): only for a handler that may run twice concurrently and whose sink does not
    # care in which order two batches become durable. Offsets are still committed in batch order.
    in_flight: int = 1


BatchHandler = Callable[[list[ConsumerRecord]], Awaitable[None]]


class ConsumerLoop:
    """At-least-once consumer: fetch a batch, let the handler make it durable, then commit offsets.

    A handler failure is treated as transient (database down, broker hiccup): the loop backs off
    and retries the same batch, so nothing is lost or skipped. Records the handler cannot ever use
    must be dead-lettered by the handler itself (see `send_to_dlq`), which keeps the partition moving.
    """

    def __init__(
        self,
        name: str,
        settings: KafkaSettings,
        topics: Sequence[str],
        group_id: str,
        handler: BatchHandler,
        limits: BatchLimits | None = None,
    ):
        self.name = name
        self.settings = settings
        self.topics = list(topics)
        self.group_id = group_id
        self.handler = handler
        self.limits = limits or BatchLimits()
        self.consumer: AIOKafkaConsumer | None = None
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()
        self.records_total = REGISTRY.counter(
            "rapport_consumed_records_total", "records processed and committed", ["service"]
        )
        self.retries_total = REGISTRY.counter("rapport_batch_retries_total", "batches retried after a failure", ["service"])
        self.lag = REGISTRY.gauge("rapport_consumer_lag", "records behind the end of the assigned partitions", ["service"])

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            *self.topics,
            **client_options(self.settings),
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
            fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
            heartbeat_interval_ms=max(self.settings.kafka_session_timeout_ms // 5, 500),
            max_poll_records=self.limits.max_records,
        )
        await self.consumer.start()

    def stop(self) -> None:
        """Ask the loop to finish the batch in flight, commit it and return."""
        self._stopping.set()

    async def close(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None

    async def run(self) -> None:
        """Fetch and handle batches until stopped; each batch's offsets are committed once it is durable, in order.

        With `limits.in_flight` above 1 a new batch is handed to the handler while earlier ones are finishing;
        a batch is committed only when it and every batch before it succeeded.
        """
        assert self.consumer is not None, "call start() first"
        in_flight: deque[tuple[list[ConsumerRecord], asyncio.Task]] = deque()
        try:
            while not self._stopping.is_set():
                batches = await self.consumer.getmany(timeout_ms=self.limits.max_wait_ms,
                                                      max_records=self.limits.max_records)
                if self.consumer.assignment():
                    self.ready.set()
                records = [r for part in batches.values() for r in part]
                if records:
                    in_flight.append((records, asyncio.ensure_future(self._handle_until_done(records))))
                # Finish the oldest batch when the window is full, when it is done already, or when the topic is
                # quiet (nothing new to overlap with: its offsets should not wait for the next record).
                while in_flight and (len(in_flight) >= self.limits.in_flight or not records or in_flight[0][1].done()):
                    if not await self._finish(*in_flight.popleft()):
                        return
            while in_flight:  # stopping: finish and commit what was handed out, in order
                if not await self._finish(*in_flight.popleft()):
                    return
        finally:
            await cancel_all([task for _, task in in_flight])  # after a batch that never succeeded: not committed

    async def _finish(self, records: list[ConsumerRecord], handling: asyncio.Task) -> bool:
        """Wait for one batch; commit it when it succeeded. False: stopping while it still failed."""
        if not await handling:
            return False  # leave it uncommitted, and every batch after it: the next owner re-reads them
        await self._commit(records)
        self.records_total.inc(len(records), service=self.name)
        await self._update_lag()
        return True

    async def _handle_until_done(self, records: list[ConsumerRecord]) -> bool:
        """True once the handler succeeded; False when asked to stop while the batch still fails."""
        delay = self.limits.retry_initial_s
        while True:
            try:
                await self.handler(records)
                return True
            except Exception as exc:  # noqa: BLE001 - every failure is retried; poison records are DLQ'd by handlers
                self.retries_total.inc(service=self.name)
                log.warning("batch failed, retrying", extra={"records": len(records), "error": type(exc).__name__,
                                                             "retry_in_s": round(delay, 2), "detail": str(exc)[:300]})
                try:  # back off, but a SIGTERM during an outage must not wait for the database to return
                    await asyncio.wait_for(self._stopping.wait(), delay)
                    return False
                except TimeoutError:
                    delay = min(delay * 2, self.limits.retry_max_s)

    async def _commit(self, records: list[ConsumerRecord]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            offsets[tp] = max(offsets.get(tp, -1), r.offset + 1)
        owned = self.consumer.assignment()
        offsets = {tp: o for tp, o in offsets.items() if tp in owned}
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partitions away; the new owner re-reads them and the sinks are idempotent.
            log.info("commit skipped after rebalance", extra={"error": type(exc).__name__})

    async def _update_lag(self) -> None:
        total = 0
        for tp in self.consumer.assignment():
            highwater = self.consumer.highwater(tp)
            if highwater is not None:
                total += max(highwater - await self.consumer.position(tp), 0)
        self.lag.set(total, service=self.name)


async def cancel_all(tasks: list[asyncio.Task]) -> None:
    """Cancel the tasks and wait until each has ended, whatever it raised."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def wait_for_broker(settings: KafkaSettings, timeout_s: float = 30.0) -> None:
    """Wait until the broker answers a metadata request, or raise with what was tried."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(**client_options(settings), request_timeout_ms=3000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except Exception as exc:  # noqa: BLE001
            last = exc
            await asyncio.sleep(0.3)
        finally:
            await admin.close()
    raise RuntimeError(f"Kafka at {settings.kafka_bootstrap_servers} did not answer within {timeout_s:.0f}s: {last!r}")
