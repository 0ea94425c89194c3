"""HTTP routes of the gateway: decode, authorise, rate-limit, hand to the intake, encode."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from schemas.checkin import CheckinSubmission
from services.gateway.adapters.plans import PlanRepository
from services.gateway.adapters.publisher import KafkaUnavailable
from services.gateway.batch import invalid_input, item_result, judge_items
from services.gateway.config import GatewaySettings
from services.gateway.core.ledger import EventIdConflict
from services.gateway.core.ratelimit import RateLimiter
from services.gateway.core.timing import occurred_at_problem
from services.gateway.examples import BATCH_EXAMPLES, CHECKIN_EXAMPLES
from services.gateway.intake import CheckinIntake
from services.gateway.models import Accepted, BatchRequest, BatchResult, Plan, Problem
from services.gateway.security import ClientAuthenticator, ensure_own


@dataclass
class Gateway:
    """Everything the routes need, wired by the composition root at start-up."""

    settings: GatewaySettings
    intake: CheckinIntake
    limiter: RateLimiter
    plans: PlanRepository


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway


def _problem(code: int, detail: str) -> dict:
    return {"model": Problem, "description": detail}


ERRORS = {
    401: _problem(401, "missing or invalid client token"),
    403: _problem(403, "the token belongs to another client"),
    413: _problem(413, "request body over the configured limit"),
    422: _problem(422, "invalid input; `errors` names each field"),
    429: _problem(429, "too many check-ins from this client; see Retry-After"),
    503: _problem(503, "Kafka did not acknowledge in time; nothing was accepted; see Retry-After"),
}


def _too_many(retry_after: float) -> HTTPException:
    return HTTPException(429, "too many check-ins from this client", headers={"Retry-After": str(int(retry_after))})


def _unavailable(settings: GatewaySettings) -> HTTPException:
    return HTTPException(503, "the event log is unavailable; nothing was accepted, please retry",
                         headers={"Retry-After": str(settings.unavailable_retry_after_s)})


def checkin_router(authenticate: ClientAuthenticator) -> APIRouter:
    """`POST /v1/checkins`, `POST /v1/checkins:batch` and `GET /v1/me/plan`."""
    router = APIRouter(prefix="/v1", tags=["check-ins"])

    @router.post("/checkins", status_code=202, response_model=Accepted, response_model_exclude_none=True,
                 responses={**ERRORS, 409: _problem(409, "event_id already used for a different check-in")})
    async def submit_checkin(
        submission: CheckinSubmission = Body(openapi_examples=CHECKIN_EXAMPLES),
        subject: UUID | None = Depends(authenticate),
        gateway: Gateway = Depends(_gateway),
    ) -> dict:
        """Publish one check-in; a resubmitted event_id gets the same answer and is not published twice."""
        ensure_own(subject, submission.client_id)
        problem = occurred_at_problem(submission.occurred_at, datetime.now(UTC))
        if problem:
            raise invalid_input("occurred_at", problem)
        wait = gateway.limiter.take(subject or submission.client_id, 1, time.monotonic())
        if wait:
            raise _too_many(wait)
        try:
            return await gateway.intake.submit(submission.to_event())
        except KafkaUnavailable as exc:
            raise _unavailable(gateway.settings) from exc
        except EventIdConflict as exc:
            raise HTTPException(409, str(exc)) from exc

    @router.post("/checkins:batch", response_model=BatchResult, response_model_exclude_none=True, responses=ERRORS)
    async def submit_batch(
        batch: BatchRequest = Body(openapi_examples=BATCH_EXAMPLES),
        subject: UUID | None = Depends(authenticate),
        gateway: Gateway = Depends(_gateway),
    ) -> JSONResponse:
        """Publish up to the batch limit of check-ins; every item gets its own result."""
        limit = gateway.settings.batch_max_items
        if len(batch.checkins) > limit:
            raise invalid_input("checkins", f"at most {limit} check-ins per batch, got {len(batch.checkins)}")
        results, events = judge_items(batch.checkins, subject, datetime.now(UTC))
        if events:
            wait = gateway.limiter.take(subject or events[0][1].client_id, len(events), time.monotonic())
            if wait:
                raise _too_many(wait)
            outcomes = await gateway.intake.submit_many([event for _, event in events])
            for (index, event), outcome in zip(events, outcomes):
                results[index] = item_result(index, event, outcome)
        counts = {s: sum(r.status == s for r in results) for s in ("accepted", "rejected", "unavailable")}
        if counts["unavailable"] and not counts["accepted"]:
            raise _unavailable(gateway.settings)
        body = BatchResult(**counts, results=results).model_dump(mode="json", exclude_none=True)
        headers = {"Retry-After": str(gateway.settings.unavailable_retry_after_s)} if counts["unavailable"] else None
        return JSONResponse(body, headers=headers)

    @router.get("/me/plan", response_model=Plan,
                responses={401: ERRORS[401], 404: _problem(404, "unknown client"), 503: _problem(503, "database down")})
    async def my_plan(subject: UUID | None = Depends(authenticate), gateway: Gateway = Depends(_gateway)) -> Plan:
        """The calling client's check-in plan: instruments, cadence and agreed goals."""
        if subject is None:
            raise HTTPException(401, "a client bearer token is required")
        try:
            found = await gateway.plans.plan_of(subject)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            raise HTTPException(503, "the plan store is unavailable, please retry",
                                headers={"Retry-After": str(gateway.settings.unavailable_retry_after_s)}) from exc
        if found is None:
            raise HTTPException(404, "no plan: this client is not registered")
        plan, timezone = found
        return Plan(client_id=str(subject), timezone=timezone, plan=plan)

    return router
