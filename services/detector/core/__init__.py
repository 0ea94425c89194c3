"""The pure detection core: scoring, the eight signal rules and per-client state. No I/O, no clock."""

from services.detector.core.config import DetectorConfig, load_config
from services.detector.core.engagement import missed_deadline
from services.detector.core.engine import advance_clock, evaluate, update
from services.detector.core.state import ClientState

__all__ = ["ClientState", "DetectorConfig", "advance_clock", "evaluate", "load_config", "missed_deadline", "update"]
