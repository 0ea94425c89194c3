"""The live detector judges a backlog in batches: the same signals as the core one check-in at a time, far fewer
changelog records than check-ins with the final state last, and a redelivered backlog adds no signal."""

import json
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from schemas.topics import CHECKINS, SIGNALS
from services.common.kafka import client_options
from services.detector.app import STATE_TABLE
from services.detector.codec import decode_state
from services.detector.core import DetectorConfig, evaluate
from tests.helpers import ServiceProcess, TopicRecorder, wait_until
from tests.unit.detector.builders import brs_score, checkin, mood, srs

pytestmark = [pytest.mark.integration, pytest.mark.flaky(reruns=2)]  # the embedded broker's end-offset flake

DAYS = 40


def sliding_history(client_id) -> list:
    """Daily mood, weekly BRS and SRS; the last ten days low, so the trend rules fire."""
    events = []
    for day in range(DAYS):
        low = day >= DAYS - 10
        answers = mood(2 if low else 7)
        if day % 7 == 0:
            answers += brs_score(2 if low else 4)
        if day % 7 == 3:
            answers += srs(30 if low else 38)
        events.append(checkin(client_id, day, answers))
    return events


def one_at_a_time(events):
    state, signals = None, []
    for c in events:
        state, found = evaluate(state, c, c.occurred_at, DetectorConfig())
        signals += found
    return state, signals


def summary(signal: dict) -> tuple:
    return signal["kind"], signal["signal_id"], signal["trigger_event_ids"]


async def publish(producer, events) -> None:
    for c in events:
        await producer.send_and_wait(CHECKINS, c.model_dump_json().encode(), key=str(c.client_id).encode())


async def changelog_values(settings, topic: str, key: bytes) -> list[bytes]:
    """Every value written for `key` to the changelog, from its beginning."""
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False, auto_offset_reset="earliest",
                                fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms)
    consumer.subscribe([topic])  # tracks the topic's metadata; without a group every partition is assigned
    await consumer.start()
    try:
        values, empty_polls = [], 0
        while empty_polls < 5:  # Tansu's reported end offsets are unreliable: read until it stays quiet
            batches = await consumer.getmany(timeout_ms=200)
            found = [r.value for part in batches.values() for r in part if r.key == key]
            values += found
            empty_polls = 0 if batches else empty_polls + 1
        return values
    finally:
        await consumer.stop()


async def test_a_backlog_judged_in_batches_matches_one_at_a_time(kafka_settings, service_env, port, tmp_path,
                                                                  producer):
    app_id = f"rapport-detector-batches-{uuid.uuid4().hex[:8]}"  # its own group and changelog
    env = service_env | {"RAPPORT_DETECTOR_APP_ID": app_id, "RAPPORT_DETECTOR_WEB_PORT": str(port),
                         "RAPPORT_DETECTOR_DATA_DIR": str(tmp_path / "data"),
                         "RAPPORT_DETECTOR_CLOCK_INTERVAL_S": "3600"}  # the history is months old: no missed check-ins
    sliding, steady = uuid.uuid4(), uuid.uuid4()
    events = [c for pair in zip(sliding_history(sliding), sliding_history(steady)[:10]) for c in pair]
    events += sliding_history(sliding)[10:]
    final_state, expected = one_at_a_time([c for c in events if c.client_id == sliding])
    assert {s.kind.value for s in expected} >= {"mood.sustained_decline", "resilience.reliable_drop",
                                                 "alliance.rupture"}
    mine = lambda v: v.get("client_id") == str(sliding)  # noqa: E731
    worker = ServiceProcess(["detector"], env, tmp_path, f"http://127.0.0.1:{port}/healthz")
    try:
        async with TopicRecorder(kafka_settings, SIGNALS) as signals:
            await publish(producer, events)  # a backlog before the worker starts: it is taken in batches
            worker.start()
            await worker.wait_healthy(timeout=90)
            published = await wait_until(lambda: emitted(worker, sliding, len(expected)), timeout=120,
                                         reason=f"{len(expected)} signals of the client in the worker's log")
            assert published == [(s.kind.value, str(s.signal_id)) for s in expected]
            # On the topic with their triggers (the session's own detector publishes the same ids: one each counts).
            on_topic = await signals.expect(mine, count=len(expected), timeout=30)
            assert {s["signal_id"]: summary(s) for s in on_topic} == {
                str(s.signal_id): (s.kind.value, str(s.signal_id), [str(i) for i in s.trigger_event_ids])
                for s in expected}

            key = str(sliding).encode()
            changelog = f"{app_id}-{STATE_TABLE}-changelog"
            written = await wait_until(lambda: _final(kafka_settings, changelog, key, final_state), timeout=60,
                                       reason="the final state as the last changelog record of the client")
            assert len(written) < DAYS / 2, f"{len(written)} changelog records for {DAYS} check-ins: not batched"

            await publish(producer, events)  # redelivered, then a marker on the same client (same partition)
            marker = checkin(sliding, DAYS, mood(5), help_requested=True)
            await publish(producer, [marker])
            await signals.expect(lambda v: mine(v) and v["trigger_event_ids"] == [str(marker.event_id)], timeout=60)
            after = await wait_until(lambda: emitted(worker, sliding, len(expected) + 1), timeout=30,
                                     reason="the marker's signal in the worker's log")
            assert after[:-1] == published, "the redelivered backlog signalled again"
            assert "Traceback" not in worker.log_tail(400), worker.log_tail(400)
    finally:
        worker.stop()


async def emitted(worker: ServiceProcess, client, at_least: int) -> list[tuple[str, str]] | None:
    """(kind, signal id) of each signal this worker published for `client`, from its own log, once there are
    `at_least`: the session's detector reads the same topic and publishes the same signals."""
    entries = [json.loads(line) for line in worker.log_tail(1_000_000).splitlines() if line.startswith("{")]
    found = [(e["kind"], e["signal_id"]) for e in entries if e.get("msg") == "signal" and e.get("client_id") == str(client)]
    return found if len(found) >= at_least else None


async def _final(settings, topic, key, expected_state) -> list[bytes] | None:
    values = await changelog_values(settings, topic, key)
    return values if values and decode_state(values[-1])[1] == expected_state else None
