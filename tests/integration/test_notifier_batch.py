"""The notifier's batch path on the real broker and PostgreSQL: a burst of signals is a handful of statements,
decides exactly as one signal at a time would, and stays idempotent; a refused signal still reaches the DLQ."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import event, func, select

from schemas.signal import Severity, SignalKind
from schemas.topics import ALERTS, DLQ
from services.common.kafka import DLQ_REASON, client_options, ensure_topics
from services.common.tables import alert_events, alerts, signals
from services.notifier.adapters.store import AlertStore
from services.notifier.core import AlertPolicy
from services.notifier.handler import SignalHandler
from tests.helpers import TopicRecorder, wait_until
from tests.integration.test_notifier_support import (  # noqa: F401 - fixtures
    engine, make_signal, notifier_database_url, seed_team,
)

pytestmark = pytest.mark.integration

SEVERITIES = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO]
KINDS = [SignalKind.RESILIENCE_LOW, SignalKind.ALLIANCE_RUPTURE]


@pytest.fixture
def statements(engine):
    """The SQL statements the engine sends, in order (BEGIN/COMMIT are not statements here)."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine.sync_engine, "before_cursor_execute", record)


def burst_for(clients: list[uuid.UUID], start: datetime) -> list:
    """Ten signals per client, mixed severities and kinds, some close enough in event time to cool down."""
    return [make_signal(client_id, KINDS[i % 2], SEVERITIES[i % 5], observed_at=start + timedelta(hours=10 * i))
            for client_id in clients for i in range(10)]


async def counts(engine, clients) -> tuple[int, int, int]:
    async with engine.connect() as conn:
        return tuple([await conn.scalar(select(func.count()).select_from(table).where(table.c.client_id.in_(clients)))
                      for table in (signals, alerts, alert_events)])


async def test_a_burst_in_one_batch_is_a_few_statements_and_decides_as_one_by_one(engine, statements):
    store, policy, now = AlertStore(engine), AlertPolicy(), datetime.now(UTC)
    start = now - timedelta(days=30)
    batched_clients = [(await seed_team(engine))[0] for _ in range(20)]
    serial_clients = [(await seed_team(engine))[0] for _ in range(20)]
    burst = burst_for(batched_clients, start)

    statements.clear()
    async with store.transaction() as conn:
        opened = await store.open_alerts(conn, burst + burst[:50], policy, now)  # copies in the same batch, too
    assert len(statements) <= 6, statements  # signals, stored steps, care teams, nearest pushes, alerts, steps
    assert [e.signal_id for e, _ in opened] == [s.signal_id for s in burst]
    assert all(decision is not None for _, decision in opened)
    assert await counts(engine, batched_clients) == (200, 200, 200)

    async with store.transaction() as conn:  # the same signals one at a time, for other clients
        serial = [await store.open_alert(conn, s, policy, now) for s in burst_for(serial_clients, start)]
    batched_deliveries = [d.delivery for _, d in opened]
    assert batched_deliveries == [d.delivery for _, d in serial]
    assert {"push", "suppressed", "digest"} == {d.value for d in batched_deliveries}, "the burst exercises cooldowns"
    assert [len(d.recipients) for _, d in opened] == [len(d.recipients) for _, d in serial]

    statements.clear()
    async with store.transaction() as conn:  # redelivery of the whole batch
        again = await store.open_alerts(conn, burst, policy, now + timedelta(minutes=5))
    assert len(statements) == 2, statements  # the signal insert (nothing new) and the stored steps
    assert [(e, d) for e, d in again] == [(e, None) for e, _ in opened], "the stored steps, unchanged"
    assert await counts(engine, batched_clients) == (200, 200, 200)


async def test_a_repeat_inside_the_same_batch_is_cooled_down_like_one_sent_later(engine):
    store, now = AlertStore(engine), datetime.now(UTC)
    client_id, team = await seed_team(engine)
    first_at = now - timedelta(days=4)
    first, repeat, later = (make_signal(client_id, SignalKind.RESILIENCE_LOW, Severity.MEDIUM, observed_at=first_at + gap)
                            for gap in (timedelta(0), timedelta(hours=48), timedelta(hours=73)))
    async with store.transaction() as conn:
        opened = await store.open_alerts(conn, [first, repeat, later], AlertPolicy(), now)
    assert [(d.delivery.value, d.recipients) for _, d in opened] == [
        ("push", [team["primary"]]), ("suppressed", []), ("push", [team["primary"]])]


async def records_of(kafka_settings, topic: str, count: int) -> list:
    """Read back `count` records of a private topic as the consumer loop would hand them over."""
    consumer = AIOKafkaConsumer(**client_options(kafka_settings), enable_auto_commit=False,
                                fetch_max_wait_ms=kafka_settings.kafka_fetch_max_wait_ms)
    await consumer.start()
    try:
        partitions = await wait_until(lambda: _value(consumer.partitions_for_topic(topic)), reason=f"{topic} metadata")
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        found: list = []

        async def all_read():
            for part in (await consumer.getmany(timeout_ms=200)).values():
                found.extend(part)
            return len(found) >= count

        await wait_until(all_read, reason=f"{count} records on {topic}")
        return found
    finally:
        await consumer.stop()


async def _value(value):
    return value


async def test_the_handler_opens_a_batch_dead_letters_the_refused_signal_and_redelivery_adds_nothing(
        engine, producer, kafka_settings):
    clients = [(await seed_team(engine))[0] for _ in range(6)]
    good = [make_signal(c, KINDS[i % 2], Severity.HIGH if i % 2 else Severity.LOW) for c in clients for i in range(5)]
    refused = make_signal(clients[0], SignalKind.RISK_LANGUAGE, Severity.HIGH).model_copy(update={"evidence": {"match": "a\x00b"}})
    topic = f"rapport.test.notifier-batch.{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_settings, [topic])
    for signal in good[:15] + [refused] + good[15:]:
        key, value = signal.to_kafka()
        await producer.send(topic, value, key=key)
    await producer.flush()
    records = await records_of(kafka_settings, topic, len(good) + 1)
    handler = SignalHandler(AlertStore(engine), AlertPolicy(), producer)

    wanted = {str(s.signal_id) for s in good}
    async with TopicRecorder(kafka_settings, ALERTS) as steps, TopicRecorder(kafka_settings, DLQ) as dead:
        await handler(records)
        first = await steps.expect(lambda v: v.get("signal_id") in wanted, count=len(good), reason="every good signal's step")
        await dead.expect(lambda v: v.get("signal_id") == str(refused.signal_id), reason="the refused signal on the DLQ")
        await handler(records)  # redelivered: the stored steps again, the refused signal dead-lettered again
        both = await steps.expect(lambda v: v.get("signal_id") in wanted, count=2 * len(good), reason="the steps again")
        [reason, *_] = [h[DLQ_REASON] for h in dead.headers_of(lambda v: v.get("signal_id") == str(refused.signal_id))]
    assert reason.startswith("signal not storable: SQLSTATE 22")
    assert {e["event_id"] for e in both} == {e["event_id"] for e in first} and len({e["event_id"] for e in first}) == len(good)
    assert await counts(engine, clients) == (len(good), len(good), len(good))
