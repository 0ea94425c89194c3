"""Batch judging over a fake Table: the same signals and final states as one check-in at a time, one write per
client per batch, the decoded-state cache used only while the Table holds the very bytes it came from."""

import itertools
import uuid

import pytest

from services.detector import batch as batch_module
from services.detector.batch import ClientStates, FlushSchedule, judge_batch
from services.detector.codec import decode_state, encode_state
from services.detector.core import DetectorConfig, evaluate
from tests.unit.detector.builders import START, brs_score, checkin, mood, srs


class FakeTable:
    """What ClientStates uses of a faust Table: its store (`data`) and `send_changelog`."""

    def __init__(self):
        self.data: dict[bytes, bytes] = {}
        self.changelog: list[tuple[int, bytes, bytes]] = []

    def send_changelog(self, partition, key, value):
        self.changelog.append((partition, key, value))


def history(client_id, days=30):
    """Daily mood, weekly BRS and SRS, sliding down in the last week so the trend rules fire."""
    events = []
    for day in range(days):
        low = day >= days - 7
        answers = mood(3 if low else 7)
        if day % 7 == 0:
            answers += brs_score(2 if low else 4)
        if day % 7 == 3:
            answers += srs(30 if low else 38)
        events.append(checkin(client_id, day, answers))
    return events


def one_by_one(events, config, partition=2):
    """The old agent: evaluate every check-in on its own, write the Table after each one that changed it."""
    table, signals = FakeTable(), []
    for c in events:
        key = str(c.client_id).encode()
        stored = table.data.get(key)
        state = decode_state(stored)[1] if stored is not None else None
        new_state, new = evaluate(state, c, START, config)
        signals += new
        if new_state is not state:
            table.data[key] = encode_state(partition, new_state)
    return table, signals


def in_batches(events, config, size, states=None, partition=2, flush_every=1):
    """Judge `size` check-ins at a time; the changelog is sent after every `flush_every` batches and at the end."""
    states = states or ClientStates(FakeTable(), max_cached=100)
    signals = []
    for n, start in enumerate(range(0, len(events), size), 1):
        items = [(i, partition, c) for i, c in enumerate(events[start:start + size])]
        judged = judge_batch(items, states, config, lambda: START)
        assert not judged.failed
        signals += judged.signals
        states.save_all(judged.changed, judged.untrusted)
        if n % flush_every == 0:
            states.send_changelog()
    states.send_changelog()
    return states, signals


def interleaved(*histories):
    return [c for day in itertools.zip_longest(*histories) for c in day if c is not None]


@pytest.mark.parametrize(("size", "flush_every"), [(1, 1), (7, 1), (1000, 1), (1, 5), (7, 3)])
def test_batches_give_the_signals_and_states_of_one_check_in_at_a_time(size, flush_every):
    config = DetectorConfig()
    events = interleaved(*(history(uuid.uuid4()) for _ in range(3)))
    expected_table, expected = one_by_one(events, config)
    states, found = in_batches(events, config, size, flush_every=flush_every)
    assert {s.kind.value for s in expected} >= {"mood.sustained_decline", "resilience.reliable_drop"}
    assert [s.model_dump() for s in found] == [s.model_dump() for s in expected]
    assert states.table.data == expected_table.data
    window = size * flush_every  # the check-ins judged between two flushes
    clients_per_flush = [len({c.client_id for c in events[i:i + window]}) for i in range(0, len(events), window)]
    assert len(states.table.changelog) == sum(clients_per_flush)  # one record per client per flush
    assert states.unsent == 0
    last = states.table.changelog[-3:]
    assert [value for _, _, value in last] == [states.table.data[key] for _, key, _ in last]


def test_the_changelog_waits_for_the_flush_and_sends_each_client_once_with_its_latest_state():
    config = DetectorConfig()
    client_id = uuid.uuid4()
    states = ClientStates(FakeTable(), max_cached=100)
    for c in history(client_id, days=4):
        judged = judge_batch([(0, 3, c)], states, config, lambda: START)
        states.save_all(judged.changed, judged.untrusted)
    key = str(client_id).encode()
    assert states.table.changelog == [] and states.unsent == 1  # in the Table, not yet in the changelog
    assert states.send_changelog() == 1
    assert states.table.changelog == [(3, key, states.table.data[key])]
    assert states.send_changelog() == 0 and len(states.table.changelog) == 1


def test_the_flush_waits_long_while_draining_a_backlog_and_briefly_once_caught_up():
    schedule = FlushSchedule(interval_s=3.0, caught_up_s=0.25, max_events=10_000, backlog_from=1000, last=100.0)
    assert not schedule.due(waiting=5000, behind=20_000, now=101.0)  # a backlog: wait the long interval
    assert schedule.due(waiting=5000, behind=20_000, now=103.0)
    assert not schedule.due(waiting=40, behind=12, now=100.2)  # caught up: the short interval
    assert schedule.due(waiting=40, behind=12, now=100.25)
    assert schedule.due(waiting=10_000, behind=20_000, now=100.0)  # too many check-ins waiting: now
    every_batch = FlushSchedule(interval_s=0.0, caught_up_s=0.25, max_events=10_000, backlog_from=1000, last=100.0)
    assert every_batch.due(waiting=1, behind=20_000, now=100.0)  # 0 flushes after every batch, caught up or not


def test_a_redelivered_batch_writes_nothing_and_signals_nothing():
    config = DetectorConfig()
    events = history(uuid.uuid4())
    states, first = in_batches(events, config, 1000)
    records = len(states.table.changelog)
    states, again = in_batches(events, config, 1000, states)
    assert first and again == []
    assert len(states.table.changelog) == records


def test_the_cache_serves_only_the_bytes_it_was_decoded_from(monkeypatch):
    config = DetectorConfig()
    client_id = uuid.uuid4()
    events = history(client_id)
    states, _ = in_batches(events[:10], config, 1000)
    decoded = []
    real = batch_module.decode_state
    monkeypatch.setattr(batch_module, "decode_state", lambda raw: decoded.append(raw) or real(raw))
    in_batches(events[10:12], config, 1, states)
    assert decoded == []  # the Table still held the bytes the agent wrote
    key = str(client_id).encode()
    states.table.data[key] = bytes(bytearray(states.table.data[key]))  # equal, a new object: as recovery writes it
    in_batches(events[12:13], config, 1, states)
    assert len(decoded) == 1
    expected, _ = one_by_one(events[:13], config)
    assert states.table.data == expected.data


def test_a_failing_check_in_is_reported_and_its_client_goes_on(monkeypatch):
    config = DetectorConfig()
    client_id = uuid.uuid4()
    events = history(client_id, days=5)
    broken = events[2].event_id
    real = batch_module.evaluate

    def evaluate_or_fail(state, c, now, cfg):
        if c.event_id == broken:
            raise ZeroDivisionError
        return real(state, c, now, cfg)

    monkeypatch.setattr(batch_module, "evaluate", evaluate_or_fail)
    states = ClientStates(FakeTable(), max_cached=100)
    judged = judge_batch([(i, 0, c) for i, c in enumerate(events)], states, config, lambda: START)
    assert judged.failed == [(2, "ZeroDivisionError")] and judged.judged == 4
    states.save_all(judged.changed, judged.untrusted)
    key = str(client_id).encode()
    assert states._cache.get(key) is None  # not trusted after a failure: decoded again next time
    expected, _ = one_by_one(events[:2] + events[3:], config, partition=0)
    assert states.table.data == expected.data


def test_the_cache_keeps_the_most_recently_used_clients():
    config = DetectorConfig()
    clients = [uuid.uuid4() for _ in range(3)]
    states = ClientStates(FakeTable(), max_cached=2)
    in_batches([checkin(c, 0, mood(5)) for c in clients], config, 1000, states)
    assert list(states._cache) == [str(c).encode() for c in clients[1:]]
    states.load(str(clients[1]).encode())
    assert list(states._cache) == [str(c).encode() for c in (clients[2], clients[1])]
