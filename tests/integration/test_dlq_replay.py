"""`rapport dlq replay` on the real broker: dry-run publishes nothing, a replay republishes exactly the selection."""

import asyncio
import json
import os
import sys
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from schemas.topics import CHECKINS
from services.common.kafka import client_options, ensure_topics, make_producer, send_to_dlq
from services.tools.dlq import REPLAYED_FROM
from tests.helpers import TopicRecorder

pytestmark = pytest.mark.integration


def dead_record(topic: str, offset: int, value: dict) -> ConsumerRecord:
    key = value["client_id"].encode()
    body = json.dumps(value).encode()
    return ConsumerRecord(topic, 0, offset, 0, 0, key, body, None, len(key), len(body), ())


async def rapport(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *args, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode, out.decode(), err.decode()


async def end_offsets_total(settings, topic: str) -> int:
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()


async def test_dry_run_then_replay_republishes_only_the_selection(kafka_settings, service_env):
    origin = f"rapport.test.replay.{uuid.uuid4().hex[:8]}"
    token = uuid.uuid4().hex
    await ensure_topics(kafka_settings, [origin])
    client_id = str(uuid.uuid4())
    values = [{"client_id": client_id, "n": n, "note": f"secret-note-{token}"} for n in range(4)]
    producer = make_producer(kafka_settings)
    await producer.start()
    try:
        await asyncio.gather(  # one producer batch: Tansu under-reports the end offset of such a batch
            send_to_dlq(producer, dead_record(origin, 10, values[0]), f"timezone missing {token}", "test"),
            send_to_dlq(producer, dead_record(origin, 11, values[1]), f"timezone missing {token}", "test"),
        )
        await send_to_dlq(producer, dead_record(origin, 12, values[2]), f"bad json {token}", "test")
        await send_to_dlq(producer, dead_record(CHECKINS, 13, values[3]), f"timezone missing {token}", "test")
    finally:
        await producer.stop()
    selection = ["--topic", origin, "--reason", f"timezone missing {token}"]

    code, out, err = await rapport(service_env, "dlq", "replay", *selection, "--dry-run")
    assert code == 0, err
    assert "selected 2, would republish 2" in out
    assert err.count(f"<- {origin} 0:1") == 2 and "secret-note" not in out + err, err
    assert f"       2  {origin}  timezone missing {token}" in err  # the summary by origin and reason
    assert await end_offsets_total(kafka_settings, origin) == 0

    async with TopicRecorder(kafka_settings, origin) as recorder:
        code, out, err = await rapport(service_env, "dlq", "replay", *selection)
        assert code == 0, err
        assert "selected 2, republished 2" in out
        replayed = await recorder.expect(lambda v: v.get("client_id") == client_id, count=2)
    assert sorted(v["n"] for v in replayed) == [0, 1]
    assert all(REPLAYED_FROM in h for h in recorder.headers_of(lambda v: v.get("client_id") == client_id))
    assert len(recorder.values(lambda v: v.get("client_id") == client_id)) == 2
