"""The notifier on the real broker and PostgreSQL: one alert per signal, routing, cooldown, escalation, DLQ."""

import asyncio
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from schemas.alert import AlertState, AlertTransition
from schemas.signal import Severity, SignalKind
from schemas.topics import ALERTS, DLQ, SIGNALS
from services.common.alerts import AlertNotFound, InvalidTransition, alert_id_for, transition
from services.common.kafka import DLQ_REASON
from services.common.tables import access_audit, alert_events, alerts
from tests.helpers import TopicRecorder, wait_until
from tests.integration.test_notifier_support import (  # noqa: F401 - fixtures
    alert_rows, engine, event_rows, make_signal, notifier_database_url, notifier_env, of_client, seed_team,
    send, start_notifier,
)

pytestmark = pytest.mark.integration

ESCALATION_AFTER_S = 3  # the acknowledge test must act before it: generous on a loaded machine


@pytest.fixture(scope="module")
async def notifier(notifier_env, tmp_path_factory):
    env = notifier_env | {"RAPPORT_NOTIFIER_ESCALATION_AFTER_S": str(ESCALATION_AFTER_S)}
    proc = await start_notifier(env, tmp_path_factory.mktemp("notifier-logs"))
    yield proc
    proc.stop()


async def test_a_critical_signal_delivered_three_times_opens_one_alert_for_the_care_team(notifier, engine, producer, kafka_settings):
    client_id, team = await seed_team(engine)
    signal = make_signal(client_id, SignalKind.RISK_ACUTE, Severity.CRITICAL)
    marker = make_signal(client_id, SignalKind.RISK_LANGUAGE, Severity.HIGH)
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        for _ in range(3):
            await send(producer, signal)
        await send(producer, marker)  # same partition, so it is processed after the three copies
        clinicians = {str(team["primary"]), str(team["member"])}
        # In a full run the e2e system's notifier (another group, another database) publishes the same
        # deterministic step with no recipients: wait for this notifier's, pushed to every clinician at once.
        await recorder.expect(lambda v: v.get("signal_id") == str(signal.signal_id) and set(v["recipients"]) == clinicians,
                              reason="critical: every clinician at once")
        await recorder.expect(lambda v: v.get("signal_id") == str(marker.signal_id), reason="the marker's alert")
        opened = recorder.values(lambda v: v.get("signal_id") == str(signal.signal_id))

    rows = [r for r in await alert_rows(engine, client_id) if r.signal_id == signal.signal_id]
    assert len(rows) == 1 and rows[0].state == "open" and rows[0].delivery == "push"
    assert len(await event_rows(engine, client_id, "opened")) == 2  # the critical alert and the marker's
    assert len({e["event_id"] for e in opened}) == 1, "a redelivered signal republishes the same step"
    assert opened[0]["alert_id"] == str(rows[0].alert_id) and opened[0]["severity"] == "critical"
    [stored] = [e for e in await event_rows(engine, client_id, "opened") if e.alert_id == rows[0].alert_id]
    assert {str(r) for r in stored.recipients} == clinicians
    assert rows[0].escalate_at is not None


async def test_routing_reaches_only_the_care_team(notifier, engine, producer, kafka_settings):
    client_id, team = await seed_team(engine, roles=("primary", "member"))
    signal = make_signal(client_id, SignalKind.ALLIANCE_RUPTURE, Severity.HIGH)
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        await send(producer, signal)
        await recorder.expect(lambda v: of_client(client_id, "opened")(v) and v["recipients"] == [str(team["primary"])],
                              reason="the high alert pushed to the primary therapist only")
        pushed = recorder.values(of_client(client_id))
    assert all(str(team["outsider"]) not in e["recipients"] and str(team["member"]) not in e["recipients"] for e in pushed)
    [stored] = await event_rows(engine, client_id, "opened")
    assert stored.recipients == [team["primary"]]


async def test_cooldown_suppresses_a_repeat_medium_signal_inside_its_window(notifier, engine, producer, kafka_settings):
    client_id, team = await seed_team(engine)
    first_at = datetime.now(UTC) - timedelta(days=2)
    first = make_signal(client_id, SignalKind.RESILIENCE_LOW, Severity.MEDIUM, observed_at=first_at)
    repeat = make_signal(client_id, SignalKind.RESILIENCE_LOW, Severity.MEDIUM, observed_at=first_at + timedelta(hours=48))
    later = make_signal(client_id, SignalKind.RESILIENCE_LOW, Severity.MEDIUM, observed_at=first_at + timedelta(hours=73))
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        for signal in (first, repeat, later):
            await send(producer, signal)
        await recorder.expect(lambda v: v.get("signal_id") == str(later.signal_id), reason="the third opened step")
    delivery = {r.signal_id: r.delivery for r in await alert_rows(engine, client_id)}
    assert delivery == {first.signal_id: "push", repeat.signal_id: "suppressed", later.signal_id: "push"}
    recipients = {e.alert_id: e.recipients for e in await event_rows(engine, client_id, "opened")}
    by_signal = {r.signal_id: recipients[r.alert_id] for r in await alert_rows(engine, client_id)}
    assert by_signal[repeat.signal_id] == [] and by_signal[later.signal_id] == [team["primary"]]


async def test_low_signals_go_to_the_digest(notifier, engine, producer, kafka_settings):
    client_id, _ = await seed_team(engine)
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        await send(producer, make_signal(client_id, SignalKind.ENGAGEMENT_MISSED_CHECKINS, Severity.LOW))
        await recorder.expect(of_client(client_id, "opened"), reason="the low alert")
    assert [r.delivery for r in await alert_rows(engine, client_id)] == ["digest"]
    assert [e.recipients for e in await event_rows(engine, client_id, "opened")] == [[]], "not pushed"


async def test_an_unacknowledged_critical_alert_escalates_to_the_escalation_contact(notifier, engine, producer, kafka_settings):
    client_id, team = await seed_team(engine)
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        await send(producer, make_signal(client_id, SignalKind.RISK_ACUTE, Severity.CRITICAL))
        await recorder.expect(of_client(client_id, "opened"), reason="the critical alert")
        [escalated, *_] = await recorder.expect(of_client(client_id, "escalated"), timeout=30, reason="the escalation")
    assert escalated["recipients"] == [str(team["escalation"])]
    [row] = await alert_rows(engine, client_id)
    assert row.escalated_at is not None and row.state == "open"
    delay = row.escalated_at - row.created_at
    assert timedelta(seconds=ESCALATION_AFTER_S) <= delay < timedelta(seconds=ESCALATION_AFTER_S + 10), delay
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(notifier.health_url.replace("/healthz", "/metrics"))).text
    assert "rapport_notifier_escalations_total" in metrics and "rapport_notifier_escalations_pending" in metrics
    assert 'rapport_notifier_alerts_total{severity="critical",delivery="push"}' in metrics


async def test_an_invalid_signal_goes_to_the_dead_letter_topic(notifier, producer, kafka_settings):
    client_id = uuid.uuid4()
    async with TopicRecorder(kafka_settings, DLQ) as recorder:
        await producer.send_and_wait(SIGNALS, b'{"client_id": "%s", "kind": "nonsense"}' % str(client_id).encode(),
                                     key=str(client_id).encode())
        await recorder.expect(lambda v: v.get("client_id") == str(client_id), reason="the bad signal on the DLQ")
        [headers, *_] = recorder.headers_of(lambda v: v.get("client_id") == str(client_id))
    assert "kind" in headers[DLQ_REASON] and "signal_id" in headers[DLQ_REASON]


async def test_acknowledging_stops_the_escalation_and_the_lifecycle_is_audited(notifier, engine, producer, kafka_settings):
    client_id, team = await seed_team(engine)
    acknowledged, marker = (make_signal(client_id, SignalKind.RISK_ACUTE, Severity.CRITICAL) for _ in range(2))
    await send(producer, acknowledged)
    [row] = await wait_until(lambda: alert_rows(engine, client_id), reason="the first critical alert")
    async with engine.begin() as conn:
        step = await transition(conn, row.alert_id, AlertTransition.ACKNOWLEDGED, team["member"], "calling now")
    assert step.state is AlertState.ACKNOWLEDGED and set(step.recipients) == set(team.values()) - {team["outsider"]}

    await send(producer, marker)  # escalates later than the first would have: waiting for it is waiting long enough
    await wait_until(lambda: event_rows(engine, client_id, "escalated"), timeout=30, reason="the marker's escalation")
    assert [e.alert_id for e in await event_rows(engine, client_id, "escalated")] == [alert_id_for(marker.signal_id)]

    async with engine.begin() as conn:
        resolved = await transition(conn, row.alert_id, "resolved", team["primary"], "safety plan agreed")
        with pytest.raises(InvalidTransition, match="from resolved to acknowledged"):
            await transition(conn, row.alert_id, "acknowledged", team["primary"])
        with pytest.raises(AlertNotFound):
            await transition(conn, uuid.uuid4(), "resolved", team["primary"])
        actions = (await conn.execute(select(access_audit.c.action, access_audit.c.therapist_id)
                                      .where(access_audit.c.client_id == client_id).order_by(access_audit.c.audit_id))).all()
    assert resolved.note == "safety plan agreed" and resolved.state is AlertState.RESOLVED
    assert actions == [("alert.acknowledged", team["member"]), ("alert.resolved", team["primary"])]
    [final] = [r for r in await alert_rows(engine, client_id) if r.alert_id == row.alert_id]
    assert (final.state, final.acknowledged_by, final.resolved_by, final.escalated_at) == (
        "resolved", team["member"], team["primary"], None)


async def test_the_daily_digest_lists_low_and_info_alerts_for_the_primary_therapist(notifier, notifier_env, engine, producer):
    client_id, team = await seed_team(engine)
    low = make_signal(client_id, SignalKind.ENGAGEMENT_MISSED_CHECKINS, Severity.LOW)
    info = make_signal(client_id, SignalKind.RESILIENCE_RELIABLE_IMPROVEMENT, Severity.INFO)
    for signal in (low, info):
        await send(producer, signal)
    await wait_until(lambda: _count_at_least(alert_rows(engine, client_id), 2), reason="two digest alerts")

    today = datetime.now(UTC).date().isoformat()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "notifier", "digest", "--date", today, "--json",
        env={**os.environ, **notifier_env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    digests = {d["therapist_id"]: d for d in json.loads(out)}
    assert str(team["primary"]) in digests
    assert not {str(team["member"]), str(team["escalation"]), str(team["outsider"])} & digests.keys()
    mine = [i for i in digests[str(team["primary"])]["items"] if i["client_id"] == str(client_id)]
    assert [i["severity"] for i in mine] == ["low", "info"]


async def _count_at_least(rows_awaitable, n):
    return len(await rows_awaitable) >= n


async def test_a_signal_postgresql_cannot_store_goes_to_the_dead_letter_topic(notifier, engine, producer, kafka_settings):
    client_id, _ = await seed_team(engine)
    unstorable = make_signal(client_id, SignalKind.RISK_LANGUAGE, Severity.HIGH).model_copy(update={"evidence": {"match": "a\x00b"}})
    after = make_signal(client_id, SignalKind.ALLIANCE_RUPTURE, Severity.HIGH)
    async with TopicRecorder(kafka_settings, DLQ) as recorder:
        await send(producer, unstorable)
        await send(producer, after)
        await recorder.expect(lambda v: v.get("signal_id") == str(unstorable.signal_id), reason="the unstorable signal on the DLQ")
    await wait_until(lambda: alert_rows(engine, client_id), reason="the next signal's alert: the partition keeps moving")
    assert [r.signal_id for r in await alert_rows(engine, client_id)] == [after.signal_id]


async def test_a_burst_from_many_clients_each_sent_twice_opens_exactly_one_alert_per_signal(notifier, engine, producer):
    teams = [await seed_team(engine) for _ in range(20)]
    severities = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO]
    burst = [make_signal(client_id, SignalKind.RESILIENCE_LOW, severities[i % 5]) for client_id, _ in teams for i in range(10)]
    started = time.monotonic()
    for signal in burst + burst:
        key, value = signal.to_kafka()
        await producer.send(SIGNALS, value, key=key)
    await producer.flush()

    async def all_opened():
        async with engine.connect() as conn:
            found = await conn.scalar(select(func.count()).select_from(alerts)
                                      .where(alerts.c.client_id.in_([c for c, _ in teams])))
        return found if found == len(burst) else None

    await wait_until(all_opened, timeout=60, reason=f"{len(burst)} alerts")
    elapsed = time.monotonic() - started
    print(f"\nnotifier: {2 * len(burst)} signal records -> {len(burst)} alerts in {elapsed:.2f}s "
          f"({2 * len(burst) / elapsed:.0f} records/s)")
    async with engine.connect() as conn:
        opened = await conn.scalar(select(func.count()).select_from(alert_events)
                                   .where(alert_events.c.client_id.in_([c for c, _ in teams]),
                                          alert_events.c.transition == "opened"))
    assert opened == len(burst)
