"""Dashboard API on the real PostgreSQL: care-team isolation, alert inbox, actions and their audit rows."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import insert, select

from services.common.auth import issue_dev_token
from services.common.db import make_engine
from services.common.http import EmbeddedServer
from schemas.topics import ALERTS
from services.common.tables import (
    access_audit, alert_events, alerts, care_team_members, clients, scores, therapists,
)
from services.dashboard.app import create_app
from services.dashboard.config import DashboardSettings
from tests.helpers import TopicRecorder

pytestmark = pytest.mark.integration


@dataclass
class CareTeams:
    """A shares client `shared` with B; `foreign` belongs to B alone."""

    a: uuid.UUID
    b: uuid.UUID
    shared: uuid.UUID
    foreign: uuid.UUID

    def headers(self, therapist: uuid.UUID) -> dict:
        return {"Authorization": f"Bearer {issue_dev_token(str(therapist), 'therapist')}"}


async def seed_care_teams(engine) -> CareTeams:
    teams = CareTeams(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    async with engine.begin() as conn:
        await conn.execute(insert(therapists), [
            {"therapist_id": teams.a, "display_name": "Dr. A"}, {"therapist_id": teams.b, "display_name": "Dr. B"}])
        await conn.execute(insert(clients), [
            {"client_id": teams.shared, "display_name": "Shared Client", "timezone": "Europe/Berlin"},
            {"client_id": teams.foreign, "display_name": "Foreign Client", "timezone": "UTC"}])
        await conn.execute(insert(care_team_members), [
            {"client_id": teams.shared, "therapist_id": teams.a, "role": "primary"},
            {"client_id": teams.shared, "therapist_id": teams.b, "role": "member"},
            {"client_id": teams.foreign, "therapist_id": teams.b, "role": "primary"}])
    return teams


async def insert_alert(engine, client_id: uuid.UUID, kind="risk.acute", severity="critical", state="open",
                       delivery="push") -> uuid.UUID:
    alert_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(alerts).values(
            alert_id=alert_id, signal_id=uuid.uuid4(), client_id=client_id, kind=kind, severity=severity,
            summary=f"{kind} for the test", state=state, delivery=delivery,
            observed_at=datetime.now(UTC) - timedelta(minutes=5)))
    return alert_id


@pytest.fixture(scope="module")
async def engine(database_settings):
    engine = make_engine(database_settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def dashboard(engine, database_url, kafka_settings):
    """The dashboard app served by uvicorn in this test's loop, without the live-update consumer."""
    from services.common.stack import free_port

    settings = DashboardSettings(database_url=database_url, port=free_port(), live_updates=False,
                                 kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
    server = EmbeddedServer(create_app(settings, engine=engine), "127.0.0.1", settings.port)
    await server.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.port}", timeout=10) as client:
        yield client
    await server.stop()


@pytest.fixture
async def teams(engine) -> CareTeams:
    return await seed_care_teams(engine)


async def audit_rows(engine, therapist_id):
    async with engine.connect() as conn:
        rows = await conn.execute(select(access_audit).where(access_audit.c.therapist_id == therapist_id))
        return [dict(r._mapping) for r in rows]


async def test_alerts_lists_only_the_care_teams_clients(dashboard, engine, teams):
    mine = await insert_alert(engine, teams.shared)
    await insert_alert(engine, teams.shared, kind="mood.sustained_decline", severity="medium", delivery="suppressed")
    await insert_alert(engine, teams.foreign, kind="alliance.rupture", severity="high")

    response = await dashboard.get("/api/alerts", params={"state": "open"}, headers=teams.headers(teams.a))

    assert response.status_code == 200, response.text
    listed = response.json()["alerts"]
    assert [a["alert_id"] for a in listed if a["client_id"] in (str(teams.shared), str(teams.foreign))] == [str(mine)]
    assert (await audit_rows(engine, teams.a))[-1]["action"] == "alerts.list"


async def test_alerts_needs_a_therapist_token(dashboard, teams):
    assert (await dashboard.get("/api/alerts")).status_code == 401
    client_token = {"Authorization": f"Bearer {issue_dev_token(str(teams.shared), 'client')}"}
    assert (await dashboard.get("/api/alerts", headers=client_token)).status_code == 401
    bad_state = await dashboard.get("/api/alerts", params={"state": "closed"}, headers=teams.headers(teams.a))
    assert bad_state.status_code == 422 and "state" in bad_state.text


async def test_login_link_sets_an_httponly_cookie(dashboard, teams):
    token = issue_dev_token(str(teams.a), "therapist")
    response = await dashboard.get("/login", params={"token": token})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "httponly" in response.headers["set-cookie"].lower()
    me = await dashboard.get("/api/me", cookies={"rapport_token": token})
    assert me.json()["display_name"] == "Dr. A"
    assert (await dashboard.get("/login", params={"token": "nonsense"})).status_code == 401


async def test_caseload_is_the_care_team_sorted_by_urgency_with_trends(dashboard, engine, teams):
    calm = uuid.uuid4()
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(insert(clients).values(client_id=calm, display_name="Calm Client"))
        await conn.execute(insert(care_team_members).values(client_id=calm, therapist_id=teams.a, role="primary"))
        await conn.execute(insert(scores), [
            {"event_id": uuid.uuid4(), "occurred_at": now - timedelta(days=d), "instrument": "brs",
             "client_id": teams.shared, "local_date": (now - timedelta(days=d)).date(), "value": v,
             "items_answered": 6}
            for d, v in ((21, 3.9), (14, 3.8), (7, 4.0), (1, 2.8))])
    await insert_alert(engine, teams.shared, kind="resilience.reliable_drop", severity="high")

    response = await dashboard.get("/api/caseload", headers=teams.headers(teams.a))

    assert response.status_code == 200, response.text
    entries = response.json()["clients"]
    assert [e["display_name"] for e in entries] == ["Shared Client", "Calm Client"]
    assert entries[0]["open_alerts"] == 1 and entries[0]["scores"]["brs"]["value"] == 2.8
    assert entries[0]["scores"]["brs"]["trend"] == "worsening"
    assert (await audit_rows(engine, teams.a))[-1]["action"] == "caseload.read"


async def test_acknowledge_and_resolve_store_state_events_and_audit(dashboard, engine, teams, kafka_settings):
    alert_id = await insert_alert(engine, teams.shared)
    headers = teams.headers(teams.a)
    async with TopicRecorder(kafka_settings, ALERTS) as recorder:
        acked = await dashboard.post(f"/api/alerts/{alert_id}/acknowledge", json={"note": "called the client"},
                                     headers=headers)
        assert acked.status_code == 200, acked.text
        assert acked.json()["alert"]["state"] == "acknowledged" and acked.json()["published"] is True
        again = await dashboard.post(f"/api/alerts/{alert_id}/acknowledge", headers=headers)
        assert again.status_code == 409 and "acknowledged" in again.text
        resolved = await dashboard.post(f"/api/alerts/{alert_id}/resolve", json={"note": "safety plan agreed"},
                                        headers=headers)
        assert resolved.status_code == 200, resolved.text
        events = await recorder.expect(lambda v: v.get("alert_id") == str(alert_id), count=2)

    assert [e["transition"] for e in events] == ["acknowledged", "resolved"]
    assert str(teams.b) in events[0]["recipients"], "colleagues are told of the change"
    async with engine.connect() as conn:
        row = (await conn.execute(select(alerts).where(alerts.c.alert_id == alert_id))).one()
        steps = (await conn.execute(select(alert_events.c.transition).where(alert_events.c.alert_id == alert_id)
                                    .order_by(alert_events.c.occurred_at))).scalars().all()
    assert (row.state, row.acknowledged_by, row.resolved_by, row.resolution_note) == (
        "resolved", teams.a, teams.a, "safety plan agreed")
    assert steps == ["acknowledged", "resolved"]
    actions = [r["action"] for r in await audit_rows(engine, teams.a) if r["resource"] == f"alert:{alert_id}"]
    assert actions == ["alert.acknowledged", "alert.resolved"]


async def test_actions_outside_the_care_team_are_refused_and_audited(dashboard, engine, teams):
    foreign_alert = await insert_alert(engine, teams.foreign)

    for step in ("acknowledge", "resolve"):
        response = await dashboard.post(f"/api/alerts/{foreign_alert}/{step}", headers=teams.headers(teams.a))
        assert response.status_code == 403, response.text
    missing = await dashboard.post(f"/api/alerts/{uuid.uuid4()}/acknowledge", headers=teams.headers(teams.a))
    assert missing.status_code == 404 and "alert_id" in missing.text

    async with engine.connect() as conn:
        assert await conn.scalar(select(alerts.c.state).where(alerts.c.alert_id == foreign_alert)) == "open"
    denied = [r for r in await audit_rows(engine, teams.a) if r["resource"] == f"alert:{foreign_alert}"]
    assert [r["action"] for r in denied] == ["alert.acknowledged.denied", "alert.resolved.denied"]
    assert all(r["client_id"] == teams.foreign for r in denied)


async def test_the_mounted_timeline_refuses_clients_outside_the_care_team(dashboard, teams):
    headers = teams.headers(teams.a)
    for path in (f"/api/clients/{teams.foreign}/timeline", f"/api/clients/{teams.foreign}/series?instrument=brs"):
        assert (await dashboard.get(path, headers=headers)).status_code == 403, path
    assert (await dashboard.get(f"/api/clients/{teams.shared}/timeline", headers=headers)).status_code == 200


async def test_production_sign_in_with_an_identity_providers_rs256_token(engine, database_url, tmp_path, teams):
    import json

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from services.common.auth import AuthSettings

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())) | {"kid": "idp-1", "use": "sig"}
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [public]}))
    auth = AuthSettings(issuer="https://idp.example", audience="rapport-dashboard", algorithms=["RS256"],
                        jwks_file=str(tmp_path / "jwks.json"))
    app = create_app(DashboardSettings(database_url=database_url, auth=auth, live_updates=False), engine=engine)
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": str(teams.a), "iss": "https://idp.example", "aud": "rapport-dashboard", "iat": now,
              "exp": now + 300}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "idp-1"})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dashboard") as client:
        me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["display_name"] == "Dr. A"
        dev_token = {"Authorization": f"Bearer {issue_dev_token(str(teams.a), 'therapist')}"}
        assert (await client.get("/api/me", headers=dev_token)).status_code == 401, "HS256 is not accepted here"


async def test_page_and_api_carry_security_headers(dashboard, teams):
    page = await dashboard.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["x-frame-options"] == "DENY"
    api = await dashboard.get("/api/alerts", headers=teams.headers(teams.a))
    assert api.headers["cache-control"] == "no-store"
