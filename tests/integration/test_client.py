"""The Python client and `rapport checkin submit`: a check-in survives being offline and is written once."""

import asyncio
import json
import sys
import uuid

import httpx
import pytest

from schemas.topics import CHECKINS
from services.client import OfflineQueue, RapportClient
from services.client.answers import build_checkin
from services.common.auth import issue_dev_token
from services.common.http import EmbeddedServer
from services.common.stack import free_port
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from tests.helpers import TopicRecorder
from tests.integration.test_gateway import checkin

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def gateway_url(kafka_settings, database_url):
    """A real gateway over HTTP on a free port, in this test loop."""
    port = free_port()
    settings = GatewaySettings(kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers, database_url=database_url)
    server = EmbeddedServer(create_app(settings), "127.0.0.1", port)
    await server.start()
    yield f"http://127.0.0.1:{port}"
    await server.stop()


@pytest.fixture
async def recorder(kafka_settings):
    async with TopicRecorder(kafka_settings, CHECKINS) as rec:
        yield rec


def token(client_id) -> str:
    return issue_dev_token(str(client_id), "client")


async def test_offline_checkin_is_kept_then_delivered_once(gateway_url, recorder, tmp_path):
    client_id, queue = uuid.uuid4(), OfflineQueue(tmp_path / "queue.sqlite3")
    offline = RapportClient(f"http://127.0.0.1:{free_port()}", token(client_id), queue)
    report = await offline.submit(checkin(client_id, help_requested=True))
    await offline.aclose()
    assert report.pending == 1 and report.accepted == [] and "unreachable" in report.problem
    [waiting] = queue.due(now=float("inf"))

    # The phone is back online (a new process: the queue lives on disk).
    queue.close()
    queue = OfflineQueue(tmp_path / "queue.sqlite3")
    online = RapportClient(gateway_url, token(client_id), queue)
    report = await online.sync_until_empty(timeout_s=30)
    await online.aclose()
    assert report.accepted == [waiting.event_id] and report.pending == 0
    assert report.answers[waiting.event_id]["safety_resources"]["reasons"] == ["help_requested"]
    await recorder.expect(lambda v: v.get("event_id") == waiting.event_id)


async def test_backlog_goes_as_one_batch_and_a_bad_item_is_set_aside(gateway_url, recorder, tmp_path):
    client_id, queue = uuid.uuid4(), OfflineQueue(tmp_path / "queue.sqlite3")
    good = [queue.put(checkin(client_id)) for _ in range(4)]
    bad = queue.put(checkin(client_id, answers=[{"instrument": "brs", "item": 7, "value": 3}]))
    client = RapportClient(gateway_url, token(client_id), queue)
    report = await client.sync()
    await client.aclose()
    assert sorted(report.accepted) == sorted(good) and report.rejected == {bad: 422}
    assert queue.pending_count() == 0 and [r["event_id"] for r in queue.rejected()] == [bad]
    await recorder.expect(lambda v: v.get("event_id") in good, count=4)


async def test_unavailable_and_throttled_answers_keep_the_checkin_with_backoff(tmp_path):
    answers = iter([httpx.Response(503, headers={"Retry-After": "7"}), httpx.Response(429, headers={"Retry-After": "2"}),
                    httpx.Response(202, json={"event_id": "x", "status": "accepted"})])
    fake_gateway = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: next(answers)), base_url="http://gw")
    now = [1000.0]
    queue = OfflineQueue(tmp_path / "queue.sqlite3")
    client = RapportClient("http://gw", "t", queue, http=fake_gateway, clock=lambda: now[0])
    event_id = queue.put(checkin(uuid.uuid4()), now=now[0])

    assert (await client.sync()).pending == 1
    assert queue.next_due_at() >= now[0] + 7
    now[0] += 7
    assert (await client.sync()).problem == "gateway answered 429"
    now[0] += 300
    assert (await client.sync()).accepted == [event_id] and queue.pending_count() == 0


async def rapport_checkin(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.cli", "checkin", *args,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_rapport_checkin_submit_command(gateway_url, recorder, tmp_path):
    client_id = uuid.uuid4()
    code, out, err = await rapport_checkin(
        "submit", "--client", str(client_id), "--token", token(client_id), "--gateway", gateway_url,
        "--queue", str(tmp_path / "q.sqlite3"), "--timezone", "Europe/London", "--mood", "5", "--brs", "4,2,4,2,4,2",
        "--phq9-item9", "1")
    assert code == 0, err
    [event_id] = json.loads(out)["accepted"]
    assert "Samaritans" in err
    [event] = await recorder.expect(lambda v: v.get("event_id") == event_id)
    assert {(a["instrument"], a["item"]) for a in event["answers"]} >= {("mood", 1), ("brs", 6), ("phq9", 9)}


def test_build_checkin_names_the_bad_field():
    with pytest.raises(ValueError, match="answers"):
        build_checkin(str(uuid.uuid4()), "UTC", instruments={"brs": "4,2,9"})


async def test_rapport_checkin_offline_then_sync(gateway_url, recorder, tmp_path):
    client_id, queue = uuid.uuid4(), str(tmp_path / "q.sqlite3")
    offline = f"http://127.0.0.1:{free_port()}"
    code, out, _ = await rapport_checkin("submit", "--client", str(client_id), "--token", token(client_id),
                                         "--gateway", offline, "--queue", queue, "--mood", "3")
    assert code == 2 and json.loads(out)["pending"] == 1
    code, out, err = await rapport_checkin("sync", "--token", token(client_id), "--gateway", gateway_url,
                                           "--queue", queue, "--wait", "20")
    assert code == 0, err
    [event_id] = json.loads(out)["accepted"]
    await recorder.expect(lambda v: v.get("event_id") == event_id)


async def test_a_renewed_token_is_used_after_a_401(gateway_url, recorder, tmp_path):
    client_id, queue = uuid.uuid4(), OfflineQueue(tmp_path / "queue.sqlite3")
    current = {"token": issue_dev_token(str(uuid.uuid4()), "therapist")}  # wrong role: the gateway says 401
    client = RapportClient(gateway_url, lambda: current["token"], queue)
    report = await client.submit(checkin(client_id))
    assert report.pending == 1 and report.problem == "gateway answered 401"
    current["token"] = token(client_id)
    report = await client.sync_until_empty(timeout_s=30)
    await client.aclose()
    assert report.pending == 0 and len(report.accepted) == 1
    await recorder.expect(lambda v: v.get("event_id") == report.accepted[0])
