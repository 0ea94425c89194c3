"""`rapport simulate` end to end: valid JSONL and labels on disk, and the same cohort via Kafka or the gateway."""

import asyncio
import os
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from schemas.topics import CHECKINS
from services.common.http import EmbeddedServer
from services.common.stack import free_port
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from tests.helpers import TopicRecorder

pytestmark = pytest.mark.integration

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas/json/checkin.submitted.v1.json").read_text())
# Recent, so the gateway finds every simulated check-in plausible (it refuses times over a year old).
UNTIL = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT12:00:00+0000")


async def simulate(*args: str, env: dict | None = None) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "simulate", *args, "--until", UNTIL, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    return err.decode()


async def test_output_validates_against_the_committed_json_schema(tmp_path):
    out = tmp_path / "cohort.jsonl"
    await simulate("--clients", "40", "--days", "45", "--seed", "5", "--out", str(out))
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    lines = out.read_text().splitlines()
    assert len(lines) > 40 * 30
    for line in lines:
        validator.validate(json.loads(line))
    labels = json.loads((tmp_path / "cohort.labels.json").read_text())
    assert {label["client_id"] for label in labels["labels"]} == {json.loads(line)["client_id"] for line in lines}
    assert labels["checkins"] == len(lines)


async def test_via_kafka_publishes_every_checkin_keyed_by_client(tmp_path, kafka_settings):
    out = tmp_path / "cohort.jsonl"
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.kafka_bootstrap_servers}
    async with TopicRecorder(kafka_settings, CHECKINS) as recorder:
        progress = await simulate("--clients", "6", "--days", "14", "--seed", "21", "--via", "kafka",
                                  "--as-fast-as-possible", "--out", str(out), env=env)
        ids = {json.loads(line)["event_id"] for line in out.read_text().splitlines()}
        await recorder.expect(lambda v: v.get("event_id") in ids, count=len(ids))
        keys = {r.key.decode() for r in recorder.records if json.loads(r.value).get("event_id") in ids}
    assert "publishing via kafka" in progress and "(100%)" in progress
    assert len(keys) == 6


async def test_via_gateway_mints_tokens_and_publishes_every_checkin(tmp_path, kafka_settings, database_url):
    port = free_port()
    settings = GatewaySettings(kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers, database_url=database_url)
    server = EmbeddedServer(create_app(settings), "127.0.0.1", port)
    await server.start()
    out = tmp_path / "cohort.jsonl"
    try:
        async with TopicRecorder(kafka_settings, CHECKINS) as recorder:
            await simulate("--clients", "5", "--days", "20", "--seed", "8", "--via", "gateway", "--rate", "400",
                           "--gateway-url", f"http://127.0.0.1:{port}", "--out", str(out))
            ids = {json.loads(line)["event_id"] for line in out.read_text().splitlines()}
            found = await recorder.expect(lambda v: v.get("event_id") in ids, count=len(ids))
        assert {v["event_id"] for v in found} == ids
    finally:
        await server.stop()
