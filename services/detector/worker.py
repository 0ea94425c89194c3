"""Run the faust worker in this process: JSON logs, topics ensured, SIGTERM/SIGINT stop it cleanly."""

import asyncio
import logging

import faust

from services.common.kafka import ensure_topics, wait_for_broker
from services.common.logs import configure_logging
from services.common.runtime import settle_heap
from services.detector import compiled
from services.detector.app import build_app
from services.detector.config import DetectorSettings

log = logging.getLogger(__name__)


def run_worker(settings: DetectorSettings | None = None) -> None:
    """Start the worker and block until a signal stops it (faust's worker handles SIGTERM and SIGINT)."""
    settings = settings or DetectorSettings()
    configure_logging("detector", settings.log_level)
    asyncio.run(_prepare(settings))
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = build_app(settings)
    log.info("detector starting", extra={"web_port": settings.web_port, "partitions": settings.kafka_partitions,
                                         "core": compiled.build()})
    if warning := compiled.stale_warning():
        log.warning(warning)
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True, override_logging=False,
                          loop=asyncio.get_event_loop())
    worker.spinner = None  # no terminal spinner escapes in the JSON log stream
    settle_heap()
    worker.execute_from_commandline()


async def _prepare(settings: DetectorSettings) -> None:
    await wait_for_broker(settings)
    await ensure_topics(settings)
