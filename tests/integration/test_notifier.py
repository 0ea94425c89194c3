"""The notifier on the real broker and PostgreSQL: one alert per signal, routing, cooldown, escalation, DLQ."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from schemas.signal import Severity, SignalDetected, SignalKind, signal_id_for
from schemas.topics import ALERTS, DLQ, SIGNALS
from services.common.db import make_engine
from services.common.kafka import DLQ_REASON, make_producer
from services.common.tables import alert_events, alerts, care_team_members, clients, therapists
from tests.helpers import ServiceProcess, TopicRecorder, wait_until

pytestmark = pytest.mark.integration

ESCALATION_AFTER_S = 2


@pytest.fixture(scope="module")
def notifier_env(service_env, tmp_path_factory) -> dict[str, str]:
    from services.common.stack import free_port

    return service_env | {
        "RAPPORT_NOTIFIER_PORT": str(free_port()),
        "RAPPORT_NOTIFIER_ESCALATION_AFTER_S": str(ESCALATION_AFTER_S),
        "RAPPORT_NOTIFIER_ESCALATION_POLL_S": "0.2",
        "RAPPORT_NOTIFIER_GROUP_ID": f"rapport-notifier-test-{uuid.uuid4().hex[:6]}",
    }


def start_notifier(env: dict[str, str], log_dir) -> ServiceProcess:
    return ServiceProcess(["notifier"], env, log_dir, f"http://127.0.0.1:{env['RAPPORT_NOTIFIER_PORT']}/healthz").start()


@pytest.fixture(scope="module")
async def notifier(notifier_env, tmp_path_factory):
    proc = start_notifier(notifier_env, tmp_path_factory.mktemp("notifier-logs"))
    try:
        await proc.wait_healthy(timeout=60)
        await proc.wait_ready(f"http://127.0.0.1:{notifier_env['RAPPORT_NOTIFIER_PORT']}/readyz", timeout=60)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
async def engine(database_settings):
    engine = make_engine(database_settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def producer(kafka_settings):
    producer = make_producer(kafka_settings)
    await producer.start()
    yield producer
    await producer.stop()


async def seed_team(engine, roles=("primary", "member", "escalation")) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    """A new client with one therapist per role (direct inserts), plus an outsider therapist."""
    client_id = uuid.uuid4()
    team = {role: uuid.uuid4() for role in (*roles, "outsider")}
    async with engine.begin() as conn:
        await conn.execute(insert(clients).values(client_id=client_id, display_name="Client N"))
        for role, therapist_id in team.items():
            await conn.execute(insert(therapists).values(therapist_id=therapist_id, display_name=f"Dr. {role}"))
            if role != "outsider":
                await conn.execute(insert(care_team_members).values(client_id=client_id, therapist_id=therapist_id, role=role))
    return client_id, team


def make_signal(client_id, kind: SignalKind, severity: Severity, observed_at: datetime | None = None) -> SignalDetected:
    trigger = uuid.uuid4()
    now = datetime.now(UTC)
    return SignalDetected(signal_id=signal_id_for(client_id, kind, [trigger]), client_id=client_id, kind=kind,
                          severity=severity, observed_at=observed_at or now, detected_at=now,
                          trigger_event_ids=[trigger], summary=f"test {kind.value}")


async def send(producer, signal: SignalDetected) -> None:
    key, value = signal.to_kafka()
    await producer.send_and_wait(SIGNALS, value, key=key)


async def alert_rows(engine, client_id) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(select(alerts).where(alerts.c.client_id == client_id).order_by(alerts.c.observed_at))).all()


async def event_rows(engine, client_id, transition: str) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(select(alert_events).where(alert_events.c.client_id == client_id,
                                                              alert_events.c.transition == transition))).all()


def of_client(client_id, transition: str | None = None):
    return lambda v: v.get("client_id") == str(client_id) and (transition is None or v.get("transition") == transition)


async def test_a_critical_signal_delivered_three_times_opens_one_alert_for_the_care_team(notifier, engine, producer, kafka_settings):
    client_id, team = await seed_team(engine)
    signal = make_signal(client_id, SignalKind.RISK_ACUTE, Severity.CRITICAL)
    marker = make_signal(client_id, SignalKind.RISK_LANGUAGE, Severity.HIGH)
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        for _ in range(3):
            await send(producer, signal)
        await send(producer, marker)  # same partition, so it is processed after the three copies
        await recorder.expect(lambda v: v.get("signal_id") == str(marker.signal_id), reason="the marker's alert")
        opened = recorder.values(lambda v: v.get("signal_id") == str(signal.signal_id))

    rows = [r for r in await alert_rows(engine, client_id) if r.signal_id == signal.signal_id]
    assert len(rows) == 1 and rows[0].state == "open" and rows[0].delivery == "push"
    assert len(await event_rows(engine, client_id, "opened")) == 2  # the critical alert and the marker's
    assert len({e["event_id"] for e in opened}) == 1, "a redelivered signal republishes the same step"
    assert opened[0]["alert_id"] == str(rows[0].alert_id) and opened[0]["severity"] == "critical"
    assert set(opened[0]["recipients"]) == {str(team["primary"]), str(team["member"])}, "critical: every clinician"
    assert rows[0].escalate_at is not None


async def test_routing_reaches_only_the_care_team(notifier, engine, producer, kafka_settings):
    client_id, team = await seed_team(engine, roles=("primary", "member"))
    signal = make_signal(client_id, SignalKind.ALLIANCE_RUPTURE, Severity.HIGH)
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        await send(producer, signal)
        [event] = await recorder.expect(of_client(client_id, "opened"), reason="the high alert")
    assert event["recipients"] == [str(team["primary"])], "high: the primary therapist only"
    assert str(team["outsider"]) not in event["recipients"]


async def test_cooldown_suppresses_a_repeat_medium_signal_inside_its_window(notifier, engine, producer, kafka_settings):
    client_id, team = await seed_team(engine)
    first_at = datetime.now(UTC) - timedelta(days=2)
    first = make_signal(client_id, SignalKind.RESILIENCE_LOW, Severity.MEDIUM, observed_at=first_at)
    repeat = make_signal(client_id, SignalKind.RESILIENCE_LOW, Severity.MEDIUM, observed_at=first_at + timedelta(hours=48))
    later = make_signal(client_id, SignalKind.RESILIENCE_LOW, Severity.MEDIUM, observed_at=first_at + timedelta(hours=73))
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        for signal in (first, repeat, later):
            await send(producer, signal)
        events = await recorder.expect(of_client(client_id, "opened"), count=3, reason="three opened steps")
    delivery = {r.signal_id: r.delivery for r in await alert_rows(engine, client_id)}
    assert delivery == {first.signal_id: "push", repeat.signal_id: "suppressed", later.signal_id: "push"}
    recipients = {e["signal_id"]: e["recipients"] for e in events}
    assert recipients[str(repeat.signal_id)] == [] and recipients[str(later.signal_id)] == [str(team["primary"])]


async def test_low_signals_go_to_the_digest(notifier, engine, producer, kafka_settings):
    client_id, _ = await seed_team(engine)
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        await send(producer, make_signal(client_id, SignalKind.ENGAGEMENT_MISSED_CHECKINS, Severity.LOW))
        [event] = await recorder.expect(of_client(client_id, "opened"), reason="the low alert")
    assert event["recipients"] == []
    assert [r.delivery for r in await alert_rows(engine, client_id)] == ["digest"]


async def test_an_unacknowledged_critical_alert_escalates_to_the_escalation_contact(notifier, engine, producer, kafka_settings):
    client_id, team = await seed_team(engine)
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        await send(producer, make_signal(client_id, SignalKind.RISK_ACUTE, Severity.CRITICAL))
        [opened] = await recorder.expect(of_client(client_id, "opened"), reason="the critical alert")
        [escalated] = await recorder.expect(of_client(client_id, "escalated"), timeout=30, reason="the escalation")
    delay = datetime.fromisoformat(escalated["occurred_at"]) - datetime.fromisoformat(opened["occurred_at"])
    assert timedelta(seconds=ESCALATION_AFTER_S) <= delay < timedelta(seconds=ESCALATION_AFTER_S + 10)
    assert escalated["recipients"] == [str(team["escalation"])]
    [row] = await alert_rows(engine, client_id)
    assert row.escalated_at is not None and row.state == "open"


async def test_an_invalid_signal_goes_to_the_dead_letter_topic(notifier, producer, kafka_settings):
    client_id = uuid.uuid4()
    async with TopicRecorder(kafka_settings, DLQ) as recorder:
        await producer.send_and_wait(SIGNALS, b'{"client_id": "%s", "kind": "nonsense"}' % str(client_id).encode(),
                                     key=str(client_id).encode())
        await recorder.expect(lambda v: v.get("client_id") == str(client_id), reason="the bad signal on the DLQ")
        [headers] = recorder.headers_of(lambda v: v.get("client_id") == str(client_id))
    assert "kind" in headers[DLQ_REASON] and "signal_id" in headers[DLQ_REASON]
