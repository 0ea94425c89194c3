"""One risk check-in travels gateway -> detector -> timeline + notifier -> dashboard, exactly once."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, insert, select

from services.common.auth import issue_dev_token
from services.common.db import make_engine
from services.common.tables import alerts, care_team_members, checkins, clients, signals, therapists
from tests.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
async def care_team(database_settings):
    """A therapist with one client in their care team."""
    engine = make_engine(database_settings)
    therapist_id, client_id = uuid.uuid4(), uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(therapists).values(therapist_id=therapist_id, display_name="Dr. Test"))
        await conn.execute(insert(clients).values(client_id=client_id, display_name="Client T", timezone="Europe/Berlin"))
        await conn.execute(insert(care_team_members).values(client_id=client_id, therapist_id=therapist_id, role="primary"))
    yield engine, therapist_id, client_id
    await engine.dispose()


def risk_checkin(client_id: uuid.UUID, minutes_ago: int, **extra) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "client_id": str(client_id),
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        "timezone": "Europe/Berlin",
        "answers": [{"instrument": "phq9", "item": 9, "value": 2}, {"instrument": "mood", "item": 1, "value": 2}],
        "note": "private words that must never be logged",
    } | extra


async def count(engine, table, client_id) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table).where(table.c.client_id == client_id))


async def test_risk_checkin_reaches_the_dashboard_once(system, care_team):
    engine, therapist_id, client_id = care_team
    client_headers = {"Authorization": f"Bearer {issue_dev_token(str(client_id), 'client')}"}
    therapist_headers = {"Authorization": f"Bearer {issue_dev_token(str(therapist_id), 'therapist')}"}
    event = risk_checkin(client_id, minutes_ago=10)

    async with httpx.AsyncClient(base_url=system.url("gateway"), headers=client_headers, timeout=10) as gateway:
        accepted = await gateway.post("/v1/checkins", json=event)
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["event_id"] == event["event_id"]

        async def open_alerts():
            async with httpx.AsyncClient(base_url=system.url("dashboard"), headers=therapist_headers) as dashboard:
                response = await dashboard.get("/api/alerts", params={"state": "open"})
                assert response.status_code == 200, response.text
                return [a for a in response.json()["alerts"] if a["client_id"] == str(client_id)]

        await wait_until(lambda: count(engine, checkins, client_id), timeout=60, reason="the check-in row")
        await wait_until(lambda: count(engine, signals, client_id), timeout=60, reason="the risk.acute signal row")
        first = await wait_until(open_alerts, timeout=60, reason="an open alert on GET /api/alerts")
        assert [a["kind"] for a in first] == ["risk.acute"] and first[0]["severity"] == "critical"
        async with engine.connect() as conn:
            kinds = (await conn.execute(select(signals.c.kind).where(signals.c.client_id == client_id))).scalars().all()
        assert kinds == ["risk.acute"]

        # The same event again, then a later help request as a marker that everything before it was processed.
        again = await gateway.post("/v1/checkins", json=event)
        assert again.status_code == 202 and again.json()["event_id"] == event["event_id"]
        marker = risk_checkin(client_id, minutes_ago=1, answers=[{"instrument": "mood", "item": 1, "value": 1}],
                              help_requested=True)
        assert (await gateway.post("/v1/checkins", json=marker)).status_code == 202

    await wait_until(lambda: _at_least(open_alerts, 2), timeout=60, reason="the marker's alert")
    await wait_until(lambda: _equals(count(engine, checkins, client_id), 2), timeout=60, reason="the marker check-in row")
    assert await count(engine, checkins, client_id) == 2, "the resubmitted event must not add a row"
    assert await count(engine, signals, client_id) == 2
    assert await count(engine, alerts, client_id) == 2
    assert len(await open_alerts()) == 2


async def _at_least(fetch, n):
    return len(await fetch()) >= n


async def _equals(awaitable, n):
    return await awaitable == n
