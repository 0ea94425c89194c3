"""Alert latency: gateway 202 -> `alert` frame on an open SSE stream, under steady background check-ins.

Every service runs as its own process. Background check-ins (mood only, nothing alarming) are published
straight to `rapport.checkins.v1` at a steady rate so the bench process stays cheap and the gateway
serves only the probes. Each probe is a new care-team client posting a risk check-in through the
gateway; its latency runs from the 202 to the first `alert` frame for that client on the therapist's
stream. The baseline is one bare Kafka hop (produce -> consume) measured at the same time. Probes start only
once every consumer has drained what earlier stages left on its topics (see `drain_backlogs`).
"""

import asyncio
import time
from contextlib import ExitStack
from datetime import UTC, datetime

import httpx

from bench import targets
from bench.context import BenchContext
from bench.diagnostics import cpu_by_service, detector_progress, segment_summary
from bench.load import TopicArrivals, kafka_hops, steady_background
from bench.profiling import profiled
from bench.report import Figure
from bench.sse import AlertArrivals
from bench.stats import metric_value, percentile
from bench.system import service_missing
from bench.workload import client_ids, risk
from schemas.topics import ALERTS, SIGNALS
from services.common.auth import issue_dev_token
from services.common.db import make_engine
from services.common.settings import DatabaseSettings
from services.demo import seed

NEEDED = ("gateway", "detector", "notifier", "dashboard")
CAUGHT_UP = 50  # records of lag that count as drained (a fetch or two of live traffic)
THERAPIST = "Dr. Mika Laine"  # the primary therapist of services.demo's care team


async def probe(gateway: httpx.AsyncClient, client_id, accepted_at: dict[str, float]) -> None:
    headers = {"Authorization": f"Bearer {issue_dev_token(str(client_id), 'client')}"}
    response = await gateway.post("/v1/checkins", json=risk(client_id, datetime.now(UTC)), headers=headers)
    if response.status_code == 202:
        accepted_at[str(client_id)] = time.monotonic()


async def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        await asyncio.sleep(0.05)


async def start_services(ctx: BenchContext) -> None:
    names = [n for n in NEEDED + ("timeline",) if n not in ctx.system.procs and not service_missing(n)]
    ctx.progress(f"alert latency: starting {', '.join(names)}")
    await asyncio.gather(*(asyncio.to_thread(ctx.system.start, name) for name in names))


async def drain_backlogs(ctx: BenchContext, names: tuple[str, ...], timeout_s: float = 300) -> float:
    """Wait until each consumer has drained what earlier stages left on its topics; return the seconds it took.

    The figure is latency under steady load: the detector stage leaves thousands of signals (and check-ins) behind,
    and a probe queued behind them measures that backlog, not the pipeline. The warm-up alert alone is not enough:
    it only shows that the warm-up's own partition is through.
    """
    started, shown = time.monotonic(), 0.0
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            lags = {}
            for name in names:
                if name in ctx.system.procs:
                    text = (await client.get(ctx.system.url(name) + "/metrics")).text
                    lags[name] = metric_value(text, "rapport_consumer_lag") or 0.0
            waited = time.monotonic() - started
            if all(lag < CAUGHT_UP for lag in lags.values()):
                return waited
            if waited > timeout_s:
                raise RuntimeError(f"services still behind after {timeout_s:.0f}s: {lags}")
            if waited - shown >= 5:
                shown = waited
                ctx.progress("alert latency: draining earlier stages' backlog: "
                             + ", ".join(f"{n} {lag:,.0f} behind" for n, lag in lags.items()))
            await asyncio.sleep(0.5)


async def run(ctx: BenchContext) -> None:
    plan = ctx.plan
    missing = [why for why in map(service_missing, NEEDED) if why]
    if missing:
        for q in ("p50", "p95", "p99"):
            ctx.report.skip("alert latency", f"gateway 202 -> SSE alert {q}", "ms", "; ".join(missing))
        return
    probes = client_ids(int(plan.alert_seconds * plan.probes_per_second) + 1, plan.seed, "probe")
    engine = make_engine(DatabaseSettings(database_url=ctx.system.database_url))
    therapist_ids = await seed(engine, {c: "Europe/Berlin" for c in probes})
    await engine.dispose()
    await start_services(ctx)
    token = issue_dev_token(str(therapist_ids[THERAPIST]), "therapist")
    stream = AlertArrivals(ctx.system.url("dashboard") + "/api/stream", {"Authorization": f"Bearer {token}"})
    stop, sent, hops, accepted_at = asyncio.Event(), [0], [], {}
    signals, alerts = TopicArrivals(ctx.kafka, SIGNALS), TopicArrivals(ctx.kafka, ALERTS)
    readers_ready = [asyncio.Event(), asyncio.Event()]
    tasks = [asyncio.create_task(stream.read()), asyncio.create_task(signals.read(readers_ready[0])),
             asyncio.create_task(alerts.read(readers_ready[1]))]
    try:
        await wait_for(lambda: stream.connected and all(e.is_set() for e in readers_ready), 30,
                       "the SSE stream and the topic readers to open")
        async with httpx.AsyncClient(base_url=ctx.system.url("gateway"), timeout=30) as gateway:
            warmup, *probes = probes
            await probe(gateway, warmup, {})
            await wait_for(lambda: str(warmup) in stream.first_alert_at, 90, "the warm-up alert on the stream")
            drained = await drain_backlogs(ctx, ("detector", "notifier", "dashboard", "timeline"))
            ctx.progress(f"alert latency: {plan.alert_seconds:.0f}s of probes at {plan.probes_per_second}/s with "
                         f"{plan.background_rate}/s background check-ins")
            tasks += [asyncio.create_task(steady_background(ctx, stop, sent)),
                      asyncio.create_task(kafka_hops(ctx, stop, hops))]
            judged_before, _ = await detector_progress(ctx)
            cpu_before = cpu_by_service(ctx)
            started, posts = time.monotonic(), []
            with ExitStack() as profiles:
                for name in NEEDED + ("timeline",):
                    if name in ctx.system.procs:
                        profiles.enter_context(profiled(ctx.profile_dir, f"alerts-{name}", ctx.system.procs[name].pid))
                for i, client in enumerate(probes):
                    await asyncio.sleep(max(started + i / plan.probes_per_second - time.monotonic(), 0))
                    posts.append(asyncio.create_task(probe(gateway, client, accepted_at)))
                background_seconds = time.monotonic() - started
            judged_after, lag = await detector_progress(ctx)
            cpu = {name: used - cpu_before.get(name, 0.0) for name, used in cpu_by_service(ctx).items()}
            await asyncio.gather(*posts)
            stop.set()
            ctx.progress(f"alert latency: waiting for the last alerts ({len(accepted_at)} probes accepted)")
            try:
                await wait_for(lambda: all(c in stream.first_alert_at for c in accepted_at), 60, "every probe's alert")
            except RuntimeError as exc:
                ctx.progress(f"alert latency: {exc}")
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [(stream.first_alert_at[c] - t) * 1000 for c, t in accepted_at.items() if c in stream.first_alert_at]
    lost = len(accepted_at) - len(latencies)
    note = (f"{len(latencies)} probes ({lost} without an alert within 60 s), started once every consumer had drained "
            f"the earlier stages' backlog ({drained:.0f} s of waiting), background {sent[0] / background_seconds:,.0f}"
            f"/s published straight to Kafka (plan {plan.background_rate}/s{', reduced for --quick' if plan.quick else ''}); "
            f"meanwhile the detector judged {(judged_after - judged_before) / background_seconds:,.0f} check-ins/s and "
            f"was {lag:,.0f} behind at the end of the window; cores used per service: "
            + ", ".join(f"{name} {used / background_seconds:.2f}" for name, used in sorted(cpu.items())))
    note += "; " + segment_summary(accepted_at, signals.first_at, alerts.first_at, stream.first_alert_at)
    goals = {"p50": targets.ALERT_P50_MS, "p99": targets.ALERT_P99_MS}
    for q in (50, 95, 99):
        ctx.report.add(Figure("alert latency", f"gateway 202 -> SSE alert p{q}", "ms", percentile(latencies, q),
                              "one Kafka hop", percentile(hops, q), goals.get(f"p{q}"), note=note if q == 50 else ""))
