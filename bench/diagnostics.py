"""Where the time goes while alert latency is measured: each leg of the path, CPU per service, detector lag."""

import httpx
import psutil

from bench.context import BenchContext
from bench.stages.detector import DETECTOR_METRIC
from bench.stats import metric_value, percentile


async def detector_progress(ctx: BenchContext) -> tuple[float, float]:
    """(check-ins judged so far, consumer lag) from the detector's /metrics."""
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(ctx.system.url("detector") + "/metrics")).text
    return metric_value(text, DETECTOR_METRIC) or 0.0, metric_value(text, "rapport_consumer_lag") or 0.0


def segment_summary(accepted: dict, signal_at: dict, alert_event_at: dict, sse_at: dict) -> str:
    """Median and p99 of each leg: 202 -> signal on Kafka, signal -> alert event on Kafka, alert event -> SSE."""
    legs = {"202->signal (detector)": (accepted, signal_at), "signal->alert event (notifier)": (signal_at, alert_event_at),
            "alert event->SSE (dashboard)": (alert_event_at, sse_at)}
    parts = []
    for name, (start, end) in legs.items():
        # the bench's topic readers may see a record up to one fetch wait late, so a leg can look negative
        spans = [max((end[c] - start[c]) * 1000, 0.0) for c in accepted if c in start and c in end]
        if spans:
            parts.append(f"{name} p50 {percentile(spans, 50):,.0f} / p99 {percentile(spans, 99):,.0f} ms")
    return "legs: " + ", ".join(parts) if parts else "legs: not observed"


def cpu_by_service(ctx: BenchContext) -> dict[str, float]:
    """CPU seconds each running service has used so far."""
    used = {}
    for name, proc in ctx.system.procs.items():
        try:
            times = psutil.Process(proc.pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        used[name] = times.user + times.system
    return used
