"""`rapport bench`: every stage's throughput and latency beside its baseline, in one run on the local stack."""

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def bench(
        quick: bool = typer.Option(False, "--quick", help="smaller amounts: the whole run in under two minutes"),
        events: int = typer.Option(None, "--events", help="check-ins for the ingest and detector stages"),
        json_out: Path = typer.Option(None, "--json", help="write the figures as JSON here"),
        markdown_out: Path = typer.Option(None, "--markdown", help="write the markdown table here"),
        root: Path = typer.Option(None, "--root", help="folder for the stack and logs (default: a temp folder)"),
        only: str = typer.Option(None, "--only", help="comma-separated stages to run, e.g. detector,replay"),
        profile: Path = typer.Option(None, "--profile", help="py-spy profiles of the measured processes into this folder"),
        readme: Path = typer.Option(None, "--readme", help="put the table into this README's Benchmarks section"),
    ) -> None:
        """Measure ingest, detector, timeline writer, alert latency, replay and memory against their baselines."""
        from bench.plan import make_plan
        from bench.runner import run

        stages = {s.strip() for s in only.split(",")} if only else None
        report = run(make_plan(quick, events), json_out, markdown_out, root, stages, profile)
        if readme:
            from bench.readme import update_readme
            from bench.report import render_markdown

            update_readme(readme, render_markdown(report), "make bench" + (" BENCH_ARGS=--quick" if quick else ""))
        if report.missed:
            typer.echo(f"targets missed: {', '.join(f'{f.stage}: {f.name}' for f in report.missed)}", err=True)
