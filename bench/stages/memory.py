"""Detector memory: bytes of state per client and resident memory per 100,000 clients, beside the bare agent.

Two measurements, each said in its figure: the serialised Table values the live detector wrote to its
changelog during the detector stage (latest value per client), and the resident-set growth of a fresh
process holding N client states the way the in-memory Table holds them (see `bench/memory_probe.py`).
"""

import asyncio
import json
import subprocess
import sys

from bench import targets
from bench.context import BenchContext
from bench.report import Figure
from bench.system import REPO_ROOT, service_missing

PER = 100_000


def probe(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "bench.memory_probe", *args], cwd=REPO_ROOT, check=True,
                          capture_output=True, text=True)
    return done.stdout


async def run(ctx: BenchContext) -> None:
    missing = service_missing("detector")
    if missing:
        ctx.report.skip("memory", "detector state per client", "bytes", missing, targets.STATE_BYTES_PER_CLIENT)
        return
    live, bare = ctx.shared.get("live_state_sizes"), ctx.shared.get("bare_state_sizes")
    if live:
        ctx.report.add(Figure(
            "memory", "state per client, live detector changelog", "bytes", sum(live.values()) / len(live),
            "bare agent changelog", sum(bare.values()) / len(bare) if bare else None, targets.STATE_BYTES_PER_CLIENT,
            note=f"latest key+value per client in the detector's Table changelog, read right after the detector "
                 f"stage: {len(live):,} clients of its backlog (up to {ctx.plan.history_days} days of check-ins each)"))
    plan, templates = ctx.plan, ctx.system.root / "memory-templates.jsonl"
    histories = min(plan.memory_histories, plan.memory_clients)
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
