"""Read a client's check-in plan (instruments, cadence, agreed goals) from PostgreSQL."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.tables import clients


class PlanRepository:
    """The only SQL of the gateway: one read of `clients.plan`."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    async def plan_of(self, client_id: UUID) -> tuple[dict, str] | None:
        """(plan, timezone) of a registered client, or None when the client is unknown."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(
                select(clients.c.plan, clients.c.timezone).where(clients.c.client_id == client_id)
            )).first()
        return (dict(row.plan or {}), row.timezone) if row else None
