"""The benchmark's own stack and service processes, built from the same pieces as `rapport dev`."""

import asyncio
import importlib.util
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from services.common.stack import LocalStack, StackState, create_database, drop_database, free_port, stop_pid
from services.dev import SERVICE_SPECS, ServiceSpec, start_service, wait_healthy

REPO_ROOT = Path(__file__).resolve().parent.parent


def service_missing(name: str) -> str | None:
    """Why `rapport <name>` cannot run in this checkout, or None when it can."""
    module = f"services.{name}.cli"
    try:
        found = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        found = None
    return None if found else f"{module} is not in this checkout yet"


def command_missing(command: str) -> str | None:
    """Why a top-level `rapport <command>` (a tool such as replay or simulate) is not available."""
    from services.cli import app

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    names |= {g.name for g in app.registered_groups}
    return None if command in names else f"`rapport {command}` is not registered yet"


@dataclass
class BenchSystem:
    """A stack in a temp folder with a database of the run's own; services started here are stopped here."""

    root: Path
    state: StackState | None = None
    database_url: str = ""
    database_name: str = field(default_factory=lambda: f"rapport_bench_{uuid.uuid4().hex[:8]}")
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return self.state.kafka.url

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ, "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "DATABASE_URL": self.database_url,
            "KAFKA_SESSION_TIMEOUT_MS": "6000", "PYTHONUNBUFFERED": "1",
        }

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    def start(self, name: str, extra_env: dict[str, str] | None = None, as_name: str | None = None) -> int:
        """Start `rapport <name>` on a free port, wait for /healthz and return the port.

        `as_name` runs a second instance beside the first under that name (for `stop` and `url`).
        """
        spec = _spec(name)
        port = free_port()
        env = {**self.env, **(extra_env or {}), "PYTHONPATH": str(REPO_ROOT)}
        key = as_name or name
        self.procs[key] = start_service(spec, port, env, self.log_dir)
        self.ports[key] = port
        wait_healthy(spec, port, self.procs[key], self.log_dir)
        return port

    def start_module(self, name: str, args: list[str]) -> subprocess.Popen:
        """Run `python -m <module> ARGS` (e.g. the bare faust agent) with its log in the run folder."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{name}.log", "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", *args], env={**self.env, "PYTHONPATH": str(REPO_ROOT)},
                                    cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None:
            stop_pid(proc.pid, timeout_s=20)

    def stop_all(self, keep: set[str] = frozenset()) -> None:
        for name in [n for n in self.procs if n not in keep]:
            self.stop(name)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


def _spec(name: str) -> ServiceSpec:
    return next(s for s in SERVICE_SPECS if s.name == name)


@contextmanager
def bench_system(root: Path, progress):
    """Bring up the stack (env URLs, else testcontainers, else embedded), a fresh migrated database, the topics."""
    from migrations.runner import upgrade
    from services.common.kafka import ensure_topics, wait_for_broker
    from services.common.settings import KafkaSettings

    stack = LocalStack(root / "stack")
    system = BenchSystem(root)
    system.state = stack.up(progress=progress)
    try:
        system.database_url = create_database(system.state.postgres.url, system.database_name)
        upgrade(system.database_url)
        kafka = KafkaSettings(kafka_bootstrap_servers=system.bootstrap, kafka_session_timeout_ms=6000)
        asyncio.run(wait_for_broker(kafka))
        asyncio.run(ensure_topics(kafka))
        yield system
    finally:
        system.stop_all()
        try:
            drop_database(system.state.postgres.url, system.database_name)
        finally:
            stack.down(progress=progress)
