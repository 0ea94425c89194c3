"""The gateway process: JSON logs, the app under uvicorn, a clean stop on SIGTERM/SIGINT."""

import asyncio

from services.common.http import EmbeddedServer
from services.common.logs import configure_logging
from services.common.runtime import run_until_signalled
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings


def main() -> None:
    """Run the gateway with settings from the environment."""
    configure_logging("gateway")
    settings = GatewaySettings()

    async def serve(stop: asyncio.Event) -> None:
        server = EmbeddedServer(create_app(settings), settings.host, settings.port)
        await server.start()
        await stop.wait()
        await server.stop()

    run_until_signalled(serve)
