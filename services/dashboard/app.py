"""Composition root of the dashboard: settings, database, token verifier and live-update hub wired into one app."""

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import TokenVerifier
from services.common.db import make_engine
from services.common.http import health_router
from services.common.version import VERSION
from services.dashboard.api import api_router
from services.dashboard.config import DashboardSettings
from services.dashboard.signin import signin_router

STATIC = Path(__file__).parent / "static"


def create_app(settings: DashboardSettings, engine: AsyncEngine | None = None) -> FastAPI:
    """Build the dashboard app; a test may pass its own engine (then the caller disposes it)."""
    owns_engine = engine is None
    engine = engine or make_engine(settings)
    verifier = TokenVerifier(settings.auth)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if owns_engine:
            await engine.dispose()

    async def ready() -> bool:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("select 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            return False

    app = FastAPI(title="rapport dashboard", version=VERSION, lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.engine = engine
    app.include_router(health_router("dashboard", ready))
    app.include_router(signin_router(verifier, settings.cookie_secure, settings.cookie_max_age_s))
    app.include_router(api_router(engine, verifier))
    app.mount("/", StaticFiles(directory=STATIC, html=True), name="page")
    return app
