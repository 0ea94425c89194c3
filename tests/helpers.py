"""Test helpers: wait for a condition (never sleep), record and expect Kafka events, run services."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.common.kafka import client_options
from services.common.settings import KafkaSettings


async def wait_until(check: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, reason: str, interval: float = 0.1):
    """Poll `check` until it returns something truthy; fail naming `reason` and the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {reason}; last value: {last!r}")


class TopicRecorder:
    """Record a topic from its current end: "publish, then wait for exactly these events"."""

    def __init__(self, settings: KafkaSettings, topic: str):
        self.settings, self.topic = settings, topic
        self.records: list = []
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> "TopicRecorder":
        self._consumer = AIOKafkaConsumer(
            **client_options(self.settings), enable_auto_commit=False, fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms
        )
        await self._consumer.start()
        partitions = await wait_until(
            lambda: _async(self._consumer.partitions_for_topic(self.topic)), reason=f"metadata for {self.topic}"
        )
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self._consumer.assign(tps)
        await self._consumer.seek_to_end(*tps)
        for tp in tps:  # resolve positions now, so nothing published after entering is missed
            await self._consumer.position(tp)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._consumer.stop()

    async def _poll(self) -> None:
        batches = await self._consumer.getmany(timeout_ms=100)
        for part in batches.values():
            self.records.extend(part)

    def values(self, where: Callable[[dict], bool] = lambda v: True) -> list[dict]:
        out = []
        for record in self.records:
            try:
                value = json.loads(record.value)
            except (ValueError, TypeError):
                value = {"_raw": record.value}
            if where(value):
                out.append(value)
        return out

    async def expect(self, where: Callable[[dict], bool], count: int = 1, timeout: float = 30.0, reason: str = "") -> list[dict]:
        """Wait until at least `count` recorded values match `where`; return the matches."""

        async def enough():
            await self._poll()
            found = self.values(where)
            return found if len(found) >= count else None

        return await wait_until(enough, timeout=timeout, reason=reason or f"{count} matching record(s) on {self.topic}")

    async def expect_headers(self, where: Callable[[dict], bool], done: Callable[[list[dict[str, str]]], bool],
                             timeout: float = 30.0, reason: str = "") -> list[dict[str, str]]:
        """Wait until the headers of the values matching `where` satisfy `done`; return them."""

        async def enough():
            await self._poll()
            found = self.headers_of(where)
            return found if done(found) else None

        return await wait_until(enough, timeout=timeout, reason=reason or f"matching headers on {self.topic}")

    def headers_of(self, where: Callable[[dict], bool]) -> list[dict[str, str]]:
        return [
            {k: v.decode() for k, v in record.headers}
            for record in self.records
            if where(_json_or_raw(record.value))
        ]


def _json_or_raw(raw: bytes) -> dict:
    try:
        return json.loads(raw)
    except (ValueError, TypeError):
        return {"_raw": raw}


async def _async(value):
    return value


class ServiceProcess:
    """A service run as its own process (`rapport <args>`), the way ops run it."""

    def __init__(self, args: list[str], env: dict[str, str], log_dir: Path, health_url: str | None = None):
        self.args, self.env, self.health_url = args, env, health_url
        self.log_path = log_dir / f"{'-'.join(args)}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ServiceProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", *self.args],
            env={**os.environ, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    async def wait_healthy(self, timeout: float = 60.0) -> None:
        async def healthy():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.args} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                async with httpx.AsyncClient(timeout=1) as client:
                    return (await client.get(self.health_url)).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_until(healthy, timeout=timeout, reason=f"{self.args} to answer {self.health_url}")

    async def wait_ready(self, url: str, timeout: float = 60.0) -> None:
        async def ready():
            try:
                async with httpx.AsyncClient(timeout=1) as client:
                    return (await client.get(url)).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_until(ready, timeout=timeout, reason=f"{self.args} to be ready at {url}")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.killpg(self.proc.pid, sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(5)
        finally:
            self._log.close()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


@contextmanager
def migrated_database(server_url: str, prefix: str) -> Iterator[str]:
    """A fresh database with the schema at head on the session's server, dropped afterwards."""
    from migrations.runner import upgrade
    from services.common.stack import create_database, drop_database

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    url = create_database(server_url, name)
    try:
        upgrade(url)
        yield url
    finally:
        drop_database(server_url, name)
