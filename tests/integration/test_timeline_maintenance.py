"""`rapport timeline rebuild` and `rapport timeline partitions` on a fresh database of their own."""

import json
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import func, select, text

from schemas.topics import CHECKINS
from services.common.db import make_engine
from services.common.settings import DatabaseSettings
from services.common.tables import checkins, scores
from tests.helpers import migrated_database
from tests.integration.test_timeline_writer import checkin, publish

pytestmark = pytest.mark.integration


@pytest.fixture
def fresh_database(stack):
    """A migrated database nobody else writes to, so a rebuild may empty it."""
    with migrated_database(stack.postgres.url, "rapport_timeline") as url:
        yield url


def rapport(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


async def count(url: str, table, client_id) -> int:
    engine = make_engine(DatabaseSettings(database_url=url))
    try:
        async with engine.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(table).where(table.c.client_id == client_id))
    finally:
        await engine.dispose()


async def test_rebuild_replays_everything_once_however_often_it_runs(kafka_settings, service_env, fresh_database):
    client_id = uuid.uuid4()
    await publish(kafka_settings, CHECKINS, [checkin(client_id, n) for n in range(120)], client_id)
    # Small batches, three at a time: the rebuild writes several batches at once while it fetches the next.
    env = service_env | {"DATABASE_URL": fresh_database, "RAPPORT_TIMELINE_BATCH_MAX_RECORDS": "25",
                         "RAPPORT_TIMELINE_BATCHES_IN_FLIGHT": "3"}
    for args in (["--truncate", "--yes"], []):
        done = rapport("timeline", "rebuild", *args, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "(100%)" in done.stderr and "replayed" in done.stdout, done.stderr[-1000:]
        assert await count(fresh_database, checkins, client_id) == 120
        assert await count(fresh_database, scores, client_id) == 240
    assert "private words" not in done.stderr + done.stdout


async def test_partitions_are_created_ahead_once_and_a_blocked_month_is_reported(service_env, fresh_database):
    env = service_env | {"DATABASE_URL": fresh_database}
    first = rapport("timeline", "partitions", "--months", "3", "--from", "2040-01", env=env)
    assert first.returncode == 0, first.stderr
    assert "created 6 partition(s)" in first.stdout and "checkins_2040_03" in first.stdout
    again = rapport("timeline", "partitions", "--months", "3", "--from", "2040-01", env=env)
    assert again.returncode == 0 and "created 0 partition(s)" in again.stdout
    engine = make_engine(DatabaseSettings(database_url=fresh_database))
    async with engine.begin() as conn:  # a far-future row lands in the DEFAULT partition ...
        await conn.execute(text(
            "insert into checkins (event_id, occurred_at, client_id, timezone, local_date, answers) values "
            "(gen_random_uuid(), '2045-05-10T00:00:00Z', gen_random_uuid(), 'UTC', '2045-05-10', '[]')"))
        where = await conn.scalar(text("select tableoid::regclass::text from checkins where occurred_at > '2045-01-01'"))
    await engine.dispose()
    assert where == "checkins_default"
    blocked = rapport("timeline", "partitions", "--months", "1", "--from", "2045-05", env=env)
    assert blocked.returncode == 1 and "refused checkins_2045_05" in blocked.stderr, blocked.stderr
    assert "bad" not in json.dumps(blocked.stdout)
