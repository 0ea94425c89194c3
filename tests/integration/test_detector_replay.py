"""`rapport replay` end to end: a simulated 60-day cohort of 1,000 clients, and the edge cases of the input."""

import io
import json
import subprocess
import sys
import time
import uuid
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.signal import SignalDetected, SignalKind
from services.detector.replay import run_replay
from tests.unit.detector.cohort import write_cohort
from tests.unit.detector.test_properties import client_stream

UNTIL = "2026-11-01T00:00:00+00:00"


def rapport(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], capture_output=True, text=True, timeout=300)


def test_replay_of_a_simulated_60_day_cohort_of_1000_clients(tmp_path):
    cohort, signals_path = tmp_path / "cohort.jsonl", tmp_path / "signals.jsonl"
    simulated = rapport("simulate", "--clients", "1000", "--days", "60", "--until", UNTIL, "--out", str(cohort))
    assert simulated.returncode == 0, simulated.stderr
    started = time.monotonic()
    replayed = rapport("replay", str(cohort), "--output", str(signals_path), "--until", UNTIL)
    elapsed = time.monotonic() - started
    assert replayed.returncode == 0, replayed.stderr
    summary = replayed.stderr
    assert "from 1,000 clients" in summary and "0 invalid line(s)" in summary
    for kind in SignalKind:
        assert kind.value in summary
    signals = [SignalDetected.model_validate_json(line) for line in signals_path.read_text().splitlines()]
    assert len({s.signal_id for s in signals}) == len(signals)
    print(f"\n{summary}replay process incl. start-up: {elapsed:.1f} s")

    # Against the simulator's ground truth: every detectable episode fires with its trigger, little else does.
    labels = json.loads(cohort.with_name("cohort.labels.json").read_text())["labels"]
    by_client = defaultdict(list)
    for s in signals:
        by_client[str(s.client_id)].append(s)
    unexpected = 0
    for label in labels:
        found = by_client[label["client_id"]]
        expected = set(label["allowed_kinds"])
        for episode in label["episodes"]:
            expected |= set(episode["signal_kinds"])
            if episode["detectable"]:
                assert {s.kind.value for s in found} & set(episode["signal_kinds"]), (label["archetype"], episode)
                triggers = {str(t) for s in found for t in s.trigger_event_ids}
                assert set(episode["trigger_event_ids"]) <= triggers, episode
        unexpected += sum(1 for s in found if s.kind.value not in expected)
    assert unexpected <= len(labels) // 100, f"{unexpected} signals outside the labelled episodes"


def replay(tmp_path, name, source, until=None, config=None, workers=1):
    output, stderr = tmp_path / f"{name}.jsonl", io.StringIO()
    assert run_replay(source, output, until, config, progress=False, stderr=stderr, workers=workers) == 0
    return output.read_text().splitlines(), stderr.getvalue()


def kinds(lines):
    return [json.loads(line)["kind"] for line in lines]


def test_invalid_lines_redeliveries_until_config_and_determinism(tmp_path):
    source = tmp_path / "cohort.jsonl"
    write_cohort(source, clients=150, days=60, seed=3)
    first, stderr = replay(tmp_path, "first", source)
    again, again_stderr = replay(tmp_path, "again", source, workers=3)
    assert first == again, "the same input must give the same output, byte for byte, with any number of workers"
    assert again_stderr.splitlines()[:2] == stderr.splitlines()[:2]  # the same invalid lines, once each
    assert "with 3 worker(s)" in again_stderr
    bad = [n for n, line in enumerate(source.read_text().splitlines(), 1) if "not-a-uuid" in line or "not json" in line]
    reported = [line for line in stderr.splitlines() if ": skipped: " in line]
    assert [line.split(":")[0] for line in reported] == [f"line {n}" for n in bad]
    assert "event_id: Input should be a valid UUID" in reported[0] and "Invalid JSON" in reported[1]
    assert "2 invalid line(s) skipped" in stderr and "redelivered" in stderr

    with_until, _ = replay(tmp_path, "until", source, until="2026-06-01T00:00:00Z")
    assert replay(tmp_path, "until2", source, until="2026-06-01T00:00:00Z", workers=2)[0] == with_until
    assert kinds(with_until).count("engagement.missed_checkins") > kinds(first).count("engagement.missed_checkins")

    rules = tmp_path / "rules.toml"
    rules.write_text("[alliance]\ncutoff = 30\n")
    relaxed, _ = replay(tmp_path, "relaxed", source, config=rules)
    assert 0 < kinds(relaxed).count("alliance.rupture") < kinds(first).count("alliance.rupture")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(streams=st.lists(client_stream(min_size=3, max_size=15), min_size=2, max_size=5), data=st.data())
def test_any_number_of_workers_gives_the_same_output(tmp_path, streams, data):
    arrivals = data.draw(st.permutations([c for s in streams for c in s]))
    lines = [c.model_dump_json() for c in arrivals]
    for _ in range(data.draw(st.integers(0, 3))):  # broken lines, some with a readable client_id and time
        broken = data.draw(st.sampled_from(["not json", lines[0].replace('"answers":[', '"answers":[1,'), "{}"]))
        lines.insert(data.draw(st.integers(0, len(lines))), broken)
    source = tmp_path / f"{uuid.uuid4()}.jsonl"
    source.write_text("\n".join(lines) + "\n")
    until = "2026-04-01T00:00:00Z"
    one, one_err = replay(tmp_path, "one", source, until=until)
    for workers in (2, 3):
        many, many_err = replay(tmp_path, f"w{workers}", source, until=until, workers=workers)
        assert many == one
        assert [l for l in many_err.splitlines() if ": skipped: " in l] == \
            [l for l in one_err.splitlines() if ": skipped: " in l]
