"""Which clients a therapist may be pushed events about, cached for a few seconds per therapist."""

import time
from collections.abc import Callable
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.access import care_team_client_ids


class CareTeamCache:
    """Care-team membership with a short TTL: a removed therapist stops receiving within `ttl_s`."""

    def __init__(self, engine: AsyncEngine, ttl_s: float, clock: Callable[[], float] = time.monotonic):
        self.engine, self.ttl_s, self.clock = engine, ttl_s, clock
        self._entries: dict[UUID, tuple[float, frozenset[UUID]]] = {}

    async def client_ids(self, therapist_id: UUID) -> frozenset[UUID]:
        """The therapist's care-team clients, from the cache while fresh, else from PostgreSQL."""
        cached = self._entries.get(therapist_id)
        now = self.clock()
        if cached and now - cached[0] < self.ttl_s:
            return cached[1]
        async with self.engine.connect() as conn:
            ids = frozenset(await care_team_client_ids(conn, therapist_id))
        self._entries[therapist_id] = (now, ids)
        return ids

    def forget(self, therapist_id: UUID) -> None:
        self._entries.pop(therapist_id, None)
