"""Detector throughput with all rules beside a bare one-Table faust agent, draining the same backlog.

The backlog is published first (that publish is the direct-Kafka ingest baseline), then each consumer
starts as its own process with a new consumer group and reads the whole topic; its rate is taken from
the committed offsets the broker sees, between its first commit and the commit that reaches the end.
"""

import asyncio
from datetime import UTC, datetime

from aiokafka.admin import AIOKafkaAdminClient

from bench import targets
from bench.context import BenchContext
from bench.kafka_probe import GroupWatch, end_offsets, produce_all
from bench.report import Figure
from bench.stats import drain_rate, rate
from bench.system import service_missing
from bench.workload import client_ids, encode, history
from schemas.topics import CHECKINS
from services.common.kafka import client_options
from services.common.stack import free_port

BARE_GROUP = "rapport-bench-bare"


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


async def consumer_groups(ctx: BenchContext) -> set[str]:
    admin = AIOKafkaAdminClient(**client_options(ctx.kafka))
    await admin.start()
    try:
        return {group for group, *_ in await admin.list_consumer_groups()}
    finally:
        await admin.close()


async def drain(ctx: BenchContext, group: str, total: int, label: str, process: str) -> float | None:
    ctx.progress(f"detector: {label} draining {total:,} check-ins (group {group})")
    proc = ctx.system.procs[process]

    def exited() -> str | None:
        code = proc.poll()
        return None if code is None else f"{label} exited with code {code}; see {ctx.system.log_dir / process}.log"

    async with GroupWatch(ctx.kafka, group, CHECKINS) as watch:
        samples = await watch.until(total, timeout_s=60 + total / 200, abort=exited)
    reached = samples[-1][1] if samples else 0
    if reached < total:
        raise RuntimeError(f"{label} committed {reached:,} of {total:,} check-ins before the timeout")
    measured = drain_rate(samples, total)
    ctx.progress(f"detector: {label}: {measured or 0:,.0f} check-ins/s")
    return measured


async def find_new_group(ctx: BenchContext, before: set[str], timeout_s: float = 60) -> str:
    for _ in range(int(timeout_s / 0.2)):
        new = await consumer_groups(ctx) - before
        if new:
            return sorted(new)[0]
        await asyncio.sleep(0.2)
    raise RuntimeError("the detector joined no consumer group")


async def run(ctx: BenchContext) -> None:
    total = await publish_backlog(ctx)
    port = free_port()
    ctx.system.start_module("bare-agent", ["bench.bare_agent", "--bootstrap", ctx.system.bootstrap, "--web-port", str(port)])
    try:
        bare = await drain(ctx, BARE_GROUP, total, "bare faust agent", "bare-agent")
    finally:
        ctx.system.stop("bare-agent")
    missing = service_missing("detector")
    if missing:
        ctx.report.skip("detector", "all rules vs bare agent", "check-ins/s", missing, targets.DETECTOR_VS_BARE)
        ctx.report.add(Figure("detector", "bare faust agent (1 Table update/event)", "check-ins/s", bare))
        return
    try:
        before = await consumer_groups(ctx)
        await asyncio.to_thread(ctx.system.start, "detector")
        group = await find_new_group(ctx, before)
        measured = await drain(ctx, group, total, "detector (all rules)", "detector")
    except Exception:
        ctx.report.add(Figure("detector", "bare faust agent (1 Table update/event)", "check-ins/s", bare))
        raise
    ctx.shared["detector_group"] = group
    ctx.report.add(Figure("detector", "all rules", "check-ins/s", measured, "bare faust agent (1 Table update/event)",
                          bare, targets.DETECTOR_VS_BARE, note=f"backlog {total:,} check-ins, rate between first "
                          "and last offset commit"))
