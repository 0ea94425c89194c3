"""The alembic history goes up, down and up again on an empty database."""

import asyncio
import uuid

import asyncpg
import pytest

from migrations.runner import downgrade, upgrade
from services.common.stack import create_database, drop_database

pytestmark = pytest.mark.integration


async def tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("select tablename from pg_tables where schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


def test_upgrade_downgrade_upgrade(stack):
    name = f"rapport_mig_{uuid.uuid4().hex[:8]}"
    url = create_database(stack.postgres.url, name)
    try:
        upgrade(url)
        first = asyncio.run(tables(url))
        assert {"checkins", "scores", "signals", "alerts", "alert_events", "access_audit", "care_team_members"} <= first
        assert any(t.startswith("checkins_20") for t in first), "monthly partitions are created ahead"
        downgrade(url, "base")
        assert asyncio.run(tables(url)) == {"alembic_version"}
        upgrade(url)
        assert asyncio.run(tables(url)) == first
    finally:
        drop_database(stack.postgres.url, name)
