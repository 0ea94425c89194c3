"""The writer's store on the real PostgreSQL: redeliveries write nothing, a race with another writer is absorbed."""

import asyncio
import json
import uuid
from datetime import datetime

import asyncpg
import pytest

from schemas.topics import CHECKINS
from services.timeline.store import TimelineStore, plain_dsn
from services.timeline.writer import RowBatch, rows_for
from tests.helpers import wait_until
from tests.integration.test_timeline_writer import checkin

pytestmark = pytest.mark.integration


def batch_of(client_id, n: int) -> RowBatch:
    batch = RowBatch()
    for i in range(n):
        batch.add(rows_for(CHECKINS, json.dumps(checkin(client_id, i)).encode()))
    return batch


async def stored(store: TimelineStore, client_id) -> tuple[int, int]:
    async with store.pool.acquire() as conn:
        return (await conn.fetchval("select count(*) from checkins where client_id = $1", client_id),
                await conn.fetchval("select count(*) from scores where client_id = $1", client_id))


@pytest.fixture
async def stores(database_url):
    first, second = await TimelineStore.open(database_url), await TimelineStore.open(database_url)
    yield first, second
    await first.close()
    await second.close()


async def test_a_redelivered_batch_inserts_nothing(stores):
    store, _ = stores
    client_id = uuid.uuid4()
    batch = batch_of(client_id, 50)
    first = await store.write(batch)
    again = await store.write(batch)
    assert first.inserted == {"checkins": 50, "scores": 100}
    assert again.offered == {"checkins": 50, "scores": 100} and again.inserted == {"checkins": 0, "scores": 0}
    assert await stored(store, client_id) == (50, 100)


async def test_times_are_stored_to_the_microsecond_by_copy_and_by_the_idempotent_insert(stores, database_url):
    """The store encodes timestamptz itself (`to_pg_time`): PostgreSQL and asyncpg's own decoder must agree."""
    store, _ = stores
    client_id = uuid.uuid4()
    times = ["1999-12-31T23:59:59.999999-05:00", "2026-03-29T01:30:00.000001+01:00", "2026-10-01T12:00:00Z"]
    copied, inserted = RowBatch(), RowBatch()
    for n, at in enumerate(times):
        copied.add(rows_for(CHECKINS, json.dumps(checkin(client_id, n, occurred_at=at)).encode()))
        inserted.add(rows_for(CHECKINS, json.dumps(checkin(client_id, n, occurred_at=at)).encode()))
    await store.write(copied)  # binary COPY
    assert await store.write_each([inserted]) == [None]  # unnest ... ON CONFLICT
    conn = await asyncpg.connect(plain_dsn(database_url))  # asyncpg's own codecs
    try:
        rows = await conn.fetch("select event_id, occurred_at, occurred_at = $2::timestamptz as same "
                                "from checkins where client_id = $1 order by occurred_at, event_id", client_id,
                                datetime.fromisoformat(times[0]))
        scores = await conn.fetch("select occurred_at from scores where client_id = $1 order by occurred_at",
                                  client_id)
    finally:
        await conn.close()
    expected = sorted(datetime.fromisoformat(at) for at in times)
    assert [row["occurred_at"] for row in rows] == [t for t in expected for _ in (copied, inserted)]
    assert [row["same"] for row in rows] == [True, True, False, False, False, False]
    assert [row["occurred_at"] for row in scores] == [t for t in expected for _ in range(4)]  # mood + BRS, twice


async def test_two_writers_racing_on_the_same_rows_store_them_once(stores):
    """The second writer's COPY waits on the first's uncommitted rows, hits the unique key, falls back to ON CONFLICT."""
    store, rival = stores
    client_id = uuid.uuid4()
    batch = batch_of(client_id, 40)
    async with store.pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await store._insert(conn, batch, bulk=True)  # noqa: SLF001 - hold the rows uncommitted, like a writer mid-batch
        racing = asyncio.create_task(rival.write(batch))

        async def rival_waits_on_a_lock():
            # pg_stat_activity is snapshotted once per transaction: ask from outside ours, afresh each time
            async with store.pool.acquire() as observer:
                return await observer.fetchval(
                    "select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                    "and application_name = 'rapport-timeline' and datname = current_database()")

        await wait_until(rival_waits_on_a_lock, timeout=10, reason="the rival writer blocked on our rows")
        await transaction.commit()
    counts = await racing
    assert counts.offered == {"checkins": 40, "scores": 80} and counts.inserted == {"checkins": 0, "scores": 0}
    assert await stored(store, client_id) == (40, 80)


async def test_a_batch_mixing_stored_and_new_rows_writes_each_new_row_once_then_copies_optimistically_again(stores):
    """The optimistic COPY hits the unique key, ON CONFLICT writes the batch; the store looks first until all is new."""
    store, _ = stores
    client_id = uuid.uuid4()
    stored_half, new_half, later = batch_of(client_id, 20), batch_of(client_id, 20), batch_of(client_id, 20)
    await store.write(stored_half)
    mixed = RowBatch().add(stored_half).add(new_half).add(new_half)  # a redelivery, new rows and a duplicate
    counts = await store.write(mixed)
    assert counts.offered == {"checkins": 40, "scores": 80} and counts.inserted == {"checkins": 20, "scores": 40}
    assert store.look_before_copying, "after a conflict the store checks what is stored before copying"
    assert (await store.write(stored_half)).inserted == {"checkins": 0, "scores": 0}
    assert store.look_before_copying, "a batch that found stored rows keeps it checking"
    assert (await store.write(later)).inserted == {"checkins": 20, "scores": 40}
    assert not store.look_before_copying, "a batch of new rows only goes back to copying straight away"
    assert await stored(store, client_id) == (60, 120)
