"""The batch handler with an in-memory store: poison is isolated, transient failures propagate; no I/O."""

import json
import uuid
from types import SimpleNamespace

import asyncpg
import pytest

from schemas.topics import CHECKINS
from services.timeline.service import TimelineWriter
from services.timeline.rows import WriteCounts

CLIENT = str(uuid.uuid4())


def record(offset: int, note: str | None = None, value: bytes | None = None):
    event = {"event_id": str(uuid.uuid4()), "client_id": CLIENT, "occurred_at": "2026-05-01T10:00:00Z",
             "timezone": "UTC", "note": note, "answers": [{"instrument": "mood", "item": 1, "value": 5}]}
    return SimpleNamespace(topic=CHECKINS, partition=0, offset=offset, key=None,
                           value=value if value is not None else json.dumps(event).encode())


class MemoryStore:
    """Refuses a NUL in a note like PostgreSQL does; `down` simulates a lost connection."""

    def __init__(self, down: bool = False):
        self.rows, self.down, self.chunk_sizes = [], down, []

    def _check(self, batch):
        if self.down:
            raise ConnectionResetError("connection lost")
        if any(row.note and "\x00" in row.note for row in batch.checkins):
            raise asyncpg.exceptions.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00')

    async def write_chunks(self, chunks):
        staged = []
        async for chunk in chunks:
            self._check(chunk)
            self.chunk_sizes.append(len(chunk.checkins))
            staged += chunk.checkins
        self.rows += staged  # all or nothing, like the transaction
        return WriteCounts({"checkins": len(staged)}, {"checkins": len(staged)})

    async def write_each(self, parts):
        outcomes = []
        for part in parts:
            try:
                self._check(part)
                self.rows += part.checkins
                outcomes.append(None)
            except asyncpg.PostgresError as exc:
                outcomes.append(exc)
        return outcomes


def writer(store):
    dead = []

    async def dead_letter(rec, reason):
        dead.append((rec.offset, reason))

    return TimelineWriter(store, dead_letter, chunk_records=4), dead


async def test_a_clean_batch_is_written_in_chunks_and_nothing_is_dead_lettered():
    store = MemoryStore()
    handler, dead = writer(store)
    await handler.handle([record(i) for i in range(10)])
    assert len(store.rows) == 10 and store.chunk_sizes == [4, 4, 2] and dead == []


async def test_poison_is_found_record_by_record_and_the_rest_is_written():
    store = MemoryStore()
    handler, dead = writer(store)
    await handler.handle([record(0), record(1, note="bad \x00 byte"), record(2, value=b"{broken"), record(3)])
    assert len(store.rows) == 2
    assert [offset for offset, _ in dead] == [2, 1]
    assert "Invalid JSON" in dead[0][1] and "CharacterNotInRepertoireError" in dead[1][1]
    assert all("bad" not in reason for _, reason in dead), "the reason never repeats the content"


async def test_a_lost_connection_fails_the_batch_so_the_loop_retries_it():
    store = MemoryStore(down=True)
    handler, dead = writer(store)
    with pytest.raises(ConnectionResetError):
        await handler.handle([record(0), record(1, value=b"{broken")])
    assert store.rows == [] and dead == [], "nothing is dead-lettered before the batch is durable"
