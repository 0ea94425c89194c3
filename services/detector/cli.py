"""`rapport detector` (the live worker) and `rapport replay` (the same core over a JSONL file)."""

from pathlib import Path

import typer

detector_app = typer.Typer(help="The detector: scoring and signal rules over rapport.checkins.v1 (faust worker).")


@detector_app.callback(invoke_without_command=True)
def run(ctx: typer.Context) -> None:
    """Run the detector worker until SIGTERM/SIGINT."""
    if ctx.invoked_subcommand is not None:
        return
    from services.detector.worker import run_worker

    run_worker()


def replay(
    input_path: Path = typer.Argument(..., metavar="INPUT.jsonl", help="one checkin.submitted per line, arrival order"),
    output: Path = typer.Option(..., "--output", "-o", help="SIGNALS.jsonl: one signal.detected per line"),
    until: str = typer.Option(None, help="RFC 3339: advance the event-time clock to this instant at the end"),
    config: Path = typer.Option(None, help="TOML file of thresholds and per-client overrides"),
    progress: bool = typer.Option(True, help="show progress on stderr for long inputs"),
    workers: int = typer.Option(None, min=1, show_default=False,
                                help="processes, clients split by hash (default: one per idle core, at most 4, "
                                     "for inputs over 20 MB; else 1)"),
) -> None:
    """Replay check-ins through the detection core offline; a summary goes to stderr."""
    from services.common.runtime import settle_heap
    from services.detector.replay import run_replay

    settle_heap()  # the workers are forked from here and keep these settings
    raise typer.Exit(run_replay(input_path, output, until, config, progress, workers=workers))


def register(app: typer.Typer) -> None:
    app.add_typer(detector_app, name="detector")
    app.command("replay")(replay)
