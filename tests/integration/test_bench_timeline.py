"""The timeline benchmark's contenders write the writer's own rows: each must store them as the writer would."""

import json
import uuid

import pytest

from bench.timeline_writer import connect, insert_one_at_a_time, run_copy
from schemas.topics import CHECKINS
from services.timeline.rows import RowBatch
from services.timeline.writer import rows_for
from tests.integration.test_timeline_writer import checkin

pytestmark = pytest.mark.integration


async def test_the_naive_and_copy_contenders_store_the_writers_rows(database_url):
    naive_client, copy_client = uuid.uuid4(), uuid.uuid4()
    conn = await connect(database_url)
    try:
        for n in range(3):  # naive: one transaction and one INSERT per row
            await insert_one_at_a_time(conn, rows_for(CHECKINS, json.dumps(checkin(naive_client, n)).encode()))
        batch = RowBatch()
        for n in range(3):
            batch.add(rows_for(CHECKINS, json.dumps(checkin(copy_client, n)).encode()))
        await run_copy(database_url, {"checkins": [tuple(r) for r in batch.checkins],
                                      "scores": [tuple(r) for r in batch.scores]})
        stored = {client: await conn.fetchval("select count(*) from scores where client_id = $1", client)
                  for client in (naive_client, copy_client)}
        first = await conn.fetchval("select min(occurred_at) from checkins where client_id = $1", naive_client)
    finally:
        await conn.close()
    assert stored == {naive_client: 6, copy_client: 6}  # mood + BRS per check-in
    assert first.isoformat() == checkin(naive_client, 0)["occurred_at"]
