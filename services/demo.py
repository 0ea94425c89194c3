"""Demo data for `rapport dev`: therapists, care teams and clients matching a simulated cohort."""

import json
from pathlib import Path
from uuid import UUID, uuid5

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.tables import care_team_members, clients, therapists

DEMO_NAMESPACE = UUID("0b7d7a43-6a3e-4c53-9f55-5d2b3c1e9a10")
DEMO_THERAPISTS = {
    "Dr. Mika Laine": "primary",
    "Sam Okafor, LCSW": "member",
    "Dr. Ana Ruiz (on call)": "escalation",
}
DEMO_PLAN = {
    "instruments": ["mood", "brs", "phq9", "srs"],
    "cadence": {"mood": "daily", "brs": "weekly", "phq9": "fortnightly", "srs": "after each session"},
    "goals": [{"goal_id": "sleep-routine", "title": "Keep a regular sleep routine"},
              {"goal_id": "walk-daily", "title": "Walk 20 minutes a day"}],
}


def therapist_id(name: str) -> UUID:
    return uuid5(DEMO_NAMESPACE, name)


def cohort_clients(events_file: Path) -> dict[UUID, str]:
    """client_id -> timezone of every client in a JSONL file of check-ins."""
    found: dict[UUID, str] = {}
    with events_file.open() as lines:
        for line in lines:
            if line.strip():
                event = json.loads(line)
                found.setdefault(UUID(event["client_id"]), event["timezone"])
    return found


async def seed(engine: AsyncEngine, cohort: dict[UUID, str]) -> dict[str, UUID]:
    """Insert the demo therapists and put every cohort client in their care team (idempotent)."""
    ids = {name: therapist_id(name) for name in DEMO_THERAPISTS}
    async with engine.begin() as conn:
        await conn.execute(pg_insert(therapists).values(
            [{"therapist_id": i, "display_name": n} for n, i in ids.items()]).on_conflict_do_nothing())
        rows = [{"client_id": c, "display_name": f"Client {str(c)[:4].upper()}", "timezone": tz, "plan": DEMO_PLAN}
                for c, tz in cohort.items()]
        if rows:
            await conn.execute(pg_insert(clients).values(rows).on_conflict_do_nothing())
            members = [{"client_id": c, "therapist_id": ids[n], "role": role}
                       for c in cohort for n, role in DEMO_THERAPISTS.items()]
            await conn.execute(pg_insert(care_team_members).values(members).on_conflict_do_nothing())
    return ids



