"""A bad payload on rapport.checkins.v1 reaches the DLQ with its reason and origin; the next good event still counts."""

import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from schemas.topics import CHECKINS, DLQ, SIGNALS
from services.common.kafka import DLQ_OFFSET, DLQ_PARTITION, DLQ_REASON, DLQ_SERVICE, DLQ_TOPIC, make_producer
from tests.helpers import ServiceProcess, TopicRecorder, wait_until

pytestmark = pytest.mark.integration


async def test_bad_payloads_go_to_the_dlq_and_the_agent_carries_on(kafka_settings, service_env, port, tmp_path):
    # A consumer group of its own: the e2e system's detector must not own (and time) this test's partitions.
    env = service_env | {"RAPPORT_DETECTOR_APP_ID": f"rapport-detector-test-{uuid.uuid4().hex[:8]}",
                         "RAPPORT_DETECTOR_WEB_PORT": str(port), "RAPPORT_DETECTOR_DATA_DIR": str(tmp_path / "data")}
    worker = ServiceProcess(["detector"], env, tmp_path, f"http://127.0.0.1:{port}/healthz").start()
    client_id = str(uuid.uuid4())
    key = client_id.encode()
    not_json = b"{not json " + client_id.encode()
    no_answers = json.dumps({"event_id": str(uuid.uuid4()), "client_id": client_id, "timezone": "Europe/Berlin",
                             "occurred_at": datetime.now(UTC).isoformat(), "answers": [],
                             "note": "secret words"}).encode()
    good = {"event_id": str(uuid.uuid4()), "client_id": client_id, "timezone": "Europe/Berlin",
            "occurred_at": datetime.now(UTC).isoformat(), "answers": [{"instrument": "phq9", "item": 9, "value": 2}]}
    producer = make_producer(kafka_settings)
    await producer.start()
    try:
        await worker.wait_healthy(timeout=90)
        async with TopicRecorder(kafka_settings, DLQ) as dlq, TopicRecorder(kafka_settings, SIGNALS) as signals:
            sent = [await producer.send_and_wait(CHECKINS, value, key=key) for value in (not_json, no_answers)]
            await producer.send_and_wait(CHECKINS, json.dumps(good).encode(), key=key)

            found = await signals.expect(lambda v: v.get("client_id") == client_id, timeout=60)
            assert found[0]["kind"] == "risk.acute" and found[0]["trigger_event_ids"] == [good["event_id"]]
            ours = lambda v: client_id in v.get("_raw", b"").decode(errors="replace") or v.get("client_id") == client_id
            # Other consumers of the topic (the e2e system's timeline writer) dead-letter the same records too.
            headers = await wait_until(lambda: _from_detector(dlq, ours), timeout=30, reason="the detector's DLQ records")
            assert [h[DLQ_REASON] for h in headers] == ["value is not valid JSON",
                                                        "answers: List should have at least 1 item after validation, not 0"]
            assert all(h[DLQ_TOPIC] == CHECKINS and h[DLQ_SERVICE] == "detector" for h in headers)
            assert [(int(h[DLQ_PARTITION]), int(h[DLQ_OFFSET])) for h in headers] == [(m.partition, m.offset) for m in sent]
            assert "secret" not in worker.log_tail(200)

        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        # Exact counts only hold when this worker owns the partition: in a full run the e2e system's detector
        # shares the consumer group, so only the metric families are checked here.
        for family in ("rapport_detector_events_total", "rapport_consumer_lag", "rapport_detector_signals_total"):
            assert f"# TYPE {family}" in metrics
    finally:
        await producer.stop()
        worker.stop()


async def _from_detector(dlq: TopicRecorder, ours) -> list[dict] | None:
    await dlq.expect(ours, count=1, timeout=30)
    headers = [h for h in dlq.headers_of(ours) if h[DLQ_SERVICE] == "detector"]
    return headers if len(headers) >= 2 else None
