"""The compiled detection core (mypyc, setup.py) gives what its Python source gives, signal for signal.

Every other test runs against the build as installed; here one `rapport replay` runs as installed and one with the
same modules imported from their .py sources, over the same cohort, and the outputs must be the same bytes.
"""

import re
import subprocess
import sys

import pytest

from services.detector import compiled
from tests.unit.detector.cohort import write_cohort

# Runs `rapport ARGS` with every module of `compiled.MODULES` imported from its source, never its extension.
AS_PYTHON = """
import importlib, importlib.util, sys
from services.detector.compiled import MODULES, source_path

class FromSource:
    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_file_location(name, source_path(name)) if name in MODULES else None

sys.meta_path.insert(0, FromSource())
for module in MODULES:
    assert importlib.import_module(module).__spec__.origin.endswith(".py"), module
from services.cli import main
sys.argv = ["rapport", *sys.argv[1:]]
main()
"""
UNTIL = "2026-11-01T00:00:00+00:00"


def untimed(summary: str) -> str:
    """The replay summary without its timing (the rest, counts and skipped lines, must match)."""
    return re.sub(r" in [0-9.]+ s with ([0-9]+) worker\(s\) \([0-9,]+ check-ins/s\)", r" with \1 worker(s)", summary)


def replay(*prefix: str, source, output, workers: int) -> str:
    done = subprocess.run([sys.executable, *prefix, "replay", str(source), "--output", str(output), "--until", UNTIL,
                           "--no-progress", "--workers", str(workers)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stderr


@pytest.mark.skipif(compiled.build() != "mypyc-compiled", reason=f"the detection core runs as {compiled.build()}")
def test_the_compiled_core_replays_a_cohort_exactly_as_its_python_source(tmp_path):
    assert compiled.stale() == []
    cohort = tmp_path / "cohort.jsonl"
    write_cohort(cohort, clients=300, days=60)  # with late syncs, redeliveries and two broken lines
    simulated = tmp_path / "simulated.jsonl"
    made = subprocess.run([sys.executable, "-m", "services.cli", "simulate", "--clients", "200", "--days", "60",
                           "--until", UNTIL, "--out", str(simulated)], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    for source, workers in ((cohort, 1), (simulated, 2)):
        built, plain = tmp_path / f"{source.stem}.built.jsonl", tmp_path / f"{source.stem}.python.jsonl"
        summary = untimed(replay("-m", "services.cli", source=source, output=built, workers=workers))
        assert untimed(replay("-c", AS_PYTHON, source=source, output=plain, workers=workers)) == summary
        lines = built.read_text().splitlines()
        assert len(lines) > 100  # every kind of rule had work to do
        assert lines == plain.read_text().splitlines()
