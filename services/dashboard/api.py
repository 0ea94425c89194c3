"""The therapist API: who am I, caseload, alert inbox and alert actions; every read of client data is audited."""

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.alert import AlertState
from services.common.access import audit
from services.common.auth import TokenVerifier
from services.dashboard import queries
from services.dashboard.core.caseload import build_caseload
from services.dashboard.signin import current_therapist

INBOX_STATES = "open,acknowledged"


def parse_states(text: str) -> list[str]:
    """`open,acknowledged` -> ["open", "acknowledged"]; 422 naming the field for anything else."""
    states = [s.strip() for s in text.split(",") if s.strip()]
    allowed = {s.value for s in AlertState}
    wrong = [s for s in states if s not in allowed]
    if wrong or not states:
        raise HTTPException(422, f"state: expected one or more of {', '.join(sorted(allowed))}, got {text!r}")
    return states


def api_router(engine: AsyncEngine, verifier: TokenVerifier) -> APIRouter:
    """Read routes of the dashboard API (alert actions live in `actions`)."""
    router = APIRouter(prefix="/api", tags=["dashboard"])
    me_dependency = Depends(current_therapist(verifier))

    @router.get("/me")
    async def me(therapist_id: UUID = me_dependency) -> dict:
        async with engine.connect() as conn:
            row = await queries.therapist(conn, therapist_id)
        name = row["display_name"] if row else None
        return {"therapist_id": therapist_id, "display_name": name, "registered": row is not None}

    @router.get("/alerts")
    async def list_alerts(
        therapist_id: UUID = me_dependency,
        state: str = Query(INBOX_STATES, description="comma-separated: open, acknowledged, resolved"),
        limit: int = Query(200, ge=1, le=1000),
    ) -> dict:
        states = parse_states(state)
        async with engine.begin() as conn:
            rows = await queries.alerts_for(conn, therapist_id, states, limit)
            await audit(conn, therapist_id, "alerts.list", resource="/api/alerts", states=states,
                        clients=sorted({str(r["client_id"]) for r in rows}))
        return {"alerts": rows}

    @router.get("/caseload")
    async def caseload(therapist_id: UUID = me_dependency) -> dict:
        """The therapist's clients, most urgent first: open alerts, latest BRS/mood/SRS/PHQ-9 with trend, last check-in."""
        async with engine.begin() as conn:
            client_rows = await queries.caseload_clients(conn, therapist_id)
            score_rows = await queries.recent_scores(conn, [r["client_id"] for r in client_rows])
            await audit(conn, therapist_id, "caseload.read", resource="/api/caseload",
                        clients=sorted(str(r["client_id"]) for r in client_rows))
        return {"clients": build_caseload(client_rows, score_rows, datetime.now(UTC))}

    return router
