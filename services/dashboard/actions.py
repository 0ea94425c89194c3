"""`POST /api/alerts/{id}/acknowledge|resolve`: care-team members act on an alert; each action is audited."""

from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.alert import AlertEvent, AlertTransition
from services.common.access import audit, care_team_client_ids
from services.common.alerts import AlertNotFound, InvalidTransition, transition
from services.common.auth import TokenVerifier
from services.dashboard import queries
from services.dashboard.publisher import AlertPublisher
from services.dashboard.signin import current_therapist


class AlertAction(BaseModel):
    """The optional note a therapist writes when acknowledging or resolving."""

    note: str | None = Field(None, max_length=2000, description="what was done; stored, never logged")


async def _step(conn, alert_id: UUID, step: AlertTransition, therapist_id: UUID, note: str | None) -> AlertEvent:
    try:
        return await transition(conn, alert_id, step, therapist_id, note)
    except AlertNotFound as exc:
        raise HTTPException(404, f"alert_id: {exc}") from exc
    except InvalidTransition as exc:
        raise HTTPException(409, str(exc)) from exc


def actions_router(engine: AsyncEngine, verifier: TokenVerifier, publisher: AlertPublisher | None) -> APIRouter:
    router = APIRouter(prefix="/api/alerts", tags=["dashboard"])
    me_dependency = Depends(current_therapist(verifier))

    async def act(alert_id: UUID, step: AlertTransition, therapist_id: UUID, body: AlertAction | None) -> dict:
        async with engine.begin() as conn:
            alert = await queries.alert(conn, alert_id)
            if alert is None:
                raise HTTPException(404, f"alert_id: no alert {alert_id}")
            allowed = alert["client_id"] in await care_team_client_ids(conn, therapist_id)
            if allowed:
                event = await _step(conn, alert_id, step, therapist_id, body.note if body else None)
            else:  # recorded in this transaction, which commits: the 403 is raised after it
                await audit(conn, therapist_id, f"alert.{step.value}.denied", client_id=alert["client_id"],
                            resource=f"alert:{alert_id}")
        if not allowed:
            raise HTTPException(403, "this client is not in your care team")
        published = await publisher.publish(event) if publisher else False
        async with engine.connect() as conn:
            return {"alert": await queries.alert(conn, alert_id), "event_id": event.event_id, "published": published}

    @router.post("/{alert_id}/acknowledge")
    async def acknowledge(alert_id: UUID, body: AlertAction | None = None, therapist_id: UUID = me_dependency) -> dict:
        """open -> acknowledged; 403 outside the care team, 409 when the alert is not open."""
        return await act(alert_id, AlertTransition.ACKNOWLEDGED, therapist_id, body)

    @router.post("/{alert_id}/resolve")
    async def resolve(alert_id: UUID, body: AlertAction | None = None, therapist_id: UUID = me_dependency) -> dict:
        """open|acknowledged -> resolved with an optional note; 403 outside the care team, 409 when resolved."""
        return await act(alert_id, AlertTransition.RESOLVED, therapist_id, body)

    return router
