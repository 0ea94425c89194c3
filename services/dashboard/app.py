"""Composition root of the dashboard: settings, database, token verifier, publisher and live updates in one app."""

from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.topics import ALERTS, CHECKINS
from services.common.auth import TokenVerifier
from services.common.db import make_engine
from services.common.http import health_router
from services.common.kafka import ensure_topics, wait_for_broker
from services.common.version import VERSION
from services.dashboard.actions import actions_router
from services.dashboard.api import api_router
from services.dashboard.care_teams import CareTeamCache
from services.dashboard.config import DashboardSettings
from services.dashboard.fanout import Fanout
from services.dashboard.live import LiveReader
from services.dashboard.publisher import AlertPublisher
from services.dashboard.security import SecurityHeaders
from services.dashboard.signin import signin_router
from services.dashboard.stream import stream_router
from services.timeline.api import timeline_router

STATIC = Path(__file__).parent / "static"


def create_app(settings: DashboardSettings, engine: AsyncEngine | None = None) -> FastAPI:
    """Build the dashboard app; a test may pass its own engine (then the caller disposes it)."""
    owns_engine = engine is None
    engine = engine or make_engine(settings)
    verifier = TokenVerifier(settings.auth)
    fanout = Fanout(CareTeamCache(engine, settings.care_team_ttl_s), settings.stream_queue_size)
    live = LiveReader(settings, fanout)
    publisher = AlertPublisher(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await wait_for_broker(settings, timeout_s=60)  # started beside the broker (compose, rapport dev)
        await ensure_topics(settings, (ALERTS, CHECKINS))
        await publisher.start()
        if settings.live_updates:
            await live.start()
        try:
            yield
        finally:
            fanout.end_streams()
            await live.stop()
            await publisher.stop()
            if owns_engine:
                await engine.dispose()

    async def ready() -> bool:
        if settings.live_updates and not live.healthy():
            return False
        try:
            async with engine.connect() as conn:
                await conn.execute(text("select 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            return False

    app = FastAPI(title="rapport dashboard", version=VERSION, lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.engine, app.state.fanout, app.state.live = engine, fanout, live
    app.add_middleware(SecurityHeaders)
    app.include_router(health_router("dashboard", ready))
    app.include_router(signin_router(verifier, settings.cookie_secure, settings.cookie_max_age_s))
    app.include_router(api_router(engine, verifier))
    app.include_router(actions_router(engine, verifier, publisher))
    app.include_router(stream_router(engine, verifier, fanout, settings.heartbeat_s,
                                     timedelta(seconds=settings.resume_margin_s)))
    app.include_router(timeline_router(engine, verifier))  # the timeline service's read API, served here
    app.mount("/", StaticFiles(directory=STATIC, html=True), name="page")
    return app
