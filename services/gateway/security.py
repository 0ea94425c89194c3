"""Who is calling: a client app's bearer token, whose subject must be the client_id it submits for."""

from uuid import UUID

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.auth import TokenError, TokenVerifier

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="rapport"'}
# Declared in the OpenAPI document (the "Authorize" button of /docs); missing or malformed headers come back as None.
bearer = HTTPBearer(auto_error=False, scheme_name="clientToken",
                    description="a client token: `rapport tokens issue --client ID` in development")


class ClientAuthenticator:
    """Turns an Authorization header into the authenticated client_id (None when auth is off and absent)."""

    def __init__(self, verifier: TokenVerifier, required: bool):
        self.verifier = verifier
        self.required = required

    def __call__(self, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> UUID | None:
        if credentials is None or not credentials.credentials.strip():
            if self.required:
                raise HTTPException(401, "a client bearer token is required", headers=BEARER_CHALLENGE)
            return None
        try:
            claims = self.verifier.verify(credentials.credentials.strip(), "client")
            return UUID(claims["sub"])
        except (TokenError, ValueError) as exc:
            raise HTTPException(401, f"invalid token: {exc}", headers=BEARER_CHALLENGE) from exc


def ensure_own(subject: UUID | None, client_id: UUID) -> None:
    """403 unless the token belongs to the client the check-in is for."""
    if subject is not None and subject != client_id:
        raise HTTPException(403, "the token's subject is not this check-in's client_id")
