"""HTTP pieces every service shares: /healthz, /readyz and /metrics, and an in-process uvicorn server."""

import asyncio
from collections.abc import Awaitable, Callable

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from services.common.metrics import REGISTRY
from services.common.version import VERSION

ReadinessCheck = Callable[[], Awaitable[bool]]


def health_router(service: str, ready: ReadinessCheck | None = None) -> APIRouter:
    """`/healthz` (process alive, with version), `/readyz` (dependencies reachable), `/metrics` (Prometheus)."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "service": service, "version": VERSION}

    @router.get("/readyz")
    async def readyz() -> Response:
        ok = await ready() if ready else True
        return JSONResponse({"ready": ok, "service": service}, status_code=200 if ok else 503)

    @router.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> str:
        return REGISTRY.render()

    return router


def health_app(service: str, ready: ReadinessCheck | None = None) -> FastAPI:
    """A minimal app for consumer services that have no API of their own."""
    app = FastAPI(title=f"rapport {service}", version=VERSION, docs_url=None, redoc_url=None)
    app.include_router(health_router(service, ready))
    return app


class EmbeddedServer:
    """Run a FastAPI app with uvicorn inside the current event loop, beside a consumer loop."""

    def __init__(self, app: FastAPI, host: str, port: int):
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="on"))
        self.server.install_signal_handlers = lambda: None  # the service owns SIGTERM/SIGINT
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task:
            await self.task
