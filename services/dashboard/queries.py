"""All SQL the dashboard runs: alerts, caseload and the rows a resumed stream replays."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.tables import alert_events, alerts, care_team_members, checkins, clients, scores, therapists

SEVERITY_RANK = case(
    {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}, value=alerts.c.severity, else_=5
)
CASELOAD_INSTRUMENTS = ("brs", "mood", "srs", "phq9")
ACKNOWLEDGED_BY_NAME = (
    select(therapists.c.display_name).where(therapists.c.therapist_id == alerts.c.acknowledged_by)
    .scalar_subquery().label("acknowledged_by_name")
)
ALERT_COLUMNS = (
    alerts.c.alert_id, alerts.c.signal_id, alerts.c.client_id, clients.c.display_name.label("client_name"),
    alerts.c.kind, alerts.c.severity, alerts.c.summary, alerts.c.state, alerts.c.delivery, alerts.c.observed_at,
    alerts.c.created_at, alerts.c.acknowledged_at, alerts.c.acknowledged_by, alerts.c.resolved_at,
    alerts.c.resolved_by, alerts.c.resolution_note, alerts.c.escalated_at, ACKNOWLEDGED_BY_NAME,
)


# A repeat inside its cooldown is kept for the record but is not something to look at again.
IN_INBOX = alerts.c.delivery != "suppressed"


def _in_care_team(therapist_id: UUID, client_column):
    return client_column.in_(
        select(care_team_members.c.client_id).where(care_team_members.c.therapist_id == therapist_id)
    )


async def therapist(conn: AsyncConnection, therapist_id: UUID) -> dict | None:
    row = (await conn.execute(select(therapists).where(therapists.c.therapist_id == therapist_id))).first()
    return dict(row._mapping) if row else None


async def alerts_for(conn: AsyncConnection, therapist_id: UUID, states: list[str], limit: int = 200) -> list[dict]:
    """Alerts of the therapist's care-team clients in `states`, most urgent first, newest first within a severity."""
    query = (
        select(*ALERT_COLUMNS)
        .join(clients, clients.c.client_id == alerts.c.client_id, isouter=True)
        .where(_in_care_team(therapist_id, alerts.c.client_id), alerts.c.state.in_(states), IN_INBOX)
        .order_by(SEVERITY_RANK, alerts.c.created_at.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]


async def alert(conn: AsyncConnection, alert_id: UUID) -> dict | None:
    query = select(*ALERT_COLUMNS).join(clients, clients.c.client_id == alerts.c.client_id, isouter=True)
    row = (await conn.execute(query.where(alerts.c.alert_id == alert_id))).first()
    return dict(row._mapping) if row else None


async def caseload_clients(conn: AsyncConnection, therapist_id: UUID) -> list[dict]:
    """The therapist's clients with their role, open alert counts by severity and last check-in time."""
    open_alerts = (
        select(alerts.c.client_id, func.count().label("open_alerts"), func.min(SEVERITY_RANK).label("worst_rank"))
        .where(alerts.c.state == "open", IN_INBOX, _in_care_team(therapist_id, alerts.c.client_id))
        .group_by(alerts.c.client_id)
        .subquery()
    )
    last_checkin = (
        select(checkins.c.client_id, func.max(checkins.c.occurred_at).label("last_checkin_at"))
        .where(_in_care_team(therapist_id, checkins.c.client_id))
        .group_by(checkins.c.client_id)
        .subquery()
    )
    query = (
        select(
            clients.c.client_id, clients.c.display_name, clients.c.timezone, care_team_members.c.role,
            func.coalesce(open_alerts.c.open_alerts, 0).label("open_alerts"), open_alerts.c.worst_rank,
            last_checkin.c.last_checkin_at,
        )
        .join(care_team_members, care_team_members.c.client_id == clients.c.client_id)
        .join(open_alerts, open_alerts.c.client_id == clients.c.client_id, isouter=True)
        .join(last_checkin, last_checkin.c.client_id == clients.c.client_id, isouter=True)
        .where(care_team_members.c.therapist_id == therapist_id)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]


async def recent_scores(conn: AsyncConnection, client_ids: list[UUID], per_instrument: int = 6) -> list[dict]:
    """The latest complete scores per (client, caseload instrument), newest first."""
    if not client_ids:
        return []
    ranked = (
        select(
            scores.c.client_id, scores.c.instrument, scores.c.value, scores.c.occurred_at,
            func.row_number().over(
                partition_by=(scores.c.client_id, scores.c.instrument), order_by=scores.c.occurred_at.desc()
            ).label("n"),
        )
        .where(
            scores.c.client_id.in_(client_ids), scores.c.instrument.in_(CASELOAD_INSTRUMENTS),
            scores.c.value.is_not(None),
        )
        .subquery()
    )
    query = select(ranked.c.client_id, ranked.c.instrument, ranked.c.value, ranked.c.occurred_at).where(
        ranked.c.n <= per_instrument
    ).order_by(ranked.c.client_id, ranked.c.instrument, ranked.c.occurred_at.desc())
    return [dict(r._mapping) for r in await conn.execute(query)]


async def alert_events_since(conn: AsyncConnection, therapist_id: UUID, since: datetime, limit: int = 500) -> list[dict]:
    """Alert lifecycle rows of the therapist's care-team clients after `since`, oldest first (stream resume)."""
    query = (
        select(alert_events, alerts.c.signal_id, alerts.c.kind, alerts.c.severity, alerts.c.summary)
        .join(alerts, alerts.c.alert_id == alert_events.c.alert_id)
        .where(_in_care_team(therapist_id, alert_events.c.client_id), alert_events.c.occurred_at > since)
        .order_by(alert_events.c.occurred_at, alert_events.c.event_id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]


async def checkins_since(conn: AsyncConnection, therapist_id: UUID, since: datetime, limit: int = 500) -> list[dict]:
    """Check-ins of the therapist's care-team clients received after `since`, oldest first (ids and times only)."""
    query = (
        select(checkins.c.event_id, checkins.c.client_id, checkins.c.occurred_at, checkins.c.received_at,
               checkins.c.help_requested)
        .where(_in_care_team(therapist_id, checkins.c.client_id), checkins.c.received_at > since)
        .order_by(checkins.c.received_at, checkins.c.event_id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]
