"""Therapist sign-in: the dev link `/login?token=...` sets an HttpOnly cookie; every API route resolves the therapist."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from services.common.access import bearer_token, therapist_id_from
from services.common.auth import TokenError, TokenVerifier

COOKIE = "rapport_token"


def current_therapist(verifier: TokenVerifier) -> Callable[[Request], UUID]:
    """A FastAPI dependency: the signed-in therapist's id, or 401 naming why."""

    def dependency(request: Request) -> UUID:
        return therapist_id_from(request, verifier)

    return dependency


@dataclass(frozen=True)
class Session:
    """A signed-in therapist and the monotonic time their token stops verifying (expiry plus leeway)."""

    therapist_id: UUID
    ends_at: float


def current_session(verifier: TokenVerifier) -> Callable[[Request], Session]:
    """A FastAPI dependency for long-lived responses: the therapist and when their sign-in runs out."""

    def dependency(request: Request) -> Session:
        therapist_id = therapist_id_from(request, verifier)
        claims = verifier.verify(bearer_token(request), "therapist")
        remaining_s = claims["exp"] + verifier.settings.leeway_s - time.time()
        return Session(therapist_id, time.monotonic() + remaining_s)

    return dependency


def signin_router(verifier: TokenVerifier, secure_cookie: bool, max_age_s: int) -> APIRouter:
    """`GET /login?token=` (dev sign-in link or an OIDC token) and `POST /logout`."""
    router = APIRouter(tags=["sign-in"])

    @router.get("/login", include_in_schema=False)
    async def login(token: str = "") -> RedirectResponse:
        try:
            UUID(verifier.verify(token, "therapist")["sub"])
        except (TokenError, ValueError) as exc:
            raise HTTPException(401, f"this sign-in link is not valid: {exc}") from exc
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, token, max_age=max_age_s, httponly=True, secure=secure_cookie, samesite="lax")
        return response

    @router.post("/logout", include_in_schema=False)
    async def logout() -> RedirectResponse:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    return router
