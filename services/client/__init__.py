"""Python client for the Rapport gateway with a durable offline queue."""

from services.client.client import RapportClient, SyncReport
from services.client.queue import OfflineQueue

__all__ = ["OfflineQueue", "RapportClient", "SyncReport"]
