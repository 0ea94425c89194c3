"""`rapport gateway`: run the HTTP gateway (host and port from RAPPORT_GATEWAY_HOST / _PORT)."""

import typer


def register(app: typer.Typer) -> None:
    """`rapport gateway [openapi]`, plus the client-side tools that talk to it: `checkin` and `simulate`."""
    from services.client.cli import register as register_checkin
    from services.simulator.cli import register as register_simulate

    register_checkin(app)
    register_simulate(app)
    gateway_app = typer.Typer(help="The HTTP gateway for client apps.", invoke_without_command=True)
    app.add_typer(gateway_app, name="gateway")

    @gateway_app.callback()
    def run(ctx: typer.Context) -> None:
        """Run the gateway until SIGTERM/SIGINT."""
        if ctx.invoked_subcommand is None:
            from services.gateway.main import main

            main()

    @gateway_app.command("openapi")
    def openapi(out: str = typer.Option("services/gateway/openapi.json", help="where to write the document")) -> None:
        """Write the gateway's OpenAPI document (committed next to the code)."""
        from services.gateway.openapi import write_openapi

        write_openapi(out)
        typer.echo(f"wrote {out}", err=True)
