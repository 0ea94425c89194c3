"""Async SQLAlchemy engine and session factory from a plain postgresql:// URL."""

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from services.common.settings import DatabaseSettings


def async_url(url: str) -> str:
    """postgresql://... -> postgresql+asyncpg://... (other drivers are replaced too)."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+asyncpg://{rest}" if scheme.startswith("postgres") else url


def make_engine(settings: DatabaseSettings, **overrides) -> AsyncEngine:
    options = {"pool_size": settings.database_pool_size, "pool_pre_ping": True}
    options.update(overrides)
    return create_async_engine(async_url(settings.database_url), **options)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
