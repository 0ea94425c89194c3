"""`rapport dashboard`: run the therapist dashboard (API, live stream and web page)."""

import asyncio
import logging

import typer

log = logging.getLogger(__name__)


async def serve(stop: asyncio.Event) -> None:
    """Serve until `stop` is set."""
    from services.common.http import EmbeddedServer
    from services.dashboard.app import create_app
    from services.dashboard.config import DashboardSettings

    settings = DashboardSettings()
    app = create_app(settings)
    server = EmbeddedServer(app, settings.host, settings.port)
    await server.start()
    log.info("dashboard listening", extra={"host": settings.host, "port": settings.port})
    await stop.wait()
    app.state.fanout.end_streams()  # uvicorn waits for open responses, and a stream never ends by itself
    await server.stop()


def register(app: typer.Typer) -> None:
    dashboard = typer.Typer(help="The therapist dashboard: API, Server-Sent Events and the web page.")

    @dashboard.callback(invoke_without_command=True)
    def run(ctx: typer.Context) -> None:
        """Run the dashboard until SIGTERM/SIGINT (RAPPORT_DASHBOARD_* settings)."""
        if ctx.invoked_subcommand is not None:
            return
        from services.common.logs import configure_logging
        from services.common.runtime import run_until_signalled

        configure_logging("dashboard")
        run_until_signalled(serve)

    app.add_typer(dashboard, name="dashboard")
