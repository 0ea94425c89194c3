"""`GET /api/stream` on the real broker and PostgreSQL: care-team isolation across instances, resume, heartbeat."""

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, insert

from schemas.alert import AlertEvent
from schemas.checkin import CheckinSubmitted
from schemas.topics import ALERTS, CHECKINS
from services.common.alerts import transition
from services.common.auth import issue_dev_token
from services.common.http import EmbeddedServer
from services.common.kafka import make_producer
from services.common.stack import free_port
from services.common.tables import care_team_members, clients
from services.dashboard.app import create_app
from services.dashboard.config import DashboardSettings
from tests.helpers import wait_until
from tests.integration.test_dashboard_api import engine, insert_alert, seed_care_teams  # noqa: F401 - fixture

pytestmark = pytest.mark.integration


class SseClient:
    """Reads one `/api/stream` in the background and keeps every message and comment it gets."""

    def __init__(self, base_url: str, headers: dict, last_event_id: str | None = None, path: str = "/api/stream"):
        self.headers = headers | ({"Last-Event-ID": last_event_id} if last_event_id else {})
        self.path = path
        self.client = httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(10, read=None))
        self.events: list[dict] = []
        self.comments: list[str] = []
        self.connected = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "SseClient":
        self._task = asyncio.create_task(self._read())
        await asyncio.wait_for(self.connected.wait(), 10)
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.client.aclose()

    async def _read(self) -> None:
        async with self.client.stream("GET", self.path, headers=self.headers) as response:
            assert response.status_code == 200, await response.aread()
            message: dict = {}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                    self.connected.set()
                elif line == "" and "data" in message:
                    self.events.append(message | {"data": json.loads(message["data"]), "received": time.monotonic()})
                    message = {}
                elif ": " in line:
                    key, value = line.split(": ", 1)
                    message[key] = value

    def about(self, client_id: uuid.UUID) -> list[dict]:
        return [e for e in self.events if e["data"]["client_id"] == str(client_id)]

    async def expect(self, where, count: int = 1, timeout: float = 20, reason: str = "") -> list[dict]:
        async def enough():
            found = [e for e in self.events if where(e)]
            return found if len(found) >= count else None

        return await wait_until(enough, timeout=timeout, reason=reason or f"{count} stream event(s)")


def opened(client_id: uuid.UUID, severity: str = "critical") -> AlertEvent:
    return AlertEvent(event_id=uuid.uuid4(), alert_id=uuid.uuid4(), signal_id=uuid.uuid4(), client_id=client_id,
                      kind="risk.acute", severity=severity, transition="opened", state="open", actor="system",
                      occurred_at=datetime.now(UTC), summary="test alert")


def checkin(client_id: uuid.UUID) -> CheckinSubmitted:
    return CheckinSubmitted(event_id=uuid.uuid4(), client_id=client_id, occurred_at=datetime.now(UTC),
                            timezone="UTC", answers=[{"instrument": "mood", "item": 1, "value": 4}],
                            note="private words")


@pytest.fixture(scope="module")
async def producer(kafka_settings):
    producer = make_producer(kafka_settings)
    await producer.start()
    yield producer
    await producer.stop()


async def publish(producer, topic: str, event) -> None:
    key, value = event.to_kafka()
    await producer.send_and_wait(topic, value, key=key)


class Instances(list):
    """The base URLs of the running instances; `.apps` are their FastAPI apps."""

    def __init__(self, urls, apps):
        super().__init__(urls)
        self.apps = apps


@pytest.fixture(scope="module")
async def instances(engine, database_url, kafka_settings):  # noqa: F811 - the imported fixture
    """Two dashboard instances on the same topics and database, each with its own live reader."""
    servers, urls, apps = [], [], []
    for _ in range(2):
        settings = DashboardSettings(database_url=database_url, port=free_port(), heartbeat_s=1.0, care_team_ttl_s=1.0,
                                     kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
        app = create_app(settings, engine=engine)
        server = EmbeddedServer(app, "127.0.0.1", settings.port)
        await server.start()
        await asyncio.wait_for(app.state.live.ready.wait(), 30)
        servers.append((app, server))
        urls.append(f"http://127.0.0.1:{settings.port}")
        apps.append(app)
    yield Instances(urls, apps)
    for app, server in servers:
        app.state.fanout.end_streams()
        await server.stop()


async def test_each_therapist_is_pushed_only_their_care_team(instances, engine, producer):  # noqa: F811
    teams = await seed_care_teams(engine)
    first, second = instances
    async with SseClient(first, teams.headers(teams.a)) as a_stream, \
            SseClient(second, teams.headers(teams.b)) as b_stream:
        foreign_alert, shared_alert = opened(teams.foreign), opened(teams.shared)
        foreign_checkin, shared_checkin = checkin(teams.foreign), checkin(teams.shared)
        for topic, event in ((ALERTS, foreign_alert), (CHECKINS, foreign_checkin),
                             (ALERTS, shared_alert), (CHECKINS, shared_checkin)):
            await publish(producer, topic, event)

        # B sees all four, so the instance serving A has decided about every one of them too.
        await b_stream.expect(lambda e: e["data"]["client_id"] in (str(teams.foreign), str(teams.shared)), 4)
        got = await a_stream.expect(lambda e: e["data"]["client_id"] == str(teams.shared), 2)

    assert {e["event"] for e in got} == {"alert", "checkin"}
    assert a_stream.about(teams.foreign) == []
    assert "private words" not in json.dumps(b_stream.events), "check-in events carry ids and times only"
    for app in instances.apps:  # a closed connection ends its stream and frees its queue
        await wait_until(lambda app=app: _async(not app.state.fanout.subscriptions), timeout=10,
                         reason="the closed streams to unsubscribe")


async def test_a_therapist_taken_off_the_care_team_stops_receiving(instances, engine, producer):  # noqa: F811
    teams = await seed_care_teams(engine)
    own = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(clients).values(client_id=own, display_name="A's own client"))
        await conn.execute(insert(care_team_members).values(client_id=own, therapist_id=teams.a, role="primary"))
    async with SseClient(instances[0], teams.headers(teams.a)) as a_stream, \
            SseClient(instances[0], teams.headers(teams.b)) as b_stream:
        async with engine.begin() as conn:
            await conn.execute(delete(care_team_members).where(care_team_members.c.client_id == teams.shared,
                                                               care_team_members.c.therapist_id == teams.a))
        fanout = instances.apps[0].state.fanout
        await wait_until(lambda: _not_in(teams.shared, fanout.care_teams.client_ids(teams.a)), timeout=10,
                         reason="the cached care team to expire")

        after_removal = opened(teams.shared)
        await publish(producer, ALERTS, after_removal)
        await b_stream.expect(lambda e: e["data"]["event_id"] == str(after_removal.event_id))
        marker = opened(own)  # published after the other was dispatched: A's stream is in order
        await publish(producer, ALERTS, marker)
        await a_stream.expect(lambda e: e["data"]["event_id"] == str(marker.event_id))

    assert a_stream.about(teams.shared) == []


async def _not_in(client_id, client_ids) -> bool:
    return client_id not in await client_ids


async def test_an_idle_stream_gets_comment_heartbeats(instances, engine):  # noqa: F811
    teams = await seed_care_teams(engine)
    async with SseClient(instances[0], teams.headers(teams.a)) as stream:
        await wait_until(lambda: _async("heartbeat" in stream.comments), timeout=10, reason="a heartbeat comment")


async def _async(value):
    return value


async def test_last_event_id_resumes_from_postgresql_without_foreign_clients(instances, engine, producer):  # noqa: F811
    teams = await seed_care_teams(engine)
    async with SseClient(instances[0], teams.headers(teams.a)) as stream:
        await publish(producer, ALERTS, opened(teams.shared))
        seen = (await stream.expect(lambda e: e["data"]["client_id"] == str(teams.shared)))[0]

    # While A is away, B acknowledges an alert of the shared client and one of B's own.
    shared_alert, foreign_alert = await insert_alert(engine, teams.shared), await insert_alert(engine, teams.foreign)
    async with engine.begin() as conn:
        await transition(conn, shared_alert, "acknowledged", teams.b, "on it")
        await transition(conn, foreign_alert, "acknowledged", teams.b, "mine")

    async with SseClient(instances[1], teams.headers(teams.a), last_event_id=seen["id"]) as resumed:
        replayed = await resumed.expect(lambda e: e["data"].get("alert_id") == str(shared_alert))
        await publish(producer, ALERTS, opened(teams.shared))
        await resumed.expect(lambda e: e["data"]["client_id"] == str(teams.shared) and e["id"] != replayed[0]["id"]
                             and e["data"]["transition"] == "opened", reason="a live event after the replay")

    # A page that reopens the stream itself passes the cursor as a query parameter instead.
    async with SseClient(instances[0], teams.headers(teams.a), path=f"/api/stream?last_event_id={seen['id']}") as reopened:
        await reopened.expect(lambda e: e["data"].get("alert_id") == str(shared_alert))

    assert replayed[0]["data"]["actor"] == str(teams.b) and replayed[0]["data"]["state"] == "acknowledged"
    assert resumed.about(teams.foreign) == []
    ids = [e["id"] for e in resumed.events]
    assert len(ids) == len(set(ids)), "nothing is sent twice on one stream"


async def test_the_stream_ends_when_the_sign_in_expires(instances):
    # verification allows 30 s of clock leeway: a token that expired 28 s ago has about 2 s left
    token = issue_dev_token(str(uuid.uuid4()), "therapist", ttl=timedelta(seconds=-28))
    async with httpx.AsyncClient(base_url=instances[0], timeout=10) as client:
        async with client.stream("GET", "/api/stream", headers={"Authorization": f"Bearer {token}"}) as stream:
            assert stream.status_code == 200
            await asyncio.wait_for(stream.aread(), timeout=10)  # returns once the server ends the stream
        assert (await client.get("/api/stream", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_stream_needs_a_therapist_token(instances):
    async with httpx.AsyncClient(base_url=instances[0]) as client:
        assert (await client.get("/api/stream")).status_code == 401
