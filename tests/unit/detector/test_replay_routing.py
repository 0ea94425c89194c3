"""How replay workers route lines without validating them: the same owner as the validated client_id, or unknown."""

import uuid

from services.detector.replay_part import UNKNOWN, _cheap_owner, _cheap_time, owner_of

CLIENT = uuid.UUID("5c24f06a-4aac-5410-b481-afe54b5185ae")


def test_owner_follows_the_canonical_client_id():
    spellings = [str(CLIENT), str(CLIENT).upper(), CLIENT.hex]
    owners = {_cheap_owner(f'{{"client_id": "{s}", "x": 1}}'.encode(), 4) for s in spellings}
    assert owners == {owner_of(str(CLIENT), 4)}


def test_ambiguous_or_unreadable_lines_are_left_to_validation():
    twice = f'{{"client_id": "{CLIENT}", "source": {{"client_id": "{uuid.uuid4()}"}}}}'.encode()
    assert _cheap_owner(twice, 4) == UNKNOWN
    assert _cheap_owner(b'{"client_id": "not-a-uuid"}', 4) == UNKNOWN
    assert _cheap_owner(b'{"client_id": "5c24\\u0066"}', 4) == UNKNOWN
    assert _cheap_owner(b"not json", 4) == UNKNOWN


def test_cheap_time_reads_rfc3339_with_an_offset_only():
    assert _cheap_time(b'{"occurred_at": "2026-03-01T07:00:00Z"}') == 1772348400.0
    assert _cheap_time(b'{"occurred_at":"2026-03-01T08:00:00+01:00"}') == 1772348400.0
    assert _cheap_time(b'{"occurred_at": "2026-03-01T07:00:00"}') is None  # naive: the contract rejects it
    assert _cheap_time(b'{"occurred_at": 1772348400}') is None


def test_default_workers_take_the_idle_cores_of_big_inputs_only(tmp_path, monkeypatch):
    import os

    from services.detector import replay

    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    small.write_bytes(b"{}\n")
    with big.open("wb") as f:
        f.truncate(replay.PARALLEL_FROM_BYTES + 1)
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setattr(replay, "busy_cores", lambda: 0.0)
    assert replay.default_workers(small) == 1
    assert replay.default_workers(big) == min(cores, replay.MAX_DEFAULT_WORKERS)
    monkeypatch.setattr(replay, "busy_cores", lambda: float(cores))
    assert replay.default_workers(big) == 1  # every core busy: a second worker would only slow the first


def test_busy_cores_count_only_the_cores_this_process_may_use(monkeypatch):
    import os

    import psutil

    from services.detector import replay

    monkeypatch.setattr(psutil, "cpu_percent", lambda interval, percpu: [100.0, 50.0, 100.0, 100.0])
    monkeypatch.setattr(psutil, "cpu_count", lambda: 4)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})  # a cpuset of two cores; the others are busy
    assert replay.busy_cores(sample_s=0) == 1.5
    monkeypatch.setattr(psutil, "cpu_count", lambda: 5)  # one CPU offline: positions are not CPU numbers
    assert replay.busy_cores(sample_s=0) == 0.875 * 2


def test_busy_cores_read_this_machine():
    import psutil

    from services.detector.replay import busy_cores

    assert 0.0 <= busy_cores(sample_s=0.05) <= psutil.cpu_count()
