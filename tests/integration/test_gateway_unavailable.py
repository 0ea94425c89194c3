"""With the broker down the gateway answers 503 with Retry-After and accepts nothing it did not write."""

import signal
import uuid

import pytest

from schemas.topics import CHECKINS
from services.common.kafka import ensure_topics, wait_for_broker
from services.common.settings import KafkaSettings
from services.common.stack import TansuBroker, free_port, stop_pid
from services.gateway.config import GatewaySettings
from tests.helpers import TopicRecorder, wait_until
from tests.integration.test_gateway import auth, checkin, running_gateway

pytestmark = pytest.mark.integration


@pytest.fixture
def throwaway_broker(tmp_path):
    """A Tansu broker of this test's own (never the session's), restartable on the same port."""
    broker, port = TansuBroker(tmp_path), free_port()
    running = {}

    def start():
        running["pid"] = broker.start(port).pid

    def stop():
        stop_pid(running.pop("pid"), signal.SIGKILL, timeout_s=10)

    start()
    yield KafkaSettings(kafka_bootstrap_servers=f"127.0.0.1:{port}", kafka_partitions=2), start, stop
    if "pid" in running:
        stop()


async def test_broker_down_means_503_and_nothing_half_written(throwaway_broker, database_url):
    kafka, start_broker, stop_broker = throwaway_broker
    await wait_for_broker(kafka)
    await ensure_topics(kafka)
    settings = GatewaySettings(kafka_bootstrap_servers=kafka.kafka_bootstrap_servers, database_url=database_url,
                               kafka_ack_timeout_s=2.0, unavailable_retry_after_s=3)
    client_id = uuid.uuid4()
    async with running_gateway(settings) as gateway:
        assert (await gateway.post("/v1/checkins", json=checkin(client_id), headers=auth(client_id))).status_code == 202

        stop_broker()
        refused = checkin(client_id, help_requested=True)
        response = await gateway.post("/v1/checkins", json=refused, headers=auth(client_id))
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "3"
        unsent = checkin(client_id)
        batch = await gateway.post("/v1/checkins:batch", json={"checkins": [unsent]}, headers=auth(client_id))
        assert batch.status_code == 503 and batch.headers["Retry-After"] == "3"
        assert (await gateway.get("/readyz")).status_code == 503

        # The broker comes back empty (memory storage): only what is accepted from now on may appear.
        start_broker()
        await wait_for_broker(kafka)
        await ensure_topics(kafka)
        async with TopicRecorder(kafka, CHECKINS) as recorder:

            async def resubmitted():
                answer = await gateway.post("/v1/checkins", json=refused, headers=auth(client_id))
                return answer.status_code == 202

            await wait_until(resubmitted, timeout=60, reason="the gateway to accept the resubmission")
            marker = checkin(client_id)
            assert (await gateway.post("/v1/checkins", json=marker, headers=auth(client_id))).status_code == 202
            await recorder.expect(lambda v: v.get("event_id") == marker["event_id"], reason="the marker")
            assert len(recorder.values(lambda v: v.get("event_id") == refused["event_id"])) == 1
            assert recorder.values(lambda v: v.get("event_id") == unsent["event_id"]) == []
            assert (await gateway.get("/readyz")).status_code == 200


async def test_gateway_starts_without_kafka_and_connects_when_it_comes(tmp_path, database_url):
    port = free_port()
    kafka = KafkaSettings(kafka_bootstrap_servers=f"127.0.0.1:{port}", kafka_partitions=2)
    settings = GatewaySettings(kafka_bootstrap_servers=kafka.kafka_bootstrap_servers, database_url=database_url,
                               kafka_ack_timeout_s=2.0)
    client_id = uuid.uuid4()
    broker = TansuBroker(tmp_path)
    async with running_gateway(settings) as gateway:
        assert (await gateway.get("/healthz")).status_code == 200
        assert (await gateway.get("/readyz")).status_code == 503
        early = await gateway.post("/v1/checkins", json=checkin(client_id), headers=auth(client_id))
        assert early.status_code == 503 and "Retry-After" in early.headers

        pid = broker.start(port).pid
        try:
            await wait_for_broker(kafka)
            await ensure_topics(kafka)
            async with TopicRecorder(kafka, CHECKINS) as recorder:
                later = checkin(client_id)

                async def accepted():
                    return (await gateway.post("/v1/checkins", json=later, headers=auth(client_id))).status_code == 202

                await wait_until(accepted, timeout=60, reason="the gateway to connect and accept")
                await recorder.expect(lambda v: v.get("event_id") == later["event_id"])
            assert (await gateway.get("/readyz")).status_code == 200
        finally:
            stop_pid(pid, signal.SIGKILL, timeout_s=10)


async def test_plan_answers_503_while_the_database_is_down(kafka_settings):
    settings = GatewaySettings(kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers,
                               database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere")
    client_id = uuid.uuid4()
    async with running_gateway(settings) as gateway:
        response = await gateway.get("/v1/me/plan", headers=auth(client_id))
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert (await gateway.post("/v1/checkins", json=checkin(client_id), headers=auth(client_id))).status_code == 202
