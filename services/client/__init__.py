"""Python client for the Rapport gateway with a durable offline queue.

The names load on first use: `rapport` imports this package for its `checkin` commands, and every other
command would otherwise pay for importing httpx (about a tenth of a second) at start-up.
"""

from importlib import import_module

__all__ = ["OfflineQueue", "RapportClient", "SyncReport"]
_HOMES = {"OfflineQueue": "services.client.queue", "RapportClient": "services.client.client",
          "SyncReport": "services.client.client"}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
