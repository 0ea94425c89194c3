"""The gateway on the real broker and PostgreSQL: accepted means written once, refused means a named reason."""

import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import insert

from schemas.topics import CHECKINS
from services.common.auth import issue_dev_token
from services.common.db import make_engine
from services.common.tables import clients
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from tests.helpers import TopicRecorder

pytestmark = pytest.mark.integration


def checkin(client_id: uuid.UUID, **extra) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "client_id": str(client_id),
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "timezone": "Europe/Berlin",
        "answers": [{"instrument": "mood", "item": 1, "value": 6}],
    } | extra


def auth(client_id: uuid.UUID) -> dict:
    return {"Authorization": f"Bearer {issue_dev_token(str(client_id), 'client')}"}


@asynccontextmanager
async def running_gateway(settings: GatewaySettings):
    """The gateway app with its lifespan (producer, engine) in this test's loop."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=15) as http:
            yield http


@pytest.fixture(scope="module")
def gateway_settings(kafka_settings, database_url) -> GatewaySettings:
    return GatewaySettings(kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers, database_url=database_url,
                           max_body_bytes=64 * 1024)


@pytest.fixture(scope="module")
async def gateway(gateway_settings):
    async with running_gateway(gateway_settings) as http:
        yield http


@pytest.fixture(scope="module")
async def checkins_topic(kafka_settings):
    async with TopicRecorder(kafka_settings, CHECKINS) as recorder:
        yield recorder


async def exactly_once_on_topic(recorder: TopicRecorder, gateway, client_id, event_id) -> None:
    """Publish a marker after the event; once the marker is seen, everything before it is too (same partition)."""
    marker = checkin(client_id)
    assert (await gateway.post("/v1/checkins", json=marker, headers=auth(client_id))).status_code == 202
    await recorder.expect(lambda v: v.get("event_id") == marker["event_id"], reason="the marker check-in")
    assert len(recorder.values(lambda v: v.get("event_id") == event_id)) == 1


async def test_valid_checkin_is_written_exactly_once(gateway, checkins_topic):
    client_id = uuid.uuid4()
    event = checkin(client_id, note="private words")
    response = await gateway.post("/v1/checkins", json=event, headers=auth(client_id))
    assert response.status_code == 202, response.text
    assert response.json() == {"event_id": event["event_id"], "status": "accepted"}
    [written] = await checkins_topic.expect(lambda v: v.get("event_id") == event["event_id"])
    assert written["client_id"] == str(client_id) and written["type"] == "checkin.submitted"
    record = next(r for r in checkins_topic.records if b'"' + event["event_id"].encode() in r.value)
    assert record.key == str(client_id).encode()
    await exactly_once_on_topic(checkins_topic, gateway, client_id, event["event_id"])


async def test_missing_event_id_is_filled_in(gateway, checkins_topic):
    client_id = uuid.uuid4()
    event = checkin(client_id)
    del event["event_id"]
    response = await gateway.post("/v1/checkins", json=event, headers=auth(client_id))
    assert response.status_code == 202
    event_id = str(uuid.UUID(response.json()["event_id"]))
    await checkins_topic.expect(lambda v: v.get("event_id") == event_id)


async def test_resubmitted_event_id_gets_the_same_answer_and_is_written_once(gateway, checkins_topic):
    client_id = uuid.uuid4()
    event = checkin(client_id, help_requested=True)
    first = await gateway.post("/v1/checkins", json=event, headers=auth(client_id))
    again = await gateway.post("/v1/checkins", json=event, headers=auth(client_id))
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    await exactly_once_on_topic(checkins_topic, gateway, client_id, event["event_id"])

    reused = event | {"answers": [{"instrument": "mood", "item": 1, "value": 1}]}
    conflict = await gateway.post("/v1/checkins", json=reused, headers=auth(client_id))
    assert conflict.status_code == 409 and "event_id" in conflict.json()["detail"]


async def test_tokens_must_belong_to_the_client(gateway):
    client_id = uuid.uuid4()
    event = checkin(client_id)
    wrong = await gateway.post("/v1/checkins", json=event, headers=auth(uuid.uuid4()))
    assert wrong.status_code == 403
    missing = await gateway.post("/v1/checkins", json=event)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    garbage = await gateway.post("/v1/checkins", json=event, headers={"Authorization": "Bearer not-a-jwt"})
    assert garbage.status_code == 401
    therapist = {"Authorization": f"Bearer {issue_dev_token(str(client_id), 'therapist')}"}
    assert (await gateway.post("/v1/checkins", json=event, headers=therapist)).status_code == 401


async def test_invalid_input_names_the_field(gateway):
    client_id = uuid.uuid4()
    event = checkin(client_id, answers=[{"instrument": "phq9", "item": 9, "value": 7}])
    response = await gateway.post("/v1/checkins", json=event, headers=auth(client_id))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["answers.0"]
    naive = checkin(client_id, occurred_at="2026-01-01T10:00:00")
    response = await gateway.post("/v1/checkins", json=naive, headers=auth(client_id))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "occurred_at"
    future = checkin(client_id, occurred_at=(datetime.now(UTC) + timedelta(days=3)).isoformat())
    response = await gateway.post("/v1/checkins", json=future, headers=auth(client_id))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "occurred_at"
    broken = await gateway.post("/v1/checkins", content=b"{not json", headers=auth(client_id) | {"content-type": "application/json"})
    assert broken.status_code == 422


async def test_body_over_the_limit_is_413(gateway):
    client_id = uuid.uuid4()
    huge = checkin(client_id, note="x" * 70_000)
    assert (await gateway.post("/v1/checkins", json=huge, headers=auth(client_id))).status_code == 413


async def test_risk_answers_come_back_with_safety_resources(gateway):
    client_id = uuid.uuid4()
    ordinary = await gateway.post("/v1/checkins", json=checkin(client_id), headers=auth(client_id))
    assert "safety_resources" not in ordinary.json()
    item9 = checkin(client_id, answers=[{"instrument": "phq9", "item": 9, "value": 1}])
    response = await gateway.post("/v1/checkins", json=item9, headers=auth(client_id))
    resources = response.json()["safety_resources"]
    assert resources["region"] == "DE" and resources["reasons"] == ["phq9.item9"]
    assert resources["lines"][0]["phone"]
    cssrs = checkin(client_id, timezone="America/Chicago", answers=[{"instrument": "cssrs", "item": 2, "value": 1}])
    response = await gateway.post("/v1/checkins", json=cssrs, headers=auth(client_id))
    assert response.json()["safety_resources"]["region"] == "US"
    assert response.json()["safety_resources"]["lines"][0]["phone"] == "988"
    anywhere = checkin(client_id, timezone="Etc/UTC", help_requested=True)
    response = await gateway.post("/v1/checkins", json=anywhere, headers=auth(client_id))
    assert response.json()["safety_resources"]["region"] == "*"


async def test_batch_accepts_the_good_items_and_names_the_bad_one(gateway, checkins_topic):
    client_id = uuid.uuid4()
    good = [checkin(client_id) for _ in range(3)]
    bad = checkin(client_id, timezone="Mars/Olympus")
    other = checkin(uuid.uuid4())
    ancient = checkin(client_id, occurred_at="2001-01-01T00:00:00+00:00")
    items = [good[0], bad, good[1], other, good[2], ancient]
    response = await gateway.post("/v1/checkins:batch", json={"checkins": items}, headers=auth(client_id))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"], body["unavailable"]) == (3, 3, 0)
    codes = [r["code"] for r in body["results"]]
    assert codes == [202, 422, 202, 403, 202, 422]
    assert body["results"][5]["errors"][0]["field"] == "occurred_at"
    assert body["results"][1]["errors"][0]["field"] == "timezone"
    ids = {g["event_id"] for g in good}
    await checkins_topic.expect(lambda v: v.get("event_id") in ids, count=3)
    again = await gateway.post("/v1/checkins:batch", json={"checkins": good}, headers=auth(client_id))
    assert [r["code"] for r in again.json()["results"]] == [202, 202, 202]
    for event in good:
        await exactly_once_on_topic(checkins_topic, gateway, client_id, event["event_id"])


async def test_batch_over_the_item_limit_is_422(gateway):
    client_id = uuid.uuid4()
    items = [{"client_id": str(client_id)}] * 501
    response = await gateway.post("/v1/checkins:batch", json={"checkins": items}, headers=auth(client_id))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "checkins"


async def test_plan_of_a_registered_client(gateway, database_settings):
    client_id = uuid.uuid4()
    assert (await gateway.get("/v1/me/plan", headers=auth(client_id))).status_code == 404
    plan = {"instruments": ["mood", "brs"], "cadence": {"mood": "daily"}, "goals": [{"goal_id": "walk-daily"}]}
    engine = make_engine(database_settings)
    async with engine.begin() as conn:
        await conn.execute(insert(clients).values(client_id=client_id, display_name="C", timezone="Europe/Oslo", plan=plan))
    await engine.dispose()
    response = await gateway.get("/v1/me/plan", headers=auth(client_id))
    assert response.status_code == 200
    assert response.json() == {"client_id": str(client_id), "timezone": "Europe/Oslo", "plan": plan}
    assert (await gateway.get("/v1/me/plan")).status_code == 401


async def test_health_readiness_and_metrics(gateway):
    assert (await gateway.get("/healthz")).json()["service"] == "gateway"
    assert (await gateway.get("/readyz")).status_code == 200
    metrics = (await gateway.get("/metrics")).text
    assert "rapport_gateway_checkins_accepted_total" in metrics
    assert 'rapport_gateway_requests_total{route="/v1/checkins",code="202"}' in metrics


async def test_rate_limit_answers_429_with_retry_after(gateway_settings):
    tight = gateway_settings.model_copy(update={"rate_limit_per_minute": 6, "rate_limit_burst": 2})
    client_id = uuid.uuid4()
    async with running_gateway(tight) as http:
        codes = [(await http.post("/v1/checkins", json=checkin(client_id), headers=auth(client_id))) for _ in range(3)]
    assert [c.status_code for c in codes] == [202, 202, 429]
    assert int(codes[2].headers["Retry-After"]) >= 1


async def test_rapport_gateway_runs_as_a_process(service_env, port, tmp_path):
    from tests.helpers import ServiceProcess

    env = service_env | {"RAPPORT_GATEWAY_PORT": str(port)}
    proc = ServiceProcess(["gateway"], env, tmp_path, f"http://127.0.0.1:{port}/healthz").start()
    try:
        await proc.wait_healthy()
        await proc.wait_ready(f"http://127.0.0.1:{port}/readyz")
        client_id = uuid.uuid4()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.post("/v1/checkins", json=checkin(client_id), headers=auth(client_id))
            assert response.status_code == 202
            assert (await http.get("/openapi.json")).json()["info"]["title"] == "Rapport gateway"
    finally:
        assert proc.stop() == 0, proc.log_tail()


async def test_production_tokens_signed_by_an_identity_provider(gateway_settings, tmp_path):
    import json

    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    from services.common.auth import AuthSettings

    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key())) | {"kid": "idp-1", "alg": "ES256"}
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [public]}))
    auth_settings = AuthSettings(issuer="https://idp.example", audience="rapport-app", algorithms=["ES256"],
                                 jwks_file=str(tmp_path / "jwks.json"))
    client_id = uuid.uuid4()
    now = datetime.now(UTC)
    claims = {"sub": str(client_id), "role": "client", "iss": "https://idp.example", "aud": "rapport-app",
              "iat": now, "exp": now + timedelta(minutes=5)}
    signed = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "idp-1"})
    async with running_gateway(gateway_settings.model_copy(update={"auth": auth_settings})) as http:
        accepted = await http.post("/v1/checkins", json=checkin(client_id), headers={"Authorization": f"Bearer {signed}"})
        assert accepted.status_code == 202, accepted.text
        dev = await http.post("/v1/checkins", json=checkin(client_id), headers=auth(client_id))
        assert dev.status_code == 401, "HS256 dev tokens must not pass when only ES256 is configured"
