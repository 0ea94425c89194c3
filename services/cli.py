"""`rapport`: one command line for every service and the tools around them."""

import asyncio
import importlib
import sys
from pathlib import Path

import typer

from services.common.stack import DEFAULT_ROOT, LocalStack, StackError

SERVICES = ("gateway", "detector", "timeline", "notifier", "dashboard")
TOOLS = ("services.dev", "services.tools", "services.bench")

app = typer.Typer(help="Rapport: between-session check-ins, signals and alerts.", no_args_is_help=True)
stack_app = typer.Typer(help="The local broker and database (env URLs, else testcontainers, else embedded).")
tokens_app = typer.Typer(help="Development bearer tokens (HS256).")
app.add_typer(stack_app, name="stack")
app.add_typer(tokens_app, name="tokens")


@stack_app.command("up")
def stack_up(root: Path = typer.Option(DEFAULT_ROOT, help="folder for embedded data and state")) -> None:
    """Start (or reuse) the broker and PostgreSQL, create the topics and print their URLs."""
    from services.common.kafka import ensure_topics
    from services.common.settings import KafkaSettings

    try:
        state = LocalStack(root).up(progress=lambda m: typer.echo(m, err=True))
    except StackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    created = asyncio.run(ensure_topics(KafkaSettings(kafka_bootstrap_servers=state.kafka.url)))
    if created:
        typer.echo(f"created topics: {', '.join(created)}", err=True)
    for key, value in state.env.items():
        typer.echo(f"export {key}={value}")


@stack_app.command("down")
def stack_down(root: Path = typer.Option(DEFAULT_ROOT)) -> None:
    """Stop the embedded or container components started by `stack up`."""
    LocalStack(root).down(progress=lambda m: typer.echo(m, err=True))


@stack_app.command("status")
def stack_status(root: Path = typer.Option(DEFAULT_ROOT)) -> None:
    """Show what runs where; exit 1 when nothing runs."""
    stack = LocalStack(root)
    state = stack.status()
    if state is None or not stack.running(state):
        typer.echo("stack: not running")
        raise typer.Exit(1)
    for c in (state.kafka, state.postgres):
        typer.echo(f"{c.name:9} {c.kind:15} {c.url}" + (f"  pid {c.pid}" if c.pid else ""))


@app.command()
def migrate(
    revision: str = typer.Argument("head", help="target revision"),
    down: bool = typer.Option(False, "--down", help="downgrade to REVISION instead (e.g. base)"),
) -> None:
    """Upgrade (or downgrade) the database schema with alembic; DATABASE_URL says where."""
    from migrations import runner
    from services.common.settings import DatabaseSettings

    url = DatabaseSettings().database_url
    (runner.downgrade if down else runner.upgrade)(url, revision)
    typer.echo(f"database {'downgraded' if down else 'upgraded'} to {revision}", err=True)


@app.command()
def topics() -> None:
    """Create the Rapport topics (configured partition count) where missing."""
    from services.common.kafka import ensure_topics
    from services.common.settings import KafkaSettings

    created = asyncio.run(ensure_topics(KafkaSettings()))
    typer.echo(f"created: {', '.join(created) or 'none (all exist)'}")


@tokens_app.command("issue")
def tokens_issue(
    client: str = typer.Option(None, "--client", help="client_id for a client-app token"),
    therapist: str = typer.Option(None, "--therapist", help="therapist_id for a dashboard token"),
    days: int = typer.Option(30, help="validity in days"),
) -> None:
    """Print a development token for a client app or a therapist."""
    from datetime import timedelta
    from uuid import UUID

    from services.common.auth import issue_dev_token

    if bool(client) == bool(therapist):
        raise typer.BadParameter("give exactly one of --client or --therapist")
    subject = client or therapist
    try:
        UUID(subject)
    except ValueError as exc:
        raise typer.BadParameter(f"not a UUID: {subject}") from exc
    typer.echo(issue_dev_token(subject, "client" if client else "therapist", ttl=timedelta(days=days)))


def _register_plugins() -> None:
    """Each service's `cli` module adds its own commands (`rapport <service> ...` and any tools)."""
    for module_name in [f"services.{name}.cli" for name in SERVICES] + list(TOOLS):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(app)


_register_plugins()


def main() -> None:
    app(prog_name="rapport")


if __name__ == "__main__":
    sys.exit(main())
