"""Operations commands: `rapport schemas check-compat`, `rapport dlq replay`, `rapport config reference`."""

import asyncio
import json
from datetime import datetime
from pathlib import Path

import typer

SCHEMAS_DIR = Path(__file__).resolve().parent.parent.parent / "schemas"

schemas_app = typer.Typer(help="Contract tools: backward compatibility of the v1 JSON Schemas.")
dlq_app = typer.Typer(help="The dead-letter topic rapport.dlq.v1.")
config_app = typer.Typer(help="Settings of every service.")


def register(app: typer.Typer) -> None:
    """Add the operations sub-commands to the root `rapport` app."""
    app.add_typer(schemas_app, name="schemas")
    app.add_typer(dlq_app, name="dlq")
    app.add_typer(config_app, name="config")


def _load(folder: Path) -> dict[str, dict]:
    return {path.name: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


@schemas_app.command("check-compat")
def check_compat(
    released: Path = typer.Option(SCHEMAS_DIR / "released" / "v1", help="the previously released JSON Schemas"),
    current: Path = typer.Option(SCHEMAS_DIR / "json", help="the JSON Schemas about to be released"),
) -> None:
    """Fail (exit 1) on a backward-incompatible change to a released contract; print every difference."""
    from services.tools.compat import compare_sets

    old = _load(released)
    if not old:
        typer.echo(f"error: no released schemas in {released}", err=True)
        raise typer.Exit(2)
    findings = compare_sets(old, _load(current))
    for finding in findings:
        typer.echo(str(finding))
    breaking = [f for f in findings if f.breaking]
    typer.echo(f"{len(old)} contracts checked: {len(breaking)} breaking, {len(findings) - len(breaking)} compatible changes")
    if breaking:
        typer.echo("a change old consumers cannot read needs a new contract version (a ...v2 topic)", err=True)
        raise typer.Exit(1)


@config_app.command("reference")
def config_reference() -> None:
    """Print the configuration reference (Markdown) generated from the settings classes."""
    from services.tools.config_reference import render

    typer.echo(render(), nl=False)


@dlq_app.command("replay")
def dlq_replay(
    topic: str = typer.Option(None, "--topic", help="only records dead-lettered from this original topic"),
    reason: str = typer.Option(None, "--reason", help="only records whose reason contains this text"),
    since: datetime = typer.Option(None, help="only records dead-lettered at or after this time (UTC if naive)"),
    until: datetime = typer.Option(None, help="only records dead-lettered before this time (UTC if naive)"),
    limit: int = typer.Option(None, min=1, help="stop after this many selected records"),
    dry_run: bool = typer.Option(False, "--dry-run", help="list what would be replayed; publish nothing"),
) -> None:
    """Republish dead-lettered records to their original topics (run it after fixing the cause)."""
    from datetime import UTC

    from aiokafka.errors import KafkaError

    from services.common.settings import KafkaSettings
    from services.tools.dlq import replay
    from services.tools.dlq_filter import ReplayFilter

    def aware(moment: datetime | None) -> datetime | None:
        return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment

    selection = ReplayFilter(topic=topic, reason_contains=reason, since=aware(since), until=aware(until))
    settings = KafkaSettings()
    try:
        report = asyncio.run(replay(settings, selection, dry_run=dry_run, limit=limit,
                                    progress=lambda line: typer.echo(line, err=True)))
    except KafkaError as exc:
        typer.echo(f"error: Kafka at {settings.kafka_bootstrap_servers}: {exc}", err=True)
        raise typer.Exit(2) from exc
    for (origin, why), count in report.by_origin.most_common():
        typer.echo(f"{count:>8}  {origin}  {why}", err=True)
    verb = "would republish" if dry_run else "republished"
    typer.echo(f"scanned {report.scanned}, selected {report.selected}, {verb} {report.selected if dry_run else report.republished}")
