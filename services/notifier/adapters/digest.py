"""The digest's read: alerts delivered to the digest in a time range, with recipients and therapist names."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.signal import Severity
from services.common.alerts import DEFAULT_ROUTES, Role, care_team
from services.common.tables import alerts, clients, therapists
from services.notifier.core import Delivery
from services.notifier.core.digest import DigestItem


async def digest_items(engine: AsyncEngine, start: datetime, end: datetime,
                       routes: Mapping[Severity, Iterable[Role]] = DEFAULT_ROUTES) -> tuple[list[DigestItem], dict[UUID, str]]:
    """Alerts that went to the digest in [start, end) with their recipients, and the therapists' names."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(alerts, clients.c.display_name.label("client_name"))
                .outerjoin(clients, clients.c.client_id == alerts.c.client_id)
                .where(alerts.c.delivery == Delivery.DIGEST.value, alerts.c.created_at >= start, alerts.c.created_at < end)
                .order_by(alerts.c.created_at)
            )
        ).all()
        teams = {client_id: await care_team(conn, client_id) for client_id in {r.client_id for r in rows}}
        items = [
            DigestItem(r.alert_id, r.client_id, r.client_name or str(r.client_id), r.kind, r.severity, r.summary,
                       r.observed_at, tuple(teams[r.client_id].recipients(r.severity, routes)))
            for r in rows
        ]
        ids = {t for item in items for t in item.recipients}
        names = dict((await conn.execute(select(therapists.c.therapist_id, therapists.c.display_name)
                                         .where(therapists.c.therapist_id.in_(ids)))).all()) if ids else {}
        return items, names
