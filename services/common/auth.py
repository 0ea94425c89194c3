"""Bearer tokens (JWT) for client apps and therapists.

Development uses HS256 with a shared secret (`rapport tokens issue`); production verifies
RS256/ES256 tokens from an identity provider with keys from a JWKS file or URL.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import jwt
from pydantic import Field
from pydantic_settings import BaseSettings

from services.common.settings import service_config

Role = Literal["client", "therapist"]
DEV_SECRET = "rapport-dev-secret-change-me-in-production"


class AuthSettings(BaseSettings):
    """Token verification; `RAPPORT_AUTH_*`."""

    model_config = service_config("RAPPORT_AUTH_")

    issuer: str = "rapport-dev"
    audience: str = "rapport"
    algorithms: list[str] = Field(default_factory=lambda: ["HS256"])
    hs256_secret: str = Field(DEV_SECRET, repr=False, description="shared secret for HS256 (development)")
    jwks_file: str | None = Field(None, description="path of a JWKS document for RS256/ES256")
    jwks_url: str | None = Field(None, description="URL of the identity provider's JWKS")
    leeway_s: int = 30


class TokenError(Exception):
    """The token is missing, malformed, expired or not for this service."""


class TokenVerifier:
    def __init__(self, settings: AuthSettings):
        self.settings = settings
        self._jwks_client = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        self._jwks = jwt.PyJWKSet.from_dict(json.loads(Path(settings.jwks_file).read_text())) if settings.jwks_file else None

    def _key_for(self, token: str):
        header = jwt.get_unverified_header(token)
        if header.get("alg") == "HS256":
            return self.settings.hs256_secret
        if self._jwks_client is not None:
            return self._jwks_client.get_signing_key_from_jwt(token).key
        if self._jwks is not None:
            kid = header.get("kid")
            for key in self._jwks.keys:
                if kid is None or key.key_id == kid:
                    return key.key
        raise TokenError("no key to verify this token")

    def verify(self, token: str, role: Role) -> dict:
        """Return the claims of a valid token for `role`, or raise TokenError with the reason."""
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=self.settings.algorithms,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_s,
                options={"require": ["sub", "exp"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
        if claims.get("role", role) != role:
            raise TokenError(f"token is for a {claims.get('role')}, not a {role}")
        return claims


def issue_dev_token(subject: str, role: Role, settings: AuthSettings | None = None, ttl: timedelta = timedelta(days=30)) -> str:
    """Mint an HS256 token for development and tests."""
    settings = settings or AuthSettings()
    now = datetime.now(UTC)
    claims = {"sub": subject, "role": role, "iss": settings.issuer, "aud": settings.audience, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, settings.hs256_secret, algorithm="HS256")
