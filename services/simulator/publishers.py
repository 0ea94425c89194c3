"""Where a simulated cohort goes: a JSONL file, Kafka directly, or the gateway over HTTP with dev tokens."""

import asyncio
import json
from collections import defaultdict
from pathlib import Path

import httpx

from schemas.topics import CHECKINS
from services.common.auth import AuthSettings, issue_dev_token
from services.common.kafka import make_producer
from services.common.settings import KafkaSettings
from services.simulator.core.generator import Cohort
from services.simulator.pacing import Pacer, Progress


def write_jsonl(cohort: Cohort, path: Path) -> None:
    """One `checkin.submitted` per line, in arrival order (the input of `rapport replay`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for checkin in cohort.checkins:
            out.write(json.dumps(checkin.event, separators=(",", ":")) + "\n")


def write_labels(cohort: Cohort, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cohort.labels, indent=1) + "\n")


async def publish_to_kafka(cohort: Cohort, settings: KafkaSettings, pacer: Pacer, progress: Progress) -> None:
    """Produce every check-in keyed by client_id with acks=all, in arrival order."""
    producer = make_producer(settings, linger_ms=20)
    try:
        await producer.start()
        chunk, in_flight = _chunk_for(pacer.rate, 500), []
        window = chunk if pacer.rate else 5000  # paced runs report each chunk; fast runs keep more in flight
        for start in range(0, len(cohort.checkins), chunk):
            part = cohort.checkins[start:start + chunk]
            await pacer.wait(len(part))
            in_flight += [await producer.send(CHECKINS, json.dumps(c.event).encode(), key=c.event["client_id"].encode())
                          for c in part]
            if len(in_flight) >= window or start + chunk >= len(cohort.checkins):
                # Acknowledged (acks=all) before they count as published.
                await asyncio.gather(*in_flight)
                progress.advance(len(in_flight))
                in_flight = []
    finally:
        await producer.stop()


def _chunk_for(rate: float | None, largest: int) -> int:
    """Events per send: small enough at a low rate to keep the pace smooth (about ten sends a second)."""
    return largest if not rate else max(1, min(largest, int(rate / 10)))


class GatewayRefused(Exception):
    """The gateway rejected simulated check-ins (a bug in the simulator or a contract mismatch)."""


async def publish_to_gateway(cohort: Cohort, base_url: str, pacer: Pacer, progress: Progress,
                             auth: AuthSettings | None = None, batch_size: int = 100, concurrency: int = 8) -> None:
    """POST each client's check-ins in arrival order as batches, with a dev token minted per client."""
    per_client: dict[str, list[dict]] = defaultdict(list)
    for checkin in cohort.checkins:
        per_client[checkin.event["client_id"]].append(checkin.event)
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:

        batch_size = _chunk_for(pacer.rate, batch_size)

        async def send_client(client_id: str, events: list[dict]) -> None:
            headers = {"Authorization": f"Bearer {issue_dev_token(client_id, 'client', auth)}"}
            for start in range(0, len(events), batch_size):
                batch = events[start:start + batch_size]
                async with gate:
                    await pacer.wait(len(batch))
                    await _post_until_taken(http, {"checkins": batch}, headers)
                progress.advance(len(batch))

        await asyncio.gather(*(send_client(c, e) for c, e in per_client.items()))


async def _post_until_taken(http: httpx.AsyncClient, body: dict, headers: dict, attempts: int = 20) -> None:
    for _ in range(attempts):
        response = await http.post("/v1/checkins:batch", json=body, headers=headers)
        if response.status_code in (429, 503):
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        if response.status_code != 200:
            raise GatewayRefused(f"gateway answered {response.status_code}: {response.text[:300]}")
        result = response.json()
        if result["rejected"]:
            bad = [r for r in result["results"] if r["status"] == "rejected"][:3]
            raise GatewayRefused(f"gateway rejected {result['rejected']} simulated check-ins, e.g. {bad}")
        pending = [r["index"] for r in result["results"] if r["status"] == "unavailable"]
        if not pending:
            return
        body = {"checkins": [body["checkins"][i] for i in pending]}
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
    raise GatewayRefused(f"gateway did not take the check-ins after {attempts} attempts")
