"""Plumbing shared by every Rapport service: settings, Kafka, database, logging, metrics, local stack."""
