"""`rapport notifier`: run the notifier; `rapport notifier digest --date D` prints the daily digest."""

import typer

notifier_app = typer.Typer(help="Alerts from signals: policy, escalation timers, webhooks, daily digest.")


@notifier_app.callback(invoke_without_command=True)
def run(ctx: typer.Context) -> None:
    """Consume rapport.signals.v1 and open alerts (settings: RAPPORT_NOTIFIER_*)."""
    if ctx.invoked_subcommand is not None:
        return
    from services.common.logs import configure_logging
    from services.common.runtime import run_until_signalled
    from services.notifier.config import NotifierSettings
    from services.notifier.service import run_notifier

    configure_logging("notifier")
    settings = NotifierSettings()
    run_until_signalled(lambda stop: run_notifier(settings, stop))


@notifier_app.command("digest")
def digest(
    day: str = typer.Option(None, "--date", help="the day, YYYY-MM-DD (default: yesterday in --timezone)"),
    timezone: str = typer.Option("UTC", help="IANA zone the day is counted in"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of text"),
    send: bool = typer.Option(False, "--send", help="also POST each therapist's digest to the signed webhook"),
) -> None:
    """Print the daily digest of low/info alerts per therapist."""
    import asyncio

    from services.notifier.config import NotifierSettings
    from services.notifier.digest import run_digest

    settings = NotifierSettings()
    if send and not settings.webhook_url:
        raise typer.BadParameter("--send needs RAPPORT_NOTIFIER_WEBHOOK_URL (and _SECRET)")
    try:
        output, failed = asyncio.run(run_digest(settings, day, timezone, as_json, send))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(output, nl=False)
    if failed:
        typer.echo(f"error: {failed} digest(s) could not be sent to the webhook", err=True)
        raise typer.Exit(1)


@notifier_app.command("webhooks")
def webhooks(
    failures: int = typer.Option(10, help="show this many of the latest failed deliveries"),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="queue every failed delivery again"),
) -> None:
    """Webhook outbox status: deliveries by status, the latest failures; optionally retry them."""
    import asyncio

    from services.notifier.config import NotifierSettings
    from services.notifier.webhook_admin import webhook_report

    typer.echo(asyncio.run(webhook_report(NotifierSettings(), failures, retry_failed)), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(notifier_app, name="notifier")
