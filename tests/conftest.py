"""Shared fixtures: one real broker and PostgreSQL per test session (env, testcontainers or embedded)."""

import asyncio
import os
import shutil
import tempfile
from types import SimpleNamespace
from pathlib import Path

import pytest

from services.common.kafka import ensure_topics, make_producer, wait_for_broker
from services.common.settings import DatabaseSettings, KafkaSettings
from services.common.stack import LocalStack, free_port
from tests.helpers import migrated_database

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def pytest_configure(config):
    """Refuse to test a compiled detection core older than its source: the tests would not see the edits."""
    from services.detector.compiled import stale_warning

    warning = stale_warning()
    if warning:
        raise pytest.UsageError(f"{warning} (`make test` rebuilds it before testing)")


def _stack_folder() -> Path:
    # Not under pytest's tmp: pytest keeps that folder private (0700), and the embedded PostgreSQL
    # runs as its own system user, which must be able to reach its data directory.
    return Path(tempfile.mkdtemp(prefix="rapport-stack-"))


@pytest.fixture
def stack_root():
    """A folder for a test's own local stack, removed afterwards."""
    folder = _stack_folder()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def stack():
    """Start (or take from the environment) the broker and the database server for this session."""
    folder = _stack_folder()
    local = LocalStack(folder)
    state = local.up(progress=lambda m: print(f"[stack] {m}"))
    yield state
    local.down(progress=lambda m: print(f"[stack] {m}"))
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_settings(stack) -> KafkaSettings:
    settings = KafkaSettings(kafka_bootstrap_servers=stack.kafka.url, kafka_session_timeout_ms=6000)
    asyncio.run(wait_for_broker(settings))
    asyncio.run(ensure_topics(settings))
    return settings


@pytest.fixture(scope="session")
def database_url(stack) -> str:
    """A fresh, migrated database of this session's own, dropped at the end."""
    with migrated_database(stack.postgres.url, "rapport_test") as url:
        yield url


@pytest.fixture(scope="session")
def database_settings(database_url) -> DatabaseSettings:
    return DatabaseSettings(database_url=database_url)


@pytest.fixture(scope="session")
def service_env(stack, kafka_settings, database_url) -> dict[str, str]:
    """Environment for services started as processes in integration and e2e tests."""
    return stack.service_env | {"DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
async def producer(kafka_settings):
    """A started producer (acks=all) on the session's broker."""
    producer = make_producer(kafka_settings)
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_report_header(config):
    return f"rapport stack: KAFKA_BOOTSTRAP_SERVERS={os.environ.get('KAFKA_BOOTSTRAP_SERVERS', '(local)')} " \
           f"DATABASE_URL={'set' if os.environ.get('DATABASE_URL') else '(local)'}"


@pytest.fixture(scope="session")
def system(service_env, tmp_path_factory):
    """Every service running as its own process on the session's broker and database."""
    from services.dev import SERVICE_SPECS
    from tests.helpers import ServiceProcess

    log_dir = tmp_path_factory.mktemp("service-logs")
    ports = {spec.name: free_port() for spec in SERVICE_SPECS}
    env = service_env | {spec.port_env: str(ports[spec.name]) for spec in SERVICE_SPECS}
    procs = {
        spec.name: ServiceProcess([spec.name], env, log_dir, spec.health_url(ports[spec.name])).start()
        for spec in SERVICE_SPECS
    }
    try:
        for proc in procs.values():
            asyncio.run(proc.wait_healthy(timeout=90))
        yield SimpleNamespace(ports=ports, procs=procs, env=env, url=lambda name: f"http://127.0.0.1:{ports[name]}")
    finally:
        for proc in procs.values():
            proc.stop()
