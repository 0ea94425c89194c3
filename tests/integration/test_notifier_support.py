"""Fixtures and helpers for the notifier's integration tests (no tests here; the test modules import it).

Each notifier test module gets a database of its own and a consumer group of its own, so a notifier
started elsewhere in the session (e.g. the e2e `system`) can neither decide nor escalate its alerts.
"""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from schemas.signal import Severity, SignalDetected, SignalKind, signal_id_for
from schemas.topics import SIGNALS
from services.common.db import make_engine
from services.common.settings import DatabaseSettings
from services.common.stack import free_port
from services.common.tables import alert_events, alerts, care_team_members, clients, therapists
from tests.helpers import ServiceProcess, migrated_database


@pytest.fixture(scope="module")
def notifier_database_url(stack) -> str:
    with migrated_database(stack.postgres.url, "rapport_notifier") as url:
        yield url


@pytest.fixture(scope="module")
def notifier_env(service_env, notifier_database_url) -> dict[str, str]:
    """Environment of a test notifier; modules extend it with their own settings."""
    return service_env | {
        "DATABASE_URL": notifier_database_url,
        "RAPPORT_NOTIFIER_PORT": str(free_port()),
        "RAPPORT_NOTIFIER_ESCALATION_POLL_S": "0.2",
        "RAPPORT_NOTIFIER_GROUP_ID": f"rapport-notifier-test-{uuid.uuid4().hex[:8]}",
    }


def notifier_process(env: dict[str, str], log_dir) -> ServiceProcess:
    return ServiceProcess(["notifier"], env, log_dir, f"http://127.0.0.1:{env['RAPPORT_NOTIFIER_PORT']}/healthz")


async def start_notifier(env: dict[str, str], log_dir) -> ServiceProcess:
    """Start `rapport notifier` and wait until it consumes (readyz: database up, partitions assigned)."""
    proc = notifier_process(env, log_dir).start()
    await proc.wait_healthy(timeout=60)
    await proc.wait_ready(f"http://127.0.0.1:{env['RAPPORT_NOTIFIER_PORT']}/readyz", timeout=60)
    return proc


@pytest.fixture(scope="module")
async def engine(notifier_database_url):
    engine = make_engine(DatabaseSettings(database_url=notifier_database_url))
    yield engine
    await engine.dispose()


async def seed_team(engine, roles=("primary", "member", "escalation")) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    """A new client with one therapist per role (direct inserts), plus an outsider therapist."""
    client_id = uuid.uuid4()
    team = {role: uuid.uuid4() for role in (*roles, "outsider")}
    async with engine.begin() as conn:
        await conn.execute(insert(clients).values(client_id=client_id, display_name="Client N"))
        for role, therapist_id in team.items():
            await conn.execute(insert(therapists).values(therapist_id=therapist_id, display_name=f"Dr. {role}"))
            if role != "outsider":
                await conn.execute(insert(care_team_members).values(client_id=client_id, therapist_id=therapist_id, role=role))
    return client_id, team


def make_signal(client_id, kind: SignalKind, severity: Severity, observed_at: datetime | None = None) -> SignalDetected:
    trigger = uuid.uuid4()
    now = datetime.now(UTC)
    return SignalDetected(signal_id=signal_id_for(client_id, kind, [trigger]), client_id=client_id, kind=kind,
                          severity=severity, observed_at=observed_at or now, detected_at=now,
                          trigger_event_ids=[trigger], summary=f"test {kind.value}")


async def send(producer, signal: SignalDetected) -> None:
    key, value = signal.to_kafka()
    await producer.send_and_wait(SIGNALS, value, key=key)


async def alert_rows(engine, client_id) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(select(alerts).where(alerts.c.client_id == client_id).order_by(alerts.c.observed_at))).all()


async def event_rows(engine, client_id, transition: str) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(select(alert_events).where(alert_events.c.client_id == client_id,
                                                              alert_events.c.transition == transition))).all()


def of_client(client_id, transition: str | None = None):
    return lambda v: v.get("client_id") == str(client_id) and (transition is None or v.get("transition") == transition)
