"""`rapport dev` brings the whole system up with demo data, and Ctrl-C leaves no process behind."""

import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from services.common.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_dev_starts_everything_and_ctrl_c_stops_everything(stack_root):
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    env |= {"RAPPORT_NO_DOCKER": "1", "PYTHONUNBUFFERED": "1"}
    for port_env in ("RAPPORT_GATEWAY_PORT", "RAPPORT_DETECTOR_WEB_PORT", "RAPPORT_TIMELINE_PORT",
                     "RAPPORT_NOTIFIER_PORT", "RAPPORT_DASHBOARD_PORT"):
        env[port_env] = "0"  # 0: dev picks free ports, so a developer's running stack does not collide
    root = stack_root
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "dev", "--clients", "4", "--days", "14", "--root", str(root)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not any("Press Ctrl-C" in line for line in output):
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            output.append(line)
        text = "".join(output)
        assert "Press Ctrl-C" in text, f"rapport dev did not come up:\n{text[-3000:]}"
        dashboard = next(line.split()[1] for line in output if line.strip().startswith("dashboard"))
        assert httpx.get(dashboard.rstrip("/") + "/healthz", timeout=5).status_code == 200
        assert "sign in as" in text

        state = LocalStack(root).status()
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 5, "every service runs as its own process"
        watched = [c.pid for c in children] + [state.kafka.pid, state.postgres.pid]
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, rest[-2000:]
    assert not [pid for pid in watched if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE], \
        "Ctrl-C must leave no process behind"
