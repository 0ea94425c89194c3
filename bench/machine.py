"""What the benchmark ran on: cores, CPU, memory, Python and the versions of the packages that matter."""

import os
import platform
from importlib import metadata

import psutil

from services.detector import compiled

PACKAGES = ("aiokafka", "faust-streaming", "fastapi", "uvicorn", "httpx", "sqlalchemy", "asyncpg", "pydantic",
            "orjson")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_versions(names=PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages: other work on the same cores lowers every figure."""
    return [round(x, 2) for x in os.getloadavg()]


def describe_machine(broker: str = "?", postgres: str = "?") -> dict:
    """A dict for the report; `broker` and `postgres` say which stack component was measured."""
    return {
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "detection_core": compiled.build(),  # mypyc-compiled or Python: replay and the detector depend on it
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "broker": broker,
        "postgres": postgres,
        "packages": package_versions(),
        "load_average_at_start": load_average(),
    }
