"""`rapport timeline`: run the writer; `rebuild` replays the topics; `partitions` prepares months ahead."""

import asyncio
from datetime import UTC, datetime

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

    @timeline.command("rebuild")
    def rebuild_command(
        truncate: bool = typer.Option(False, "--truncate", help="empty checkins, scores and signals first"),
        yes: bool = typer.Option(False, "--yes", help="do not ask before --truncate"),
    ) -> None:
        """Replay the topics from the earliest retained offset into the timeline tables (idempotent)."""
        from services.common.logs import configure_logging
        from services.timeline.config import TimelineSettings
        from services.timeline.rebuild import rebuild

        configure_logging("timeline", "WARNING")
        if truncate and not yes:
            typer.confirm("Empty checkins, scores and signals before replaying?", abort=True)
        progress = asyncio.run(rebuild(TimelineSettings(), truncate, lambda line: typer.echo(line, err=True)))
        typer.echo(f"replayed {progress.done} records, {progress.unusable} unusable")

    @timeline.command("partitions")
    def partitions_command(
        months: int = typer.Option(12, "--months", min=1, max=240, help="months to prepare, from this month on"),
        start: str = typer.Option(None, "--from", help="first month as YYYY-MM (default: the current month)"),
    ) -> None:
        """Create the monthly partitions of checkins and scores ahead of time (existing ones are kept)."""
        from services.common.settings import DatabaseSettings
        from services.timeline.partitions import create_partitions

        try:
            first = datetime.strptime(start, "%Y-%m").date() if start else datetime.now(UTC).date().replace(day=1)
        except ValueError as exc:
            raise typer.BadParameter(f"--from must look like 2027-01, not {start!r}") from exc
        created, refused = asyncio.run(create_partitions(DatabaseSettings().database_url, first, months))
        typer.echo(f"created {len(created)} partition(s)" + (f": {', '.join(created)}" if created else ""))
        for problem in refused:
            typer.echo(f"refused {problem}", err=True)
        if refused:
            raise typer.Exit(1)

    app.add_typer(timeline, name="timeline")
