"""The gateway's OpenAPI document as committed: `rapport gateway openapi` writes it, a test compares."""

import json
from pathlib import Path

from services.gateway.app import create_app
from services.gateway.config import GatewaySettings

COMMITTED = Path(__file__).with_name("openapi.json")


def openapi_document() -> dict:
    """The document of an app built with default settings (no broker needed)."""
    return create_app(GatewaySettings()).openapi()


def write_openapi(path: str | Path = COMMITTED) -> None:
    """Write the document with stable formatting."""
    Path(path).write_text(json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n")
