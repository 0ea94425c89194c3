"""The committed configuration reference matches the settings classes, and every service is in it."""

from pathlib import Path

from services.tools.config_reference import env_names, render, service_settings_classes

REFERENCE = Path(__file__).resolve().parents[2] / "deploy" / "CONFIGURATION.md"


def test_committed_reference_is_in_sync():
    assert REFERENCE.read_text() == render(), "regenerate: rapport config reference > deploy/CONFIGURATION.md"


def test_every_service_config_module_is_discovered():
    services_dir = Path(__file__).resolve().parents[2] / "services"
    with_config = {path.parent.name for path in services_dir.glob("*/config.py")}
    assert {service for service, _ in service_settings_classes()} == with_config


def test_env_names_follow_prefix_or_alias():
    from services.common.settings import DatabaseSettings, KafkaSettings

    names = {n for cls in [KafkaSettings] for name, f in cls.model_fields.items() for n in env_names(cls, name, f)}
    assert {"KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SASL_PASSWORD", "KAFKA_SSL_CAFILE"} <= names
    shared = KafkaSettings.model_fields.keys() | DatabaseSettings.model_fields.keys()
    for service, cls in service_settings_classes():
        own = [n for name, f in cls.model_fields.items() if name not in shared
               for n in env_names(cls, name, f)]
        assert all(n.startswith(f"RAPPORT_{service.upper()}_") for n in own), (service, own)
