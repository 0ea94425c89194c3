"""What every stage gets: the plan, the running system, Kafka settings, the report and a progress printer."""

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.plan import Plan
from bench.report import Report
from bench.system import BenchSystem
from services.common.settings import KafkaSettings


def progress_printer(started: float) -> Callable[[str], None]:
    def progress(message: str) -> None:
        print(f"[bench +{time.monotonic() - started:5.1f}s] {message}", file=sys.stderr, flush=True)

    return progress


@dataclass
class BenchContext:
    plan: Plan
    system: BenchSystem
    report: Report
    progress: Callable[[str], None]
    kafka: KafkaSettings
    shared: dict = field(default_factory=dict)  # figures one stage hands to another (e.g. direct produce rate)
    keep: set[str] = field(default_factory=set)  # services to leave running for the next stage
    profile_dir: Path | None = None  # py-spy profiles of measured processes go here when set
