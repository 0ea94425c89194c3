"""`rapport checkin submit|sync|plan`: a check-in from the command line, through the offline queue."""

import asyncio
import json
import os
from pathlib import Path

import typer

DEFAULT_QUEUE = Path(".rapport/client-queue.sqlite3")
checkin_app = typer.Typer(help="Submit check-ins to the gateway like a client app (with an offline queue).")

GATEWAY = typer.Option("http://127.0.0.1:8080", envvar="RAPPORT_GATEWAY_URL", help="base URL of the gateway")
TOKEN = typer.Option(..., envvar="RAPPORT_TOKEN", help="client bearer token (`rapport tokens issue --client ID`)")
QUEUE = typer.Option(DEFAULT_QUEUE, help="the offline queue file (SQLite)")


def register(app: typer.Typer) -> None:
    app.add_typer(checkin_app, name="checkin")


async def _with_client(gateway: str, token: str, queue_path: Path, action):
    from services.client import OfflineQueue, RapportClient

    queue = OfflineQueue(queue_path)
    client = RapportClient(gateway, token, queue)
    try:
        return await action(client)
    finally:
        await client.aclose()
        queue.close()


def _print_report(report) -> None:
    typer.echo(json.dumps({"accepted": report.answers, "rejected": report.rejected, "pending": report.pending,
                           "problem": report.problem}, indent=2))
    for answer in report.answers.values():
        if "safety_resources" in answer:
            resources = answer["safety_resources"]
            typer.echo(f"\n{resources['message']}", err=True)
            for line in resources["lines"]:
                typer.echo(f"  {line['name']}: {line.get('phone') or line.get('text') or line.get('url')}", err=True)
    if report.rejected:
        raise typer.Exit(1)
    if report.pending:
        raise typer.Exit(2)


@checkin_app.command("submit")
def submit(
    client: str = typer.Option(..., "--client", help="your client_id"),
    token: str = TOKEN,
    gateway: str = GATEWAY,
    queue: Path = QUEUE,
    timezone: str = typer.Option(os.environ.get("TZ") or "UTC", help="your IANA time zone"),
    mood: str = typer.Option(None, help="mood 0..10"),
    brs: str = typer.Option(None, help="the 6 BRS answers 1..5, comma-separated"),
    phq9: str = typer.Option(None, help="PHQ-9 answers 0..3 from item 1, comma-separated"),
    phq9_item9: int = typer.Option(None, "--phq9-item9", help="PHQ-9 item 9 alone (0..3)"),
    gad7: str = typer.Option(None, help="GAD-7 answers 0..3 from item 1"),
    cssrs: str = typer.Option(None, help="C-SSRS screener answers 0/1 from item 1"),
    srs: str = typer.Option(None, help="the 4 Session Rating Scale answers 0..10"),
    ors: str = typer.Option(None, help="the 4 Outcome Rating Scale answers 0..10"),
    sleep: str = typer.Option(None, help="hours slept"),
    help_requested: bool = typer.Option(False, "--help-requested", help="ask your care team for support now"),
    note: str = typer.Option(None, help="a private note for your therapist"),
    wait: float = typer.Option(0, help="seconds to keep retrying while the gateway is unavailable"),
) -> None:
    """Queue one check-in and send it (exit 0 sent, 2 kept in the queue for later, 1 refused)."""
    from services.client.answers import InvalidCheckin, build_checkin

    instruments = {"mood": mood, "brs": brs, "phq9": phq9, "gad7": gad7, "cssrs": cssrs, "srs": srs, "ors": ors,
                   "sleep": sleep}
    try:
        body = build_checkin(client, timezone, instruments=instruments, phq9_item9=phq9_item9,
                             help_requested=help_requested, note=note)
    except (InvalidCheckin, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc

    async def send(c):
        report = await c.submit(body)
        return await c.sync_until_empty(wait) if report.pending and wait else report

    _print_report(asyncio.run(_with_client(gateway, token, queue, send)))


@checkin_app.command("sync")
def sync(token: str = TOKEN, gateway: str = GATEWAY, queue: Path = QUEUE,
         wait: float = typer.Option(60, help="seconds to keep retrying")) -> None:
    """Send every check-in waiting in the offline queue."""
    _print_report(asyncio.run(_with_client(gateway, token, queue, lambda c: c.sync_until_empty(wait))))


@checkin_app.command("plan")
def plan(token: str = TOKEN, gateway: str = GATEWAY, queue: Path = QUEUE) -> None:
    """Show your check-in plan from the gateway."""
    typer.echo(json.dumps(asyncio.run(_with_client(gateway, token, queue, lambda c: c.plan())), indent=2))
