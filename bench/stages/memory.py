"""Detector memory: bytes of state per client and resident memory per 100,000 clients, beside the bare agent.

Two measurements, each said in its figure: the serialised Table values the live detector wrote to its
changelog during the detector stage (latest value per client), and the resident-set growth of a fresh
process holding N client states the way the in-memory Table holds them (see `bench/memory_probe.py`).
"""

import asyncio
import json
import subprocess
import sys

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench import targets
from bench.context import BenchContext
from bench.kafka_probe import end_offsets
from bench.report import Figure
from bench.system import REPO_ROOT, service_missing
from services.common.kafka import client_options

# faust names a Table's changelog "<app id>-<table name>-changelog" (services/detector/app.py)
DETECTOR_CHANGELOG = "rapport-detector-client-state-changelog"
BARE_CHANGELOG = "rapport-bench-bare-bench-bare-checkins-changelog"
PER = 100_000


async def latest_value_sizes(ctx: BenchContext, topic: str) -> dict[bytes, int]:
    """key -> size of key plus its latest value, read from a changelog topic up to its end."""
    ends = await end_offsets(ctx.kafka, topic)
    consumer = AIOKafkaConsumer(**client_options(ctx.kafka), enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    sizes: dict[bytes, int] = {}
    try:
        tps = [TopicPartition(topic, p) for p, end in ends.items() if end > 0]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        remaining = set(tps)
        while remaining:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for r in records:
                    sizes[r.key] = len(r.key) + len(r.value or b"")
                if records and records[-1].offset + 1 >= ends[tp.partition]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return sizes


def probe(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "bench.memory_probe", *args], cwd=REPO_ROOT, check=True,
                          capture_output=True, text=True)
    return done.stdout


async def run(ctx: BenchContext) -> None:
    missing = service_missing("detector")
    if missing:
        ctx.report.skip("memory", "detector state per client", "bytes", missing, targets.STATE_BYTES_PER_CLIENT)
        return
    live = await latest_value_sizes(ctx, DETECTOR_CHANGELOG) if "detector_clients" in ctx.shared else {}
    bare = await latest_value_sizes(ctx, BARE_CHANGELOG) if live else {}
    if live:
        ctx.report.add(Figure(
            "memory", "state per client, live detector changelog", "bytes", sum(live.values()) / len(live),
            "bare agent changelog", sum(bare.values()) / len(bare) if bare else None, targets.STATE_BYTES_PER_CLIENT,
            note=f"latest key+value per client of {DETECTOR_CHANGELOG}: {len(live):,} clients after the detector "
                 f"stage's backlog ({ctx.plan.history_days} days of check-ins each)"))
    plan, templates = ctx.plan, ctx.system.root / "memory-templates.jsonl"
    histories = min(500, plan.memory_clients)
    ctx.progress(f"memory: {histories} simulated histories of {plan.replay_days} days through the detection core")
    await asyncio.to_thread(probe, "build", "--out", str(templates), "--clients", str(histories), "--days",
                            str(plan.replay_days), "--seed", str(plan.seed))
    ctx.progress(f"memory: holding {plan.memory_clients:,} client states in a fresh process")
    held = json.loads(await asyncio.to_thread(probe, "hold", "--templates", str(templates), "--clients",
                                              str(plan.memory_clients)))
    base = json.loads(await asyncio.to_thread(probe, "hold", "--templates", str(templates), "--clients",
                                              str(plan.memory_clients), "--kind", "bare"))
    scale = PER / plan.memory_clients
    ctx.report.add(Figure(
        "memory", f"state per client after {plan.replay_days} days", "bytes", held["serialised_bytes"] / held["clients"],
        "bare agent (1 count)", base["serialised_bytes"] / base["clients"], targets.STATE_BYTES_PER_CLIENT,
        note=f"encoded Table values of {histories} simulated clients after {plan.replay_days} days in the detection core"))
    ctx.report.add(Figure(
        "memory", "detector RSS per 100,000 clients", "MiB", held["rss_bytes"] * scale / 2**20,
        "bare agent RSS per 100,000 clients", base["rss_bytes"] * scale / 2**20,
        note=f"resident-set growth of a fresh process holding {plan.memory_clients:,} states as bytes -> bytes "
             f"(the in-memory Table), scaled to 100,000"))
