"""Rapport's public event contracts (v1): pydantic models are the source of truth."""

from schemas.alert import AlertEvent, AlertState, AlertTransition
from schemas.checkin import Answer, CheckinSubmission, CheckinSubmitted, GoalProgress, Source
from schemas.errors import describe_validation_error
from schemas.signal import Severity, SignalDetected, SignalKind, signal_id_for
from schemas.topics import ALERTS, CHECKINS, DLQ, SIGNALS, ALL_TOPICS

__all__ = [
    "ALERTS",
    "ALL_TOPICS",
    "AlertEvent",
    "AlertState",
    "AlertTransition",
    "Answer",
    "CHECKINS",
    "CheckinSubmission",
    "CheckinSubmitted",
    "DLQ",
    "GoalProgress",
    "SIGNALS",
    "Severity",
    "SignalDetected",
    "SignalKind",
    "Source",
    "describe_validation_error",
    "signal_id_for",
]
