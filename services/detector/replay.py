"""`rapport replay`: the live detection core over a JSONL file, split over worker processes by client."""

import heapq
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

import psutil

from services.detector import compiled
from services.detector.core import load_config
from services.detector.replay_part import PartJob, PartResult, replay_part
from services.detector.replay_summary import ReplaySummary
from services.detector.replayer import Replayer

__all__ = ["Replayer", "default_workers", "run_replay"]
PROBLEMS_SHOWN = 20
PARALLEL_FROM_BYTES = 20_000_000  # about 40,000 check-ins
MAX_DEFAULT_WORKERS = 4


def default_workers(input_path: Path) -> int:
    """One worker per idle core (at most 4) for inputs big enough to pay for the processes, else one.

    A second worker only helps where a core is free (measured: slower than one on a busy 2-core box), so the
    cores busy right now are left out.
    """
    if input_path.stat().st_size < PARALLEL_FROM_BYTES:
        return 1
    idle = len(os.sched_getaffinity(0)) - round(busy_cores())
    return max(1, min(idle, MAX_DEFAULT_WORKERS))


def busy_cores(sample_s: float = 0.25) -> float:
    """Cores in use now among those this process may run on (its CPU affinity): their CPU time not idle over
    `sample_s` (psutil, from /proc/stat on Linux). Cores outside the affinity set (other containers' cpusets)
    do not count.

    Not the 1-minute load average: it lags, and right after a build it still counts cores that are idle again.
    """
    mine = os.sched_getaffinity(0)
    shares = psutil.cpu_percent(interval=sample_s, percpu=True)
    if len(shares) != psutil.cpu_count():  # CPUs offline: list positions are not CPU numbers, so take the mean
        return sum(shares) / max(len(shares), 1) / 100 * len(mine)
    return sum(share for cpu, share in enumerate(shares) if cpu in mine) / 100


def run_replay(input_path: Path, output: Path, until: str | None, config_path: Path | None,
               progress: bool = True, stderr: TextIO = sys.stderr, workers: int | None = None) -> int:
    """Replay INPUT into OUTPUT; print invalid lines and the summary to stderr. Returns the exit code."""
    load_config(config_path)  # fail early, before any worker starts, on a bad thresholds file
    if warning := compiled.stale_warning():
        stderr.write(f"warning: {warning}\n")
    workers = workers or default_workers(input_path)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rapport-replay-") as scratch:
        jobs = [PartJob(input_path, Path(scratch) / f"part-{i}.tsv", i, workers, config_path, until,
                        progress and input_path.stat().st_size > 2_000_000) for i in range(workers)]
        if workers == 1:
            results = [replay_part(jobs[0])]
        else:
            with ProcessPoolExecutor(workers) as pool:
                results = list(pool.map(replay_part, jobs))
        _merge([job.output_path for job in jobs], output)
    summary = _combine(results)
    summary.elapsed_s, summary.workers = time.monotonic() - started, workers
    problems = sorted(p for r in results for p in r.problems)
    for line_number, reason in problems[:PROBLEMS_SHOWN]:
        stderr.write(f"line {line_number}: skipped: {reason}\n")
    if len(problems) > PROBLEMS_SHOWN:
        stderr.write(f"... and {len(problems) - PROBLEMS_SHOWN} more invalid line(s)\n")
    stderr.write(summary.render())
    return 0


def _merge(parts: list[Path], output: Path) -> None:
    """Merge the workers' sorted parts by (line, key): the same order whatever the number of workers."""
    with ExitStack() as stack, open(output, "w", encoding="utf-8") as sink:
        sources = [stack.enter_context(open(p, encoding="utf-8")) for p in parts]
        for record in heapq.merge(*sources):
            sink.write(record.split("\t", 2)[2])


def _combine(results: list[PartResult]) -> ReplaySummary:
    total = ReplaySummary()
    for result in results:
        total.merge(result.summary)
    return total
