"""A service's process runs with its start-up heap frozen and the young generation of `GC_THRESHOLDS`."""

import subprocess
import sys

from services.common.runtime import GC_THRESHOLDS

SERVICE = """
import gc
from services.common.runtime import run_until_signalled

async def main(stop):
    print(gc.get_threshold(), gc.get_freeze_count() > 10_000)

run_until_signalled(main)
"""


def test_a_service_started_by_run_until_signalled_has_its_heap_settled():
    # In a process of its own: freezing pytest's heap would keep its garbage for the rest of the session.
    out = subprocess.run([sys.executable, "-c", SERVICE], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split("\n")[0] == f"{GC_THRESHOLDS} True"
