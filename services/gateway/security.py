"""Who is calling: a client app's bearer token, whose subject must be the client_id it submits for."""

from uuid import UUID

from fastapi import HTTPException, Request

from services.common.auth import TokenError, TokenVerifier

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="rapport"'}


class ClientAuthenticator:
    """Turns an Authorization header into the authenticated client_id (None when auth is off and absent)."""

    def __init__(self, verifier: TokenVerifier, required: bool):
        self.verifier = verifier
        self.required = required

    def __call__(self, request: Request) -> UUID | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            if self.required:
                raise HTTPException(401, "a client bearer token is required", headers=BEARER_CHALLENGE)
            return None
        try:
            claims = self.verifier.verify(token.strip(), "client")
            return UUID(claims["sub"])
        except (TokenError, ValueError) as exc:
            raise HTTPException(401, f"invalid token: {exc}", headers=BEARER_CHALLENGE) from exc


def ensure_own(subject: UUID | None, client_id: UUID) -> None:
    """403 unless the token belongs to the client the check-in is for."""
    if subject is not None and subject != client_id:
        raise HTTPException(403, "the token's subject is not this check-in's client_id")
