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


def register(app: typer.Typer) -> None:
    app.add_typer(notifier_app, name="notifier")
