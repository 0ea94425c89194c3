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
from services.common.tables import access_audit, alerts, care_team_members, clients, therapists
from services.dashboard.app import create_app
from services.dashboard.config import DashboardSettings

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


async def insert_alert(engine, client_id: uuid.UUID, kind="risk.acute", severity="critical", state="open") -> uuid.UUID:
    alert_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(alerts).values(
            alert_id=alert_id, signal_id=uuid.uuid4(), client_id=client_id, kind=kind, severity=severity,
            summary=f"{kind} for the test", state=state, observed_at=datetime.now(UTC) - timedelta(minutes=5)))
    return alert_id


@pytest.fixture(scope="module")
async def engine(database_settings):
    engine = make_engine(database_settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def dashboard(engine, database_url):
    """The dashboard app served by uvicorn in this test's loop, without the live-update consumer."""
    from services.common.stack import free_port

    settings = DashboardSettings(database_url=database_url, port=free_port(), live_updates=False)
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
