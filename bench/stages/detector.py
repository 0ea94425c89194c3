"""Detector throughput with all rules beside a bare one-Table faust agent, draining the same backlog.

The backlog is published first (that publish is the direct-Kafka ingest baseline), then each consumer
starts as its own process with a new consumer group and reads the whole topic; its rate is taken from
its own processed-events counter on /metrics, between the first count and the count that reaches the
end (offset commits every 2.8 s are too coarse for that). A full run alternates them, bare agent, detector,
bare agent, detector, and compares the best round of each (a quick run measures one of each).
"""

import asyncio
import json
import time
from datetime import UTC, datetime

import httpx
import psutil

from bench import targets
from bench.context import BenchContext
from bench.bare_agent import PROCESSED_METRIC
from bench.kafka_probe import end_offsets, latest_value_sizes, produce_all
from bench.profiling import profiled
from bench.report import Figure
from bench.stats import drain_rate, metric_value, rate
from bench.system import service_missing
from bench.workload import client_ids, encode, history
from schemas.topics import CHECKINS
from services.common.stack import free_port

DETECTOR_METRIC = "rapport_detector_events_total"  # services/detector/metrics.py
# faust names a Table's changelog "<app id>-<table name>-changelog" (services/detector/app.py, bench/bare_agent.py)
DETECTOR_CHANGELOG = "rapport-detector-client-state-changelog"
BARE_APP = "rapport-bench-bare"
BARE_CHANGELOG = f"{BARE_APP}-bench-bare-checkins-changelog"


async def publish_backlog(ctx: BenchContext) -> int:
    """Publish the detector backlog straight to Kafka and record the direct-produce rate; return the topic size."""
    plan = ctx.plan
    clients = client_ids(max(plan.events // plan.history_days, 1), plan.seed, "detector")
    records = [encode(e) for e in history(clients, plan.history_days, plan.seed, datetime.now(UTC))]
    ctx.progress(f"detector: publishing a backlog of {len(records):,} check-ins ({len(clients):,} clients) to Kafka")
    count, seconds = await produce_all(ctx.kafka, CHECKINS, records)
    ctx.shared["direct_produce_rate"] = rate(count, seconds)
    ctx.shared["detector_clients"] = len(clients)
    return sum((await end_offsets(ctx.kafka, CHECKINS)).values())


async def processed_samples(ctx: BenchContext, metrics_url: str, metric: str, total: int, label: str,
                            process: str) -> list[tuple[float, int]]:
    """Poll the consumer's own processed-events counter every 50 ms until it reaches `total`."""
    proc, samples = ctx.system.procs[process], []
    deadline = time.monotonic() + 60 + total / 100
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{label} exited with code {proc.returncode}; see {ctx.system.log_dir / process}.log")
            try:
                value = metric_value((await client.get(metrics_url)).text, metric)
            except httpx.HTTPError:
                value = None
            samples.append((time.monotonic(), int(value or 0)))
            if samples[-1][1] >= total:
                return samples
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{label} processed {samples[-1][1] if samples else 0:,} of {total:,} check-ins in time")


async def drain(ctx: BenchContext, metrics_url: str, metric: str, total: int, label: str, process: str) -> float | None:
    """The consumer's rate while it drains the backlog: from its first processed event to the last."""
    ctx.progress(f"detector: {label} draining {total:,} check-ins")
    with profiled(ctx.profile_dir, process, ctx.system.procs[process].pid):
        samples = await processed_samples(ctx, metrics_url, metric, total, label, process)
    measured = drain_rate(samples, total)
    (ctx.system.log_dir / f"{process}-drain.json").write_text(json.dumps(samples))
    ctx.progress(f"detector: {label}: {measured or 0:,.0f} check-ins/s")
    return measured


async def bare_agent_rate(ctx: BenchContext, total: int, round_: int) -> float | None:
    """One drain of the backlog by a fresh bare agent (its own app id, so its own group and changelog)."""
    port, app_id = free_port(), BARE_APP if round_ == 1 else f"{BARE_APP}-{round_}"
    ctx.system.start_module("bare-agent", ["bench.bare_agent", "--bootstrap", ctx.system.bootstrap, "--web-port",
                                           str(port), "--app-id", app_id])
    try:
        return await drain(ctx, f"http://127.0.0.1:{port}/metrics", PROCESSED_METRIC, total,
                           f"bare faust agent (round {round_})", "bare-agent")
    finally:
        ctx.system.stop("bare-agent")


async def run(ctx: BenchContext) -> None:
    total = await publish_backlog(ctx)
    bare_rates = [await bare_agent_rate(ctx, total, 1)]
    bare_label = "bare faust agent (1 Table update/event)"
    missing = service_missing("detector")
    if missing:
        ctx.report.skip("detector", "all rules vs bare agent", "check-ins/s", missing, targets.DETECTOR_VS_BARE)
        ctx.report.add(Figure("detector", bare_label, "check-ins/s", bare_rates[0]))
        return
    try:
        await asyncio.to_thread(ctx.system.start, "detector")
        measured = await drain(ctx, ctx.system.url("detector") + "/metrics", DETECTOR_METRIC, total,
                               "detector (all rules, round 1)", "detector")
        ctx.shared["detector_rss"] = psutil.Process(ctx.system.procs["detector"].pid).memory_info().rss
        ctx.shared["live_state_sizes"] = await latest_value_sizes(ctx.kafka, DETECTOR_CHANGELOG)
        ctx.shared["bare_state_sizes"] = await latest_value_sizes(ctx.kafka, BARE_CHANGELOG)
        ctx.keep.add("detector")  # caught up: the alert-latency stage uses it warm
        detector_rates = [measured]
        if not ctx.plan.quick:  # alternate the two, best round of each: a slow spell of a busy box hits one round
            bare_rates.append(await bare_agent_rate(ctx, total, 2))
            detector_rates.append(await second_detector_rate(ctx, total))
    except Exception:
        ctx.report.add(Figure("detector", bare_label, "check-ins/s", bare_rates[0]))
        raise
    bare, detector = [r for r in bare_rates if r], [r for r in detector_rates if r]
    ctx.report.add(Figure("detector", "all rules", "check-ins/s", max(detector, default=None), bare_label,
                          max(bare, default=None), targets.DETECTOR_VS_BARE,
                          note=f"backlog {total:,} check-ins, each consumer a new process and group; rate from its "
                               f"processed-events counter, start-up excluded; best of alternating rounds, bare agent "
                               f"{_rounds(bare)}, detector {_rounds(detector)}"))


def _rounds(rates: list[float]) -> str:
    return ", ".join(f"{r:,.0f}" for r in rates)


async def second_detector_rate(ctx: BenchContext, total: int) -> float | None:
    """A second drain by a fresh detector with an app id (so a group and changelog) and data folder of its own."""
    app_id = "rapport-detector-bench-2"
    ctx.system.start("detector", {"RAPPORT_DETECTOR_APP_ID": app_id,
                                  "RAPPORT_DETECTOR_DATA_DIR": str(ctx.system.root / app_id)}, as_name="detector-2")
    try:
        return await drain(ctx, ctx.system.url("detector-2") + "/metrics", DETECTOR_METRIC, total,
                           "detector (all rules, round 2)", "detector-2")
    finally:
        ctx.system.stop("detector-2")
