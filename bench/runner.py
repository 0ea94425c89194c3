"""Run every stage on one stack in one run, then print and save the report."""

import asyncio
import json
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench.context import BenchContext, progress_printer
from bench.machine import describe_machine, load_average
from bench.plan import Plan
from bench.profiling import py_spy
from bench.report import Figure, Report, render_markdown
from bench.stages import alerts, detector, ingest, memory, replay, timeline
from bench.system import BenchSystem, bench_system
from services.common.settings import KafkaSettings

STAGE_ORDER = ("ingest", "detector", "timeline", "alert latency", "alerts", "replay", "memory")
# Executed in this order: pure CPU first; the timeline measurement needs the check-ins topic to itself;
# the detector and the bare agent then drain everything on it, and the alert stage follows while the
# detector is caught up.
STAGES = (("replay", replay.run), ("timeline", timeline.run), ("detector", detector.run), ("alerts", alerts.run),
          ("ingest", ingest.run), ("memory", memory.run))


async def postgres_version(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return (await conn.fetchval("show server_version")).split()[0]
    finally:
        await conn.close()


def describe_stack(system: BenchSystem) -> dict:
    kafka, postgres = system.state.kafka, system.state.postgres
    broker = {"embedded": "Tansu (embedded)", "testcontainers": "apache/kafka (container)"}.get(kafka.kind, "env URL")
    version = asyncio.run(postgres_version(system.database_url))
    return describe_machine(broker=broker, postgres=f"{version} ({postgres.kind})")


async def run_stages(ctx: BenchContext, only: set[str] | None = None) -> None:
    for name, stage in STAGES:
        if only and name not in only:
            continue
        ctx.progress(f"--- stage {name}")
        started = time.monotonic()
        try:
            await stage(ctx)
        except Exception as exc:  # noqa: BLE001 - one broken stage must not hide the others' figures
            ctx.progress(f"{name} failed: {exc!r}\n{traceback.format_exc()}")
            ctx.report.add(Figure(name, "stage", "", skipped=f"failed: {type(exc).__name__}: {str(exc)[:160]}"))
        finally:
            ctx.system.stop_all(keep=ctx.keep)  # a stage may hand a warm service to the next one, no further
            ctx.keep.clear()
        ctx.progress(f"--- stage {name} done in {time.monotonic() - started:.1f}s")


def run(plan: Plan, json_out: Path | None, markdown_out: Path | None, root: Path | None = None,
        only: set[str] | None = None, profile_dir: Path | None = None) -> Report:
    """Bring up the stack, measure every stage, write JSON and markdown, and return the report."""
    started = time.monotonic()
    progress = progress_printer(started)
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        with bench_system(root or Path(tmp), progress) as system:
            report = Report(describe_stack(system), plan.as_dict(), started_at=datetime.now(UTC).isoformat(timespec="seconds"))
            kafka = KafkaSettings(kafka_bootstrap_servers=system.bootstrap, kafka_session_timeout_ms=6000)
            ctx = BenchContext(plan, system, report, progress, kafka, profile_dir=profile_dir)
            if profile_dir:
                progress(f"profiling measured processes with py-spy into {profile_dir} (figures are slower)"
                         if py_spy() else "--profile given but py-spy is not on PATH: no profiles")
            asyncio.run(run_stages(ctx, only))
    report.figures.sort(key=lambda f: STAGE_ORDER.index(f.stage) if f.stage in STAGE_ORDER else len(STAGE_ORDER))
    report.duration_s = time.monotonic() - started
    report.machine["load_average_at_end"] = load_average()
    markdown = render_markdown(report)
    if json_out:
        json_out.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    if markdown_out:
        markdown_out.write_text(markdown)
    print(markdown)
    return report
