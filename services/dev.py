"""`rapport dev`: the whole system on the local stack with demo data, until Ctrl-C."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import typer

from services.common.stack import DEFAULT_ROOT, LocalStack, StackError, free_port, stop_pid


@dataclass(frozen=True)
class ServiceSpec:
    """How to run one service as a process and where it answers /healthz."""

    name: str
    port_env: str
    default_port: int

    def health_url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}/healthz"


SERVICE_SPECS = (
    ServiceSpec("gateway", "RAPPORT_GATEWAY_PORT", 8080),
    ServiceSpec("detector", "RAPPORT_DETECTOR_WEB_PORT", 8081),
    ServiceSpec("timeline", "RAPPORT_TIMELINE_PORT", 8082),
    ServiceSpec("notifier", "RAPPORT_NOTIFIER_PORT", 8083),
    ServiceSpec("dashboard", "RAPPORT_DASHBOARD_PORT", 8090),
)


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def choose_ports(specs=SERVICE_SPECS, environ=os.environ) -> dict[str, int]:
    """Each service's port: from its env variable, else its default; any free port when that is 0 or taken."""
    ports = {}
    for spec in specs:
        wanted = int(environ.get(spec.port_env, spec.default_port))
        ports[spec.name] = wanted if wanted and port_free(wanted) else free_port()
    return ports


def start_service(spec: ServiceSpec, port: int, env: dict[str, str], log_dir: Path) -> subprocess.Popen:
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{spec.name}.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", spec.name],
            env={**env, spec.port_env: str(port)}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )


def wait_healthy(spec: ServiceSpec, port: int, proc: subprocess.Popen, log_dir: Path, timeout_s: float = 90) -> None:
    import httpx  # here, not at the top: every `rapport` command imports this module

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = (log_dir / f"{spec.name}.log").read_text(errors="replace").splitlines()[-20:]
            raise StackError(f"{spec.name} exited with code {proc.returncode}:\n" + "\n".join(tail))
        try:
            if httpx.get(spec.health_url(port), timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise StackError(f"{spec.name} did not answer {spec.health_url(port)} within {timeout_s:.0f}s; see {log_dir}")


def load_demo(env: dict[str, str], root: Path, clients: int, days: int) -> dict[str, object]:
    """Simulate a cohort, register its clients with the demo care team and publish its check-ins."""
    from services.common.db import make_engine
    from services.common.kafka import make_producer
    from services.common.settings import DatabaseSettings, KafkaSettings
    from services.demo import cohort_clients, seed

    events = root / "demo-checkins.jsonl"
    subprocess.run(
        [sys.executable, "-m", "services.cli", "simulate", "--clients", str(clients), "--days", str(days),
         "--seed", "7", "--as-fast-as-possible", "--out", str(events)],
        env=env, check=True,
    )
    cohort = cohort_clients(events)

    async def seed_and_publish() -> dict:
        engine = make_engine(DatabaseSettings(database_url=env["DATABASE_URL"]))
        therapists = await seed(engine, cohort)
        await engine.dispose()
        producer = make_producer(KafkaSettings(kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"]))
        await producer.start()
        try:
            with events.open() as lines:
                for line in lines:
                    if line.strip():
                        await producer.send(
                            "rapport.checkins.v1", line.strip().encode(), key=json.loads(line)["client_id"].encode()
                        )
            await producer.flush()
        finally:
            await producer.stop()
        return therapists

    return asyncio.run(seed_and_publish())


def register(app: typer.Typer) -> None:
    @app.command()
    def dev(
        clients: int = typer.Option(24, help="demo clients to simulate"),
        days: int = typer.Option(45, help="days of demo history"),
        demo: bool = typer.Option(True, help="load demo data"),
        root: Path = typer.Option(DEFAULT_ROOT, help="folder for the local stack and logs"),
    ) -> None:
        """Start the stack, migrate, start every service, load demo data, print the URLs; Ctrl-C stops it all."""
        from migrations.runner import upgrade
        from services.common.kafka import ensure_topics, wait_for_broker
        from services.common.settings import KafkaSettings

        echo = lambda m: typer.echo(m, err=True)  # noqa: E731
        stack = LocalStack(root)
        procs: dict[str, subprocess.Popen] = {}
        stopping = False

        def on_signal(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        log_dir = root / "logs"
        try:
            state = stack.up(progress=echo)
            env = {**os.environ, **state.service_env, "PYTHONUNBUFFERED": "1"}
            kafka = KafkaSettings(kafka_bootstrap_servers=state.kafka.url)
            asyncio.run(wait_for_broker(kafka))
            asyncio.run(ensure_topics(kafka))
            echo("migrating the database ...")
            upgrade(state.postgres.url)
            ports = choose_ports()
            for spec in SERVICE_SPECS:
                echo(f"starting {spec.name} on port {ports[spec.name]} (log: {log_dir / (spec.name + '.log')})")
                procs[spec.name] = start_service(spec, ports[spec.name], env, log_dir)
            for spec in SERVICE_SPECS:
                wait_healthy(spec, ports[spec.name], procs[spec.name], log_dir)
            therapist_ids = load_demo(env, root, clients, days) if demo else {}
            _print_urls(ports, therapist_ids)
            reported: set[str] = set()
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None and name not in reported:
                        reported.add(name)
                        echo(f"warning: {name} exited with code {proc.returncode}; see {log_dir / (name + '.log')}")
                time.sleep(0.5)
        except (StackError, subprocess.CalledProcessError) as exc:
            echo(f"error: {exc}")
            raise typer.Exit(1) from exc
        finally:
            echo("stopping services ...")
            for name, proc in procs.items():
                stop_pid(proc.pid, signal.SIGTERM, timeout_s=20)
            stack.down(progress=echo)


def _print_urls(ports: dict[str, int], therapist_ids: dict) -> None:
    from services.common.auth import issue_dev_token

    lines = ["", "Rapport is running:"]
    lines.append(f"  gateway    http://127.0.0.1:{ports['gateway']}/docs   (POST /v1/checkins)")
    lines.append(f"  dashboard  http://127.0.0.1:{ports['dashboard']}/")
    for name, tid in therapist_ids.items():
        lines.append(f"    sign in as {name}: http://127.0.0.1:{ports['dashboard']}/login?token={issue_dev_token(str(tid), 'therapist')}")
    for name in ("detector", "timeline", "notifier"):
        lines.append(f"  {name:10} http://127.0.0.1:{ports[name]}/healthz  /metrics")
    lines.append("Press Ctrl-C to stop everything.")
    typer.echo("\n".join(lines))
