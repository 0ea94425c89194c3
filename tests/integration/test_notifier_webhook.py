"""The webhook channel against a local receiver: signed payloads, retries with back-off, recorded status."""

import asyncio
import json
import os
import re
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select

from schemas.signal import Severity, SignalKind
from services.common.http import EmbeddedServer
from services.common.stack import free_port
from services.common.tables import webhook_deliveries
from services.notifier.core.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.helpers import wait_until
from tests.integration.test_notifier_support import (  # noqa: F401 - fixtures
    engine, make_signal, notifier_database_url, notifier_env, seed_team, send, start_notifier,
)

pytestmark = pytest.mark.integration

SECRET = "test-webhook-secret"


class Receiver:
    """A paging bridge stand-in: fails the first `failures_per_delivery` attempts of each delivery."""

    def __init__(self):
        self.failures_per_delivery = 0
        self.status_when_failing = 503
        self.attempts: Counter[str] = Counter()
        self.accepted: list[dict] = []
        self.app = FastAPI()
        self.app.post("/hook")(self.hook)

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        if not verify(SECRET, request.headers[TIMESTAMP_HEADER], body, request.headers[SIGNATURE_HEADER], time.time()):
            return Response(status_code=401)
        delivery = request.headers[DELIVERY_HEADER]
        self.attempts[delivery] += 1
        if self.attempts[delivery] <= self.failures_per_delivery:
            return Response(status_code=self.status_when_failing)
        self.accepted.append(json.loads(body))
        return Response(status_code=204)


@pytest.fixture(scope="module")
async def receiver():
    receiver, port = Receiver(), free_port()
    server = EmbeddedServer(receiver.app, "127.0.0.1", port)
    await server.start()
    receiver.url = f"http://127.0.0.1:{port}/hook"
    yield receiver
    await server.stop()


@pytest.fixture(scope="module")
async def notifier(notifier_env, receiver, tmp_path_factory):
    env = notifier_env | {
        "RAPPORT_NOTIFIER_ESCALATION_AFTER_S": "2",
        "RAPPORT_NOTIFIER_WEBHOOK_URL": receiver.url,
        "RAPPORT_NOTIFIER_WEBHOOK_SECRET": SECRET,
        "RAPPORT_NOTIFIER_WEBHOOK_MAX_ATTEMPTS": "3",
        "RAPPORT_NOTIFIER_WEBHOOK_BACKOFF_INITIAL_S": "0.2",
        "RAPPORT_NOTIFIER_WEBHOOK_POLL_S": "0.2",
    }
    proc = await start_notifier(env, tmp_path_factory.mktemp("notifier-webhook-logs"))
    proc.metrics_url = f"http://127.0.0.1:{env['RAPPORT_NOTIFIER_PORT']}/metrics"
    yield proc
    proc.stop()


async def deliveries_of(engine, alert_ids) -> list:
    async with engine.connect() as conn:
        rows = await conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.alert_id.in_(alert_ids)))
        return rows.all()


async def test_pushed_and_escalated_steps_are_delivered_signed_after_retries(notifier, receiver, engine, producer):
    from services.common.alerts import alert_id_for

    receiver.failures_per_delivery, receiver.status_when_failing = 2, 503
    client_id, team = await seed_team(engine)
    critical = make_signal(client_id, SignalKind.RISK_ACUTE, Severity.CRITICAL)
    low = make_signal(client_id, SignalKind.ENGAGEMENT_MISSED_CHECKINS, Severity.LOW)
    await send(producer, low)
    await send(producer, critical)
    alert_ids = [alert_id_for(critical.signal_id), alert_id_for(low.signal_id)]

    async def both_delivered():
        rows = await deliveries_of(engine, alert_ids)
        return rows if len(rows) == 2 and all(r.status == "delivered" for r in rows) else None

    rows = await wait_until(both_delivered, timeout=30, reason="the opened and escalated steps delivered")
    assert {r.payload["transition"] for r in rows} == {"opened", "escalated"}
    assert all(r.alert_id == alert_ids[0] for r in rows), "a low signal goes to the digest, not to the pager"
    assert all(r.attempts == 3 and r.last_status_code == 204 and r.last_error is None for r in rows)
    pages = [p for p in receiver.accepted if p.get("client_id") == str(client_id)]
    by_step = {p["transition"]: p for p in pages}
    assert set(by_step["opened"]["recipients"]) == {str(team["primary"]), str(team["member"])}
    assert by_step["escalated"]["recipients"] == [str(team["escalation"])]
    assert len(pages) == 2, "each step is delivered once"


async def test_a_delivery_that_keeps_failing_is_recorded_as_failed(notifier, receiver, engine, producer):
    from services.common.alerts import alert_id_for

    receiver.failures_per_delivery, receiver.status_when_failing = 100, 500
    client_id, _ = await seed_team(engine)
    signal = make_signal(client_id, SignalKind.ALLIANCE_RUPTURE, Severity.HIGH)
    await send(producer, signal)

    async def failed():
        rows = await deliveries_of(engine, [alert_id_for(signal.signal_id)])
        return rows if rows and rows[0].status == "failed" else None

    [row] = await wait_until(failed, timeout=30, reason="the delivery to give up after 3 attempts")
    assert (row.attempts, row.last_status_code, row.last_error) == (3, 500, "HTTP 500")

    async def counted():
        # the notifier counts an outcome once its row is committed, so the row can be seen a moment before the count;
        # alerts of earlier tests on the shared topics may fail beside this one while the receiver refuses everything
        text = httpx.get(notifier.metrics_url).text
        found = re.search(r'^rapport_notifier_webhook_deliveries_total\{outcome="failed"\} (\d+)$', text, re.M)
        return text if found and int(found[1]) >= 1 else None

    metrics = await wait_until(counted, timeout=5, reason="the failed delivery to be counted")
    assert 'rapport_notifier_alerts_total{severity="high",delivery="push"}' in metrics

    receiver.failures_per_delivery = 0
    listed = await rapport(notifier.env, "notifier", "webhooks")
    assert f"failed {row.delivery_id} alert {row.alert_id} after 3 attempt(s): HTTP 500" in listed
    # Alerts of earlier tests on the shared topics may have failed beside this one while the receiver refused
    # everything; none can fail now (the receiver accepts again and the listing above took a second).
    async with engine.connect() as conn:
        failed_now = await conn.scalar(select(func.count()).select_from(webhook_deliveries)
                                       .where(webhook_deliveries.c.status == "failed"))
    assert failed_now >= 1
    requeued = await rapport(notifier.env, "notifier", "webhooks", "--retry-failed")
    assert f"re-queued {failed_now} failed {'delivery' if failed_now == 1 else 'deliveries'}" in requeued

    async def delivered():
        rows = await deliveries_of(engine, [alert_id_for(signal.signal_id)])
        return rows if rows[0].status == "delivered" else None

    [again] = await wait_until(delivered, timeout=30, reason="the re-queued delivery to go out")
    assert again.attempts == 1


async def rapport(env: dict[str, str], *args: str) -> str:
    """Run `rapport ARGS` as a process; return its stdout (fails the test on a non-zero exit)."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.cli", *args, env={**os.environ, **env},
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_the_daily_digest_can_be_sent_signed_to_the_webhook(notifier, receiver, engine, producer):
    from services.common.alerts import alert_id_for
    from tests.integration.test_notifier_support import alert_rows

    receiver.failures_per_delivery = 0
    client_id, team = await seed_team(engine)
    low = make_signal(client_id, SignalKind.ENGAGEMENT_MISSED_CHECKINS, Severity.LOW)
    await send(producer, low)
    await wait_until(lambda: alert_rows(engine, client_id), reason="the digest alert")

    out = await rapport(notifier.env, "notifier", "digest", "--date", datetime.now(UTC).date().isoformat(), "--send")
    assert "Dr. primary" in out and "test engagement.missed_checkins" in out
    sent = [p for p in receiver.accepted if p.get("type") == "alert.digest" and p["therapist_id"] == str(team["primary"])]
    assert [item["alert_id"] for item in sent[0]["items"]] == [str(alert_id_for(low.signal_id))]
