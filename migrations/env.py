"""Alembic environment: runs migrations over the async engine from DATABASE_URL (or the config's URL)."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.db import async_url
from services.common.settings import DatabaseSettings
from services.common.tables import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    return async_url(config.get_main_option("sqlalchemy.url") or DatabaseSettings().database_url)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
