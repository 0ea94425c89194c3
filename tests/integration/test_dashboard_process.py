"""`rapport dashboard` as a process: serves its page and API, and SIGTERM ends it promptly even with open streams."""

import asyncio
import signal
import time
import uuid

import httpx
import pytest

from services.common.auth import issue_dev_token
from services.common.stack import free_port
from tests.helpers import ServiceProcess, wait_until

pytestmark = pytest.mark.integration


async def test_sigterm_with_an_open_stream_exits_cleanly(service_env, tmp_path):
    port = free_port()
    env = service_env | {"RAPPORT_DASHBOARD_PORT": str(port)}
    process = ServiceProcess(["dashboard"], env, tmp_path, f"http://127.0.0.1:{port}/healthz").start()
    try:
        await process.wait_healthy(timeout=60)
        await process.wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=60)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=httpx.Timeout(10, read=None)) as client:
            page = await client.get("/")
            assert page.status_code == 200 and "<title>Rapport" in page.text
            assert "rapport_dashboard_open_streams" in (await client.get("/metrics")).text
            token = issue_dev_token(str(uuid.uuid4()), "therapist")
            async with client.stream("GET", "/api/stream", headers={"Authorization": f"Bearer {token}"}) as stream:
                lines = stream.aiter_lines()
                assert (await anext(lines)).startswith("retry:")
                started = time.monotonic()
                process.proc.send_signal(signal.SIGTERM)
                # the server must end the stream itself: uvicorn waits for open responses before it exits
                await asyncio.wait_for(_drain(lines), timeout=15)
        await wait_until(lambda: asyncio.to_thread(lambda: process.proc.poll() is not None), timeout=15,
                         reason="the dashboard to exit after SIGTERM")
        assert process.proc.returncode == 0, process.log_tail()
        print(f"\ndashboard exited {time.monotonic() - started:.2f} s after SIGTERM with a stream open")
        assert time.monotonic() - started < 15
    finally:
        process.stop()


async def _drain(lines) -> None:
    async for _ in lines:
        pass
