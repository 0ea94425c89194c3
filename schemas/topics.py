"""Kafka topic names of contract version 1; every topic is keyed by client_id."""

CHECKINS = "rapport.checkins.v1"
SIGNALS = "rapport.signals.v1"
ALERTS = "rapport.alerts.v1"
DLQ = "rapport.dlq.v1"

ALL_TOPICS = (CHECKINS, SIGNALS, ALERTS, DLQ)
