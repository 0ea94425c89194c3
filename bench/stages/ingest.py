"""Ingest: check-ins/s accepted by the gateway (single and batch endpoint) beside direct Kafka produce.

The gateway is driven by a concurrent httpx client in the bench process, so on a small machine the
client and the gateway share the cores; the direct-produce figure comes from the detector backlog.
"""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import psutil

from bench.context import BenchContext
from bench.profiling import profiled
from bench.report import Figure
from bench.stats import rate
from bench.system import service_missing
from bench.kafka_probe import produce_all
from bench.workload import client_ids, encode, history
from schemas.topics import CHECKINS
from services.common.auth import issue_dev_token

DIRECT = "direct Kafka produce (acks=all)"


class CpuUse:
    """CPU seconds the gateway and the bench's own client used over a block: which side was the limit."""

    def __init__(self, gateway_pid: int):
        self.gateway, self.client = psutil.Process(gateway_pid), psutil.Process()

    @staticmethod
    def _cpu(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    def __enter__(self) -> "CpuUse":
        self.start = (self._cpu(self.gateway), self._cpu(self.client))
        return self

    def __exit__(self, *exc) -> None:
        self.used = (self._cpu(self.gateway) - self.start[0], self._cpu(self.client) - self.start[1])

    def summary(self, seconds: float) -> str:
        return (f"over {seconds:.1f}s the gateway used {self.used[0]:.1f} CPU-s and the bench's httpx client "
                f"{self.used[1]:.1f} CPU-s")


def token_headers(client_ids_) -> dict[str, dict[str, str]]:
    return {str(c): {"Authorization": f"Bearer {issue_dev_token(str(c), 'client')}"} for c in client_ids_}


def accepted_single(response: httpx.Response) -> int:
    return 1 if response.status_code == 202 else 0


def accepted_in_batch(response: httpx.Response) -> int:
    return response.json().get("accepted", 0) if response.status_code == 200 else 0


async def post_all(base_url: str, path: str, bodies: list[tuple[dict, object]], concurrency: int,
                   accepted_of=accepted_single) -> tuple[int, int, float, str]:
    """POST every (headers, body) with `concurrency` workers; return (check-ins accepted, requests failed,
    seconds, first error)."""
    queue = list(reversed(bodies))
    accepted = failed = 0
    first_error = ""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal accepted, failed, first_error
        while queue:
            headers, body = queue.pop()
            response = await client.post(path, json=body, headers=headers)
            count = accepted_of(response)
            accepted += count
            if not count:
                failed += 1
                first_error = first_error or f"{response.status_code} {response.text[:200]}"

    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        await client.get("/healthz")
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return accepted, failed, time.perf_counter() - started, first_error


def batches_per_client(events: list[dict], size: int) -> list[list[dict]]:
    """A client app syncs its own check-ins: each batch holds one client's events, in order."""
    by_client: dict[str, list[dict]] = {}
    for event in events:
        by_client.setdefault(event["client_id"], []).append(event)
    out = []
    for items in by_client.values():
        out += [items[i:i + size] for i in range(0, len(items), size)]
    return out


async def run(ctx: BenchContext) -> None:
    plan, direct = ctx.plan, ctx.shared.get("direct_produce_rate")
    if direct is None:  # the detector stage did not run: measure it here on a cohort of its own
        ctx.progress(f"ingest: publishing {plan.events:,} check-ins straight to Kafka")
        events = history(client_ids(max(plan.events // 10, 1), plan.seed, "ingest-direct"), 10, plan.seed,
                         datetime.now(UTC) - timedelta(hours=1))
        count, seconds = await produce_all(ctx.kafka, CHECKINS, [encode(e) for e in events])
        direct = rate(count, seconds)
    ctx.report.add(Figure("ingest", DIRECT, "check-ins/s", direct, note=f"{plan.events:,} check-ins, pipelined aiokafka producer"))
    missing = service_missing("gateway")
    if missing:
        ctx.report.skip("ingest", "gateway POST /v1/checkins", "check-ins/s", missing)
        ctx.report.skip("ingest", "gateway POST /v1/checkins:batch", "check-ins/s", missing)
        return
    ctx.progress("ingest: starting the gateway")
    await asyncio.to_thread(ctx.system.start, "gateway")
    base = ctx.system.url("gateway")
    end = datetime.now(UTC) - timedelta(hours=1)

    singles = client_ids(max(plan.single_posts // 10, 1), plan.seed, "ingest-single")
    headers = token_headers(singles)
    events = list(history(singles, 10, plan.seed, end))[: plan.single_posts]
    ctx.progress(f"ingest: {len(events):,} x POST /v1/checkins, {plan.http_concurrency} concurrent")
    gateway = ctx.system.procs["gateway"].pid
    with profiled(ctx.profile_dir, "gateway-single", gateway), CpuUse(gateway) as cpu:
        ok, failed, seconds, error = await post_all(base, "/v1/checkins", [(headers[e["client_id"]], e) for e in events],
                                                    plan.http_concurrency)
    ctx.report.add(Figure("ingest", "gateway POST /v1/checkins", "check-ins/s", rate(ok, seconds), DIRECT, direct,
                          note=f"{ok:,} accepted, {failed} refused" + (f" (first: {error})" if error else "")
                          + f"; {cpu.summary(seconds)}"))

    days = plan.batch_size
    batch_clients = client_ids(max(plan.events // days, 1), plan.seed, "ingest-batch")
    headers = token_headers(batch_clients)
    batches = batches_per_client(list(history(batch_clients, days, plan.seed, end)), plan.batch_size)
    count = sum(len(b) for b in batches)
    ctx.progress(f"ingest: {count:,} check-ins in {len(batches):,} x POST /v1/checkins:batch")
    with profiled(ctx.profile_dir, "gateway-batch", gateway), CpuUse(gateway) as cpu:
        ok, failed, seconds, error = await post_all(
            base, "/v1/checkins:batch", [(headers[b[0]["client_id"]], {"checkins": b}) for b in batches],
            max(plan.http_concurrency // 4, 2), accepted_in_batch)
    ctx.report.add(Figure("ingest", f"gateway POST /v1/checkins:batch ({plan.batch_size}/request)", "check-ins/s",
                          rate(ok, seconds), DIRECT, direct,
                          note=f"{ok:,} of {count:,} accepted, {failed} requests refused"
                          + (f" (first: {error})" if error else "") + f"; {cpu.summary(seconds)}"))
