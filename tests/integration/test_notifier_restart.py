"""Durability and overlap: timers survive a SIGKILL restart; two instances on the same signals open one alert each."""

import asyncio
from datetime import UTC, datetime

import pytest

from schemas.signal import Severity, SignalKind
from schemas.topics import ALERTS
from services.common.stack import free_port
from tests.helpers import TopicRecorder, wait_until
from tests.integration.test_notifier_support import (  # noqa: F401 - fixtures
    alert_rows, engine, event_rows, make_signal, notifier_database_url, notifier_env, of_client, seed_team,
    notifier_process, send, start_notifier,
)

pytestmark = pytest.mark.integration


async def test_escalation_survives_a_notifier_crash(notifier_env, engine, producer, kafka_settings, tmp_path):
    env = notifier_env | {"RAPPORT_NOTIFIER_ESCALATION_AFTER_S": "3"}
    client_id, team = await seed_team(engine)
    first = await start_notifier(env, tmp_path / "first")
    try:
        await send(producer, make_signal(client_id, SignalKind.RISK_ACUTE, Severity.CRITICAL))
        [alert] = await wait_until(lambda: alert_rows(engine, client_id), reason="the critical alert row")
    finally:
        first.kill()  # SIGKILL: nothing in memory survives
    assert alert.escalate_at is not None and alert.escalated_at is None

    async def timer_due():
        return datetime.now(UTC) > alert.escalate_at

    await wait_until(timer_due, timeout=10, reason="the escalation timer to fall due while no notifier runs")
    assert await event_rows(engine, client_id, "escalated") == []

    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        # Not waiting for readiness: the new group member may wait out the killed one's session, the timers don't.
        second = notifier_process(env, tmp_path / "second").start()
        try:
            await second.wait_healthy(timeout=60)
            [escalated, *_] = await recorder.expect(of_client(client_id, "escalated"), timeout=30,
                                                    reason="the escalation after the restart")
        finally:
            second.stop()
    assert escalated["alert_id"] == str(alert.alert_id) and escalated["recipients"] == [str(team["escalation"])]
    [row] = await alert_rows(engine, client_id)
    assert row.escalated_at > alert.escalate_at
    assert len(await event_rows(engine, client_id, "escalated")) == 1
    fired = [line for line in second.log_path.read_text().splitlines() if '"alert escalated"' in line]
    assert any(str(alert.alert_id) in line for line in fired), "the restarted process fired the timer"



async def test_two_notifiers_processing_the_same_signals_open_one_alert_each(
        notifier_env, engine, producer, kafka_settings, tmp_path):
    # Two consumer groups on one database: the overlap a rebalance or a zombie instance causes, made permanent.
    envs = [notifier_env | {"RAPPORT_NOTIFIER_GROUP_ID": f"{notifier_env['RAPPORT_NOTIFIER_GROUP_ID']}-{n}",
                            "RAPPORT_NOTIFIER_PORT": str(free_port())} for n in (1, 2)]
    procs = await asyncio.gather(*(start_notifier(env, tmp_path / f"n{n}") for n, env in enumerate(envs)))
    client_id, _ = await seed_team(engine)
    burst = [make_signal(client_id, kind, severity) for kind, severity in (
        (SignalKind.RISK_ACUTE, Severity.CRITICAL), (SignalKind.ALLIANCE_RUPTURE, Severity.HIGH),
        (SignalKind.RESILIENCE_LOW, Severity.MEDIUM), (SignalKind.ENGAGEMENT_MISSED_CHECKINS, Severity.LOW))]
    try:
        async with TopicRecorder(kafka_settings, ALERTS) as recorder:
            for signal in burst:
                await send(producer, signal)
            # Each instance publishes every signal's `opened` step (the winner's, or the stored one): 2 per signal.
            opened = await recorder.expect(of_client(client_id, "opened"), count=2 * len(burst), timeout=30,
                                           reason="both instances to handle every signal")
    finally:
        for proc in procs:
            proc.stop()
    assert len({e["event_id"] for e in opened}) == len(burst), "one step per signal, whoever published it"
    assert len(await alert_rows(engine, client_id)) == len(burst)
    assert len(await event_rows(engine, client_id, "opened")) == len(burst)
