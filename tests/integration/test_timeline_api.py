"""The timeline read API on the real PostgreSQL: care-team authorisation, audit rows, keyset pages, day series."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select

from schemas.topics import CHECKINS, SIGNALS
from services.common.auth import AuthSettings, TokenVerifier, issue_dev_token
from services.common.db import make_engine
from services.common.tables import access_audit, alert_events, alerts, care_team_members, clients, therapists
from services.timeline.api import timeline_router
from services.timeline.store import TimelineStore
from services.timeline.writer import RowBatch, rows_for

pytestmark = pytest.mark.integration

START = datetime(2026, 6, 1, 12, tzinfo=UTC)
TZ = "Australia/Sydney"  # UTC+10 in June: 14:00 UTC is already tomorrow there


def checkin(client_id, at: datetime, mood: float, note="between-session words") -> bytes:
    return json.dumps({"event_id": str(uuid.uuid4()), "client_id": str(client_id), "occurred_at": at.isoformat(),
                       "timezone": TZ, "note": note, "answers": [{"instrument": "mood", "item": 1, "value": mood}]}).encode()


def signal(client_id, at: datetime) -> bytes:
    return json.dumps({"signal_id": str(uuid.uuid4()), "client_id": str(client_id), "kind": "mood.sustained_decline",
                       "severity": "medium", "observed_at": at.isoformat(), "detected_at": at.isoformat(),
                       "summary": "Mood has been sliding for a week."}).encode()


@pytest.fixture
async def world(database_settings):
    """A client with 25 check-ins, 5 signals and 2 alert steps; their therapist and a stranger therapist."""
    engine = make_engine(database_settings)
    therapist, stranger, client = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(therapists), [{"therapist_id": therapist, "display_name": "Dr. Own"},
                                                {"therapist_id": stranger, "display_name": "Dr. Other"}])
        await conn.execute(insert(clients).values(client_id=client, display_name="C", timezone=TZ))
        await conn.execute(insert(care_team_members).values(client_id=client, therapist_id=therapist, role="primary"))
    batch = RowBatch()
    for n in range(25):
        batch.add(rows_for(CHECKINS, checkin(client, START + timedelta(hours=n), mood=n % 11)))
    for n in range(5):
        batch.add(rows_for(SIGNALS, signal(client, START + timedelta(hours=5 * n, minutes=30))))
    store = await TimelineStore.open(database_settings.database_url)
    await store.write(batch)
    await store.close()
    alert_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(alerts).values(alert_id=alert_id, signal_id=batch.signals[0].signal_id,
                                                 client_id=client, kind="mood.sustained_decline", severity="medium",
                                                 summary="s", observed_at=START))
        await conn.execute(insert(alert_events), [
            {"event_id": uuid.uuid4(), "alert_id": alert_id, "client_id": client, "transition": t, "state": s,
             "actor": a, "occurred_at": START + timedelta(hours=h)}
            for t, s, a, h in (("opened", "open", "system", 1), ("acknowledged", "acknowledged", str(therapist), 2))])
    app = FastAPI()
    app.include_router(timeline_router(engine, TokenVerifier(AuthSettings())))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    yield type("World", (), {"engine": engine, "http": http, "client": client, "therapist": therapist,
                             "stranger": stranger})
    await http.aclose()
    await engine.dispose()


def bearer(therapist_id) -> dict:
    return {"Authorization": f"Bearer {issue_dev_token(str(therapist_id), 'therapist')}"}


async def audit_actions(engine, therapist_id) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(access_audit.c.action).where(access_audit.c.therapist_id == therapist_id)
                                  .order_by(access_audit.c.audit_id))
        return list(rows.scalars())


async def test_paging_walks_every_item_once_newest_first_and_audits_each_read(world):
    items, cursor, pages = [], None, 0
    while True:
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        response = await world.http.get(f"/api/clients/{world.client}/timeline", params=params,
                                        headers=bearer(world.therapist))
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 5 and len(items) == 32 and len({i["id"] for i in items}) == 32
    keys = [(datetime.fromisoformat(i["at"]), i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True), "newest first, ties broken by id"
    assert {i["kind"] for i in items} == {"checkin", "signal", "alert"}
    first_checkin = next(i for i in items if i["kind"] == "checkin")["data"]
    assert first_checkin["scores"]["mood"]["value"] == 24 % 11 and first_checkin["note"] == "between-session words"
    assert await audit_actions(world.engine, world.therapist) == ["timeline.read"] * pages


async def test_kinds_and_window_filter_the_items(world):
    response = await world.http.get(f"/api/clients/{world.client}/timeline", headers=bearer(world.therapist), params={
        "kinds": "signal,alert", "from": START.isoformat(), "to": (START + timedelta(hours=10)).isoformat()})
    body = response.json()
    assert response.status_code == 200 and body["next_cursor"] is None
    assert [i["kind"] for i in body["items"]] == ["signal", "alert", "alert", "signal"]
    assert body["items"][1]["data"]["transition"] == "acknowledged"


async def test_a_foreign_therapist_gets_403_and_the_attempt_is_audited(world):
    for path in ("timeline", "series?instrument=mood"):
        response = await world.http.get(f"/api/clients/{world.client}/{path}", headers=bearer(world.stranger))
        assert response.status_code == 403, response.text
    assert await audit_actions(world.engine, world.stranger) == ["timeline.denied", "timeline.denied"]
    assert (await world.http.get(f"/api/clients/{world.client}/timeline")).status_code == 401


@pytest.mark.parametrize("params, field", [
    ({"cursor": "garbage"}, "cursor"), ({"kinds": "checkin,notes"}, "kinds"),
    ({"from": "2026-06-02T00:00:00", "to": "2026-06-03T00:00:00Z"}, "from"),
])
async def test_bad_parameters_get_422_naming_the_field(world, params, field):
    response = await world.http.get(f"/api/clients/{world.client}/timeline", params=params,
                                    headers=bearer(world.therapist))
    assert response.status_code == 422 and field in response.json()["detail"], response.text


async def test_series_buckets_scores_by_the_clients_own_day(world):
    response = await world.http.get(f"/api/clients/{world.client}/series", params={"instrument": "mood"},
                                    headers=bearer(world.therapist))
    assert response.status_code == 200, response.text
    body = response.json()
    # 12:00..23:00 UTC on 1 June: Sydney days 1 June (12-13 UTC: 22:00, 23:00) and 2 June (from 14:00 UTC on)
    assert [(p["bucket"], p["count"]) for p in body["points"]] == [("2026-06-01", 2), ("2026-06-02", 23)]
    june_1 = body["points"][0]
    assert june_1["mean"] == 0.5 and june_1["min"] == 0 and june_1["max"] == 1 and june_1["last"] == 1
    assert len(body["signals"]) == 5
    assert (await world.http.get(f"/api/clients/{world.client}/series", params={"instrument": "iq"},
                                 headers=bearer(world.therapist))).status_code == 422
    assert await audit_actions(world.engine, world.therapist) == ["series.read"]
