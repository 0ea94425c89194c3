"""How long an alert event takes from `rapport.alerts.v1` to an open stream, under a steady load of check-ins."""

import asyncio
import statistics
import time
import uuid

import pytest

from schemas.topics import ALERTS, CHECKINS
from tests.integration.test_dashboard_api import engine, seed_care_teams  # noqa: F401 - fixture
from tests.integration.test_dashboard_stream import (  # noqa: F401 - fixtures
    SseClient, checkin, instances, opened, producer, publish,
)

pytestmark = pytest.mark.integration
PROBES = 60
BACKGROUND_PER_S = 200


async def background_checkins(producer, stop: asyncio.Event) -> int:  # noqa: F811
    """Check-ins of clients nobody here treats, at a steady rate: the reader decodes and filters every one."""
    sent, started = 0, time.monotonic()
    while not stop.is_set():
        due = int((time.monotonic() - started) * BACKGROUND_PER_S)
        for _ in range(due - sent):
            key, value = checkin(uuid.uuid4()).to_kafka()
            await producer.send(CHECKINS, value, key=key)
        sent = max(sent, due)
        await asyncio.sleep(0.02)
    return sent


async def test_alert_to_stream_latency_under_background_load(instances, engine, producer):  # noqa: F811
    teams = await seed_care_teams(engine)
    stop = asyncio.Event()
    load = asyncio.create_task(background_checkins(producer, stop))
    latencies = []
    try:
        async with SseClient(instances[0], teams.headers(teams.a)) as stream:
            for _ in range(PROBES):
                event = opened(teams.shared)
                started = time.monotonic()
                await publish(producer, ALERTS, event)
                arrived = await stream.expect(lambda e, wanted=str(event.event_id): e["data"]["event_id"] == wanted,
                                              timeout=10, reason="the probe alert on the stream")
                latencies.append((arrived[0]["received"] - started) * 1000)
    finally:
        stop.set()
        background = await load
    latencies.sort()
    p50, p95, p99 = (latencies[min(int(q * len(latencies)), len(latencies) - 1)] for q in (0.5, 0.95, 0.99))
    print(f"\nalerts.v1 -> SSE, {PROBES} probes, {background} background check-ins at {BACKGROUND_PER_S}/s: "
          f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms, mean {statistics.mean(latencies):.0f} ms")
    assert p95 < 1000, "one hop and a fan-out should stay well under a second"
