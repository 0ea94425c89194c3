"""The notifier's pure core: the alert policy (no Kafka, no database, no clock)."""

from services.notifier.core.policy import AlertPolicy, Decision, Delivery, PolicyConfig, QuietHours

__all__ = ["AlertPolicy", "Decision", "Delivery", "PolicyConfig", "QuietHours"]
