"""The timeline read API, mounted by the dashboard: `timeline_router(engine, verifier) -> APIRouter`.

Interface for the dashboard (`app.include_router(timeline_router(engine, verifier))`):
- `GET /api/clients/{client_id}/timeline?from&to&kinds&cursor&limit` -> `{"client_id", "items", "next_cursor"}`;
  items newest first, each `{"kind": "checkin"|"signal"|"alert", "at", "id", "data": {...}}`; `kinds` is a
  comma-separated subset (default all); pass `next_cursor` back as `cursor` for the next (older) page, it is
  null on the last page. Check-in items carry answers, goals, scores per instrument and the note (therapists
  are the clinicians; the note is never logged).
- `GET /api/clients/{client_id}/series?instrument=brs&bucket=day&from&to` -> `{"client_id", "instrument",
  "bucket", "points": [{"bucket", "mean", "min", "max", "count", "last"}], "signals": [...]}`; buckets are
  the client's own calendar days (or weeks), only complete scores count.
Both need a therapist bearer token (401), the client in the therapist's care team (403), and write an
access-audit row: `timeline.read` / `series.read`, or `timeline.denied` for a refused read.
"""

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.instruments import REGISTRY as INSTRUMENTS
from services.common.access import audit, require_care_team, therapist_id_from
from services.common.auth import TokenVerifier
from services.timeline import queries
from services.timeline.paging import BadQuery, check_window, decode_cursor, encode_cursor, parse_kinds


def _bad(exc: BadQuery) -> HTTPException:
    return HTTPException(422, str(exc))


def timeline_router(engine: AsyncEngine, verifier: TokenVerifier) -> APIRouter:
    """Routes under `/api/clients/{client_id}/` for one client's timeline and chart series."""
    router = APIRouter(prefix="/api/clients", tags=["timeline"])

    async def authorised(request: Request, client_id: UUID, action: str) -> UUID:
        therapist_id = therapist_id_from(request, verifier)
        refused: HTTPException | None = None
        async with engine.begin() as conn:
            try:
                await require_care_team(conn, therapist_id, client_id)
            except HTTPException as exc:  # audit the refused attempt, committed before the 403 goes out
                refused = exc
                await audit(conn, therapist_id, "timeline.denied", client_id, resource=request.url.path, wanted=action)
        if refused is not None:
            raise refused
        return therapist_id

    @router.get("/{client_id}/timeline")
    async def timeline(
        request: Request,
        client_id: UUID,
        from_at: datetime | None = Query(None, alias="from", description="inclusive start, RFC 3339 with offset"),
        to_at: datetime | None = Query(None, alias="to", description="exclusive end, RFC 3339 with offset"),
        kinds: str | None = Query(None, description="comma-separated subset of checkin, signal, alert"),
        cursor: str | None = Query(None, description="next_cursor of the previous page"),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict:
        try:
            check_window(from_at, to_at)
            wanted = parse_kinds(kinds, queries.KINDS)
            after = decode_cursor(cursor) if cursor else None
        except BadQuery as exc:
            raise _bad(exc) from None
        therapist_id = await authorised(request, client_id, "timeline.read")
        async with engine.begin() as conn:
            rows = await queries.timeline_page(conn, client_id, wanted, from_at, to_at, after, limit)
            page, more = rows[:limit], len(rows) > limit
            await audit(conn, therapist_id, "timeline.read", client_id, resource=request.url.path, kinds=wanted,
                        items=len(page), first_page=cursor is None)
        next_cursor = encode_cursor(page[-1]["at"], page[-1]["id"]) if more else None
        return {"client_id": client_id, "items": page, "next_cursor": next_cursor}

    @router.get("/{client_id}/series")
    async def series(
        request: Request,
        client_id: UUID,
        instrument: str = Query(..., description="an instrument of the v1 registry, e.g. brs, mood, srs"),
        bucket: str = Query("day", description="day or week, in the client's own timezone"),
        from_at: datetime | None = Query(None, alias="from"),
        to_at: datetime | None = Query(None, alias="to"),
    ) -> dict:
        try:
            check_window(from_at, to_at)
            if instrument not in INSTRUMENTS:
                raise BadQuery("instrument", f"expected one of {', '.join(sorted(INSTRUMENTS))}")
            if bucket not in queries.BUCKETS:
                raise BadQuery("bucket", f"expected one of {', '.join(queries.BUCKETS)}")
        except BadQuery as exc:
            raise _bad(exc) from None
        therapist_id = await authorised(request, client_id, "series.read")
        async with engine.begin() as conn:
            points = await queries.daily_series(conn, client_id, instrument, bucket, from_at, to_at)
            markers = await queries.signal_markers(conn, client_id, from_at, to_at)
            await audit(conn, therapist_id, "series.read", client_id, resource=request.url.path,
                        instrument=instrument, bucket=bucket)
        return {"client_id": client_id, "instrument": instrument, "bucket": bucket, "points": points,
                "signals": markers}

    return router
