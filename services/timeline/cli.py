"""`rapport timeline`: run the writer; `rebuild` replays the topics; `partitions` prepares months ahead."""

import asyncio

import typer


def register(app: typer.Typer) -> None:
    timeline = typer.Typer(help="The timeline writer: check-ins, scores, signals and alert steps into PostgreSQL.")

    @timeline.callback(invoke_without_command=True)
    def run(ctx: typer.Context) -> None:
        """Run the writer until SIGTERM/SIGINT (RAPPORT_TIMELINE_* settings)."""
        if ctx.invoked_subcommand is not None:
            return
        from services.common.logs import configure_logging
        from services.common.runtime import run_until_signalled
        from services.timeline.config import TimelineSettings
        from services.timeline.main import serve

        configure_logging("timeline")
        settings = TimelineSettings()
        run_until_signalled(lambda stop: serve(settings, stop))

    app.add_typer(timeline, name="timeline")
