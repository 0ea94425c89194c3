"""`rapport stack up|status|down` starts real servers, reports them and leaves no process behind."""

import os
import subprocess
import sys

import asyncpg
import pytest

from services.common.stack import LocalStack, StackError, TansuBroker, pid_alive

pytestmark = pytest.mark.integration


def rapport(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], env=env, capture_output=True, text=True, timeout=120)


def test_stack_lifecycle_on_the_embedded_default(stack_root):
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    env["RAPPORT_NO_DOCKER"] = "1"
    root = str(stack_root)

    up = rapport("stack", "up", "--root", root, env=env)
    assert up.returncode == 0, up.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in up.stdout.splitlines())
    assert exports["DATABASE_URL"].endswith("/rapport")
    assert "created topics: rapport.checkins.v1" in up.stderr

    async def server_version() -> str:
        conn = await asyncpg.connect(exports["DATABASE_URL"])
        try:
            return await conn.fetchval("show server_version")
        finally:
            await conn.close()

    import asyncio

    assert asyncio.run(server_version())
    state = LocalStack(stack_root).status()
    assert state.kafka.kind == state.postgres.kind == "embedded"
    pids = [state.kafka.pid, state.postgres.pid]

    again = rapport("stack", "up", "--root", root, env=env)
    assert "already running" in again.stderr

    status = rapport("stack", "status", "--root", root, env=env)
    assert status.returncode == 0 and "embedded" in status.stdout

    down = rapport("stack", "down", "--root", root, env=env)
    assert down.returncode == 0, down.stderr
    assert not any(pid_alive(pid) for pid in pids), "stack down must leave no process behind"
    assert rapport("stack", "status", "--root", root, env=env).returncode == 1


def test_env_urls_take_precedence(tmp_path):
    environ = {"KAFKA_BOOTSTRAP_SERVERS": "kafka.example:9092", "DATABASE_URL": "postgresql://db.example/rapport"}
    state = LocalStack(tmp_path, environ=environ).up(progress=lambda _: None)
    assert (state.kafka.kind, state.postgres.kind) == ("env", "env")
    assert state.env == environ


def test_a_broker_that_cannot_start_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(TansuBroker, "binary", staticmethod(lambda: "/bin/false"))
    with pytest.raises(StackError, match="Tansu broker exited"):
        TansuBroker(tmp_path).start(1)
