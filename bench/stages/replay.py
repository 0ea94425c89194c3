"""`rapport replay` throughput on a simulated cohort, beside parsing and validating the same file only."""

import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench import targets
from bench.context import BenchContext
from bench.profiling import py_spy, summarise
from bench.report import Figure
from bench.stats import rate
from bench.system import REPO_ROOT, command_missing
from bench.workload import client_ids, history
from schemas.checkin import validate_checkin_json


def rapport(*args: str, env: dict, prefix: tuple[str, ...] = ()) -> tuple[float, float]:
    """Run `rapport ARGS` as a user would; return (wall seconds, CPU seconds it used)."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run([*prefix, sys.executable, "-m", "services.cli", *args], env=env, cwd=REPO_ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"rapport {args[0]} exited with {done.returncode}: {done.stderr.strip()[-300:]}")
    return time.perf_counter() - started, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def make_cohort(ctx: BenchContext, out) -> str:
    """Simulate the cohort with `rapport simulate` when it exists, else with the bench workload; say which."""
    plan = ctx.plan
    if command_missing("simulate") is None:
        rapport("simulate", "--clients", str(plan.replay_clients), "--days", str(plan.replay_days), "--seed",
                str(plan.seed), "--as-fast-as-possible", "--out", str(out), env=ctx.system.env)
        return "rapport simulate"
    with out.open("w") as f:
        for event in history(client_ids(plan.replay_clients, plan.seed, "replay"), plan.replay_days, plan.seed,
                             datetime.now(UTC)):
            f.write(json.dumps(event) + "\n")
    return "bench workload (rapport simulate not available)"


def parse_only_rate(path) -> float | None:
    """The floor of any replay: read the JSONL file and validate every v1 check-in, by the call replay makes."""
    started, count = time.perf_counter(), 0
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                validate_checkin_json(line)
                count += 1
    return rate(count, time.perf_counter() - started)


async def run(ctx: BenchContext) -> None:
    missing = command_missing("replay")
    if missing:
        ctx.report.skip("replay", "rapport replay", "check-ins/s", missing, targets.REPLAY_RATE)
        return
    folder = ctx.system.root / "replay"
    folder.mkdir(parents=True, exist_ok=True)
    cohort, signals = folder / "cohort.jsonl", folder / "signals.jsonl"
    ctx.progress(f"replay: simulating {ctx.plan.replay_clients} clients x {ctx.plan.replay_days} days")
    source = make_cohort(ctx, cohort)
    count = sum(1 for line in cohort.open("rb") if line.strip())
    ctx.progress(f"replay: replaying {count:,} check-ins")
    startup, _ = rapport("replay", "--help", env=ctx.system.env)
    seconds, cpu = rapport("replay", str(cohort), "--output", str(signals), "--no-progress", env=ctx.system.env)
    emitted = sum(1 for line in signals.open("rb") if line.strip())
    ctx.report.add(Figure(
        "replay", "rapport replay (whole command)", "check-ins/s", rate(count, seconds),
        "parse + validate only", parse_only_rate(cohort), targets.REPLAY_RATE,
        note=f"{count:,} check-ins from {source}, {emitted:,} signals, {seconds:.1f}s wall time including "
             f"{startup:.1f}s interpreter start-up (excluding it: {count / max(seconds - startup, 1e-9):,.0f}/s); "
             f"{cpu:.1f} CPU-s = {count / max(cpu, 1e-9):,.0f} check-ins per CPU-second",
    ))
    if ctx.profile_dir and py_spy():
        ctx.profile_dir.mkdir(parents=True, exist_ok=True)
        raw = ctx.profile_dir / "replay.txt"
        rapport("replay", str(cohort), "--output", str(signals), "--no-progress", env=ctx.system.env,
                prefix=(py_spy(), "record", "--format", "raw", "--rate", "100", "--output", str(raw), "--"))
        (ctx.profile_dir / "replay.summary.txt").write_text(summarise(raw))
