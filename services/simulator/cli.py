"""`rapport simulate`: generate a cohort and write it to a file, Kafka or the gateway."""

import asyncio
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer


class Via(StrEnum):
    GATEWAY = "gateway"
    KAFKA = "kafka"


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


def simulate(
    clients: int = typer.Option(100, min=1, help="clients in the cohort"),
    days: int = typer.Option(60, min=1, help="days of history, ending at --until"),
    seed: int = typer.Option(7, help="same seed and --until, same cohort"),
    until: datetime = typer.Option(None, formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"],
                                   help="end of the simulated period (default now; a date means midnight UTC)"),
    rate: float = typer.Option(None, min=0.001, help="check-ins per second when publishing"),
    as_fast_as_possible: bool = typer.Option(False, "--as-fast-as-possible", help="publish without pacing (default)"),
    via: Via = typer.Option(None, help="publish through the gateway (HTTP, dev tokens) or straight to Kafka"),
    gateway_url: str = typer.Option("http://127.0.0.1:8080", envvar="RAPPORT_GATEWAY_URL", help="for --via gateway"),
    out: Path = typer.Option(None, help="write the check-ins as JSONL (arrival order)"),
    labels: Path = typer.Option(None, help="write the ground-truth labels (default: next to --out)"),
) -> None:
    """Generate a plausible cohort (stable, declining, ruptures, risk, disengagement, recovery) with labels."""
    from datetime import UTC

    from services.common.settings import KafkaSettings
    from services.simulator import generate_cohort
    from services.simulator.pacing import Pacer, Progress
    import httpx
    from aiokafka.errors import KafkaError

    from services.simulator.publishers import (GatewayRefused, publish_to_gateway, publish_to_kafka, write_jsonl,
                                               write_labels)

    if out is None and via is None:
        raise typer.BadParameter("give --out FILE, --via gateway|kafka, or both")
    if rate and as_fast_as_possible:
        raise typer.BadParameter("--rate and --as-fast-as-possible exclude each other")
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    cohort = generate_cohort(clients, days, seed, until)
    typer.echo(f"simulated {len(cohort.checkins)} check-ins of {clients} clients over {days} days", err=True)
    if out is not None:
        write_jsonl(cohort, out)
        labels = labels or out.with_suffix(".labels.json")
    if labels is not None:
        write_labels(cohort, labels)
        typer.echo(f"labels: {labels}", err=True)
    if via is not None:
        pacer, progress = Pacer(rate), Progress(len(cohort.checkins), f"publishing via {via.value}")
        publishing = (publish_to_kafka(cohort, KafkaSettings(), pacer, progress) if via == Via.KAFKA
                      else publish_to_gateway(cohort, gateway_url, pacer, progress))
        try:
            asyncio.run(publishing)
        except (GatewayRefused, httpx.HTTPError, KafkaError) as exc:
            typer.echo(f"error: publishing via {via.value} failed after {progress.done} check-ins: {exc!r}", err=True)
            raise typer.Exit(1) from exc
