"""Who may see which client: care-team authorisation and the access audit log, shared by every API."""

from uuid import UUID

from fastapi import HTTPException, Request
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import TokenError, TokenVerifier
from services.common.tables import access_audit, care_team_members


def bearer_token(request: Request) -> str | None:
    """The token from `Authorization: Bearer`, else the `rapport_token` cookie, else `?token=` (EventSource)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get("rapport_token") or request.query_params.get("token")


def therapist_id_from(request: Request, verifier: TokenVerifier) -> UUID:
    """The signed-in therapist, or 401 naming why."""
    token = bearer_token(request)
    if not token:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    try:
        claims = verifier.verify(token, "therapist")
        return UUID(claims["sub"])
    except (TokenError, ValueError) as exc:
        raise HTTPException(401, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc


async def care_team_client_ids(conn: AsyncConnection, therapist_id: UUID) -> set[UUID]:
    rows = await conn.execute(select(care_team_members.c.client_id).where(care_team_members.c.therapist_id == therapist_id))
    return {r.client_id for r in rows}


async def require_care_team(conn: AsyncConnection, therapist_id: UUID, client_id: UUID) -> None:
    """403 unless the therapist belongs to the client's care team."""
    member = await conn.scalar(
        select(care_team_members.c.role).where(
            care_team_members.c.client_id == client_id, care_team_members.c.therapist_id == therapist_id
        )
    )
    if member is None:
        raise HTTPException(403, "this client is not in your care team")


async def audit(conn: AsyncConnection, therapist_id: UUID, action: str, client_id: UUID | None = None,
                resource: str | None = None, **detail) -> None:
    """Append one access-audit row (who, what, which client, when) in the caller's transaction."""
    await conn.execute(
        insert(access_audit).values(
            therapist_id=therapist_id, client_id=client_id, action=action, resource=resource, detail=detail
        )
    )
