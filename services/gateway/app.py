"""Composition root of the gateway: settings in, a FastAPI app with its producer, ledger and routes out."""

import logging
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from schemas.errors import field_path
from services.common.auth import TokenVerifier
from services.common.db import make_engine
from services.common.http import health_router
from services.common.kafka import make_producer
from services.common.version import VERSION
from services.gateway.adapters.connection import ProducerConnection
from services.gateway.adapters.plans import PlanRepository
from services.gateway.adapters.publisher import CheckinPublisher
from services.gateway.api import Gateway, checkin_router
from services.gateway.batch import InvalidInput
from services.gateway.body_limit import BodyLimit
from services.gateway.config import GatewaySettings
from services.gateway.core.ledger import AcceptedLedger
from services.gateway.core.ratelimit import RateLimiter
from services.gateway.intake import CheckinIntake
from services.gateway.request_metrics import RequestMetrics
from services.gateway.security import ClientAuthenticator

log = logging.getLogger(__name__)


def create_app(settings: GatewaySettings, producer: AIOKafkaProducer | None = None) -> FastAPI:
    """The gateway app; a given `producer` is used as is (its owner starts and stops it)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Kafka's own timeout ends before ours, so a 503 is answered for a write that has definitely failed
        # and will not be delivered later when the broker comes back.
        connection = ProducerConnection(
            lambda: make_producer(settings, request_timeout_ms=int(settings.kafka_ack_timeout_s * 800)))
        if producer is None:
            await connection.start()
        engine = make_engine(settings, connect_args={"timeout": 5})  # a plan read must not hang a request
        publisher = CheckinPublisher(lambda: producer or connection.producer, settings.kafka_ack_timeout_s)
        app.state.gateway = Gateway(
            settings=settings,
            intake=CheckinIntake(publisher, AcceptedLedger(settings.idempotency_cache_size), settings.crisis_lines),
            limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
            plans=PlanRepository(engine),
        )
        log.info("gateway ready", extra={"kafka": settings.kafka_bootstrap_servers, "auth": settings.auth_required})
        try:
            yield
        finally:
            await engine.dispose()
            await connection.stop()

    async def kafka_reachable() -> bool:
        gateway = getattr(app.state, "gateway", None)
        return gateway is not None and await gateway.intake.publisher.reachable()

    app = FastAPI(title="Rapport gateway", version=VERSION, lifespan=lifespan,
                  description="Client apps publish between-session check-ins to `rapport.checkins.v1`.")
    app.include_router(checkin_router(ClientAuthenticator(TokenVerifier(settings.auth), settings.auth_required)))
    app.include_router(health_router("gateway", kafka_reachable))
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(InvalidInput, _invalid_input)
    app.add_exception_handler(HTTPException, _http_problem)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics)  # outermost, so 413s are counted too
    return app


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if loc[:1] == ("body",):
            loc = loc[1:] if error.get("type") != "json_invalid" else ()
        problems.append({"field": field_path(loc), "message": error.get("msg", "invalid")})
    names = ", ".join(sorted({p["field"] for p in problems}))
    return JSONResponse({"detail": f"invalid input: {names}", "errors": problems}, status_code=422)


async def _invalid_input(request: Request, exc: InvalidInput) -> JSONResponse:
    names = ", ".join(p["field"] for p in exc.problems)
    return JSONResponse({"detail": f"invalid input: {names}", "errors": exc.problems}, status_code=422)


async def _http_problem(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 400:  # only FastAPI's body decoding says 400 here: bytes that are not UTF-8 JSON
        problem = {"field": "(body)", "message": "the body is not UTF-8 encoded JSON"}
        return JSONResponse({"detail": "invalid input: (body)", "errors": [problem]}, status_code=422)
    return JSONResponse({"detail": str(exc.detail), "errors": []}, status_code=exc.status_code, headers=exc.headers)
