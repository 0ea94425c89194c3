"""Quiet hours: a non-critical alert is in the inbox at once but paged only when they end (and not at all
if someone acknowledged it meanwhile); critical never waits."""

from datetime import UTC, datetime, timedelta

import pytest

from schemas.signal import Severity, SignalKind
from services.common.alerts import alert_id_for, transition
from tests.helpers import wait_until
from tests.integration.test_notifier_support import (  # noqa: F401 - fixtures
    alert_rows, engine, event_rows, make_signal, notifier_database_url, notifier_env, seed_team, send,
    start_notifier,
)
from tests.integration.test_notifier_webhook import SECRET, deliveries_of, receiver  # noqa: F401 - fixture

pytestmark = pytest.mark.integration


def window_around(now: datetime) -> tuple[str, datetime]:
    """A quiet-hours setting covering `now` (UTC) and the instant it ends."""
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    return f"{start:%H:%M}-{end:%H:%M}", end.replace(second=0, microsecond=0)


@pytest.fixture(scope="module")
async def quiet_notifier(notifier_env, receiver, tmp_path_factory):
    window, ends = window_around(datetime.now(UTC))
    env = notifier_env | {"RAPPORT_NOTIFIER_QUIET_HOURS": window, "RAPPORT_NOTIFIER_WEBHOOK_URL": receiver.url,
                          "RAPPORT_NOTIFIER_WEBHOOK_SECRET": SECRET, "RAPPORT_NOTIFIER_WEBHOOK_POLL_S": "0.2"}
    proc = await start_notifier(env, tmp_path_factory.mktemp("notifier-quiet-logs"))
    proc.quiet_ends = ends
    yield proc
    proc.stop()


async def test_quiet_hours_hold_the_page_of_a_high_alert_but_not_of_a_critical_one(quiet_notifier, receiver, engine, producer):
    client_id, team = await seed_team(engine)
    high = make_signal(client_id, SignalKind.ALLIANCE_RUPTURE, Severity.HIGH)
    critical = make_signal(client_id, SignalKind.RISK_ACUTE, Severity.CRITICAL)
    await send(producer, high)
    await send(producer, critical)

    async def critical_paged():
        rows = await deliveries_of(engine, [alert_id_for(critical.signal_id)])
        return rows if rows and rows[0].status == "delivered" else None

    await wait_until(critical_paged, timeout=30, reason="the critical page, sent despite quiet hours")
    [held] = await deliveries_of(engine, [alert_id_for(high.signal_id)])
    assert held.status == "pending" and held.attempts == 0 and held.next_attempt_at == quiet_notifier.quiet_ends
    assert not [p for p in receiver.accepted if p.get("signal_id") == str(high.signal_id)]
    high_alert = [r for r in await alert_rows(engine, client_id) if r.signal_id == high.signal_id][0]
    assert high_alert.delivery == "push" and high_alert.state == "open", "in the inbox at once"
    opened = {e.alert_id: e.recipients for e in await event_rows(engine, client_id, "opened")}
    assert opened[high_alert.alert_id] == [team["primary"]]


async def test_a_held_page_is_cancelled_once_the_alert_is_acknowledged(quiet_notifier, engine, producer):
    client_id, team = await seed_team(engine)
    high = make_signal(client_id, SignalKind.RESILIENCE_RELIABLE_DROP, Severity.HIGH)
    await send(producer, high)
    [held] = await wait_until(lambda: deliveries_of(engine, [alert_id_for(high.signal_id)]), reason="the held page")
    assert held.status == "pending"
    async with engine.begin() as conn:
        await transition(conn, alert_id_for(high.signal_id), "acknowledged", team["primary"])

    async def cancelled():
        rows = await deliveries_of(engine, [alert_id_for(high.signal_id)])
        return rows if rows[0].status == "cancelled" else None

    [row] = await wait_until(cancelled, timeout=30, reason="the held page to be cancelled")
    assert row.attempts == 0 and row.last_error == "alert acknowledged before delivery"
