"""Kafka security settings reach aiokafka the same way from every service: plain clients and faust's detector."""

import ssl

import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

from services.common.kafka import client_options
from services.common.settings import KafkaSettings
from services.detector.transport import broker_options

SECURITY_KEYS = ("security_protocol", "sasl_mechanism", "sasl_plain_username", "sasl_plain_password")


def settings(**overrides) -> KafkaSettings:
    return KafkaSettings(kafka_bootstrap_servers="kafka-0:9093,kafka-1:9093", **overrides)


def faust_view(options: dict) -> dict:
    """What faust hands to aiokafka for the detector's broker credentials."""
    return dict(credentials_to_aiokafka_auth(options.get("broker_credentials")))


@pytest.mark.parametrize("overrides", [
    {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-512"},
    {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-256"},
    {"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_mechanism": "SCRAM-SHA-512"},
    {"kafka_security_protocol": "SSL"},
    {"kafka_security_protocol": "PLAINTEXT"},
])
def test_plain_clients_and_faust_get_the_same_security_options(overrides):
    chosen = settings(kafka_sasl_username="rapport-detector", kafka_sasl_password="pw", **overrides)
    plain, faust = client_options(chosen), faust_view(broker_options(chosen))
    for key in SECURITY_KEYS:
        assert plain.get(key) == faust.get(key), key
    assert isinstance(plain.get("ssl_context"), ssl.SSLContext) == isinstance(faust.get("ssl_context"), ssl.SSLContext)
    assert plain["bootstrap_servers"] == ["kafka-0:9093", "kafka-1:9093"]
    assert broker_options(chosen)["broker"] == "kafka://kafka-0:9093,kafka://kafka-1:9093"


def test_tls_verifies_the_broker_certificate():
    context = client_options(settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
                                      kafka_sasl_username="u", kafka_sasl_password="p"))["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_the_password_never_shows_in_a_repr():
    assert "hunter2" not in repr(settings(kafka_sasl_password="hunter2"))
