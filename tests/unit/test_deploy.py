"""Deployment files: the Dockerfile lints clean, compose and both overlays validate, and the checks catch errors."""

import copy
import importlib.util
from pathlib import Path

import pytest

from schemas.topics import ALL_TOPICS

CHECK_PATH = Path(__file__).resolve().parents[2] / "deploy" / "check.py"
spec = importlib.util.spec_from_file_location("deploy_check", CHECK_PATH)
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return {overlay: check.render_overlay(overlay) for overlay in check.OVERLAYS}


def by_kind(resources: list[dict], kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def test_dockerfile_passes_hadolint():
    assert check.lint_dockerfile() == []


def test_compose_matches_the_specification():
    assert check.validate_compose() == []


def test_every_overlay_renders_and_validates(rendered):
    for overlay, resources in rendered.items():
        assert check.validate_resources(resources) == [], overlay


def test_validation_catches_a_broken_deployment(rendered):
    deployment = copy.deepcopy(by_kind(rendered["prod"], "Deployment")["rapport-gateway"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = [8080]
    topic = copy.deepcopy(by_kind(rendered["prod"], "KafkaTopic")["rapport-dlq-v1"])
    topic["spec"]["partitions"] = 0
    assert len(check.validate_resources([deployment, topic])) == 2


def test_each_service_is_deployed_with_probes_and_resources(rendered):
    deployments = by_kind(rendered["prod"], "Deployment")
    assert set(deployments) == {f"rapport-{s}" for s in ("gateway", "detector", "timeline", "notifier", "dashboard")}
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == [name.removeprefix("rapport-")]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"] and container["securityContext"]["readOnlyRootFilesystem"]
    assert set(by_kind(rendered["prod"], "PodDisruptionBudget")) == set(deployments)


def test_consumers_scale_to_the_partition_count(rendered):
    topics = by_kind(rendered["prod"], "KafkaTopic")
    by_topic = {t["spec"]["topicName"]: t["spec"] for t in topics.values()}
    assert set(ALL_TOPICS) <= set(by_topic)
    assert {by_topic[name]["partitions"] for name in ALL_TOPICS} == {6}
    changelog = by_topic["rapport-detector-client-state-changelog"]
    assert changelog["partitions"] == 6 and changelog["config"]["cleanup.policy"] == "compact"
    assert {spec["replicas"] for spec in by_topic.values()} == {3}
    assert {t["spec"]["replicas"] for t in by_kind(rendered["dev"], "KafkaTopic").values()} == {1}
    config = next(iter(by_kind(rendered["prod"], "ConfigMap").values()))["data"]
    assert config["KAFKA_PARTITIONS"] == "6"  # faust's changelog and `rapport topics` use the same count
    hpas = by_kind(rendered["prod"], "HorizontalPodAutoscaler")
    for consumer in ("detector", "timeline", "notifier"):
        assert hpas[f"rapport-{consumer}"]["spec"]["maxReplicas"] == 6
        assert by_kind(rendered["prod-extras"], "ScaledObject")[f"rapport-{consumer}"]["spec"]["maxReplicaCount"] == 6
        assert f"rapport-{consumer}" not in by_kind(rendered["prod-extras"], "HorizontalPodAutoscaler")
    dlq = topics["rapport-dlq-v1"]["spec"]["config"]["retention.ms"]
    assert dlq > topics["rapport-checkins-v1"]["spec"]["config"]["retention.ms"]


def test_every_pod_carries_the_label_the_network_policies_select(rendered):
    for overlay, resources in rendered.items():
        for resource in resources:
            spec = resource.get("spec", {})
            template = spec.get("jobTemplate", {}).get("spec", {}).get("template") or spec.get("template")
            if template:
                assert template["metadata"]["labels"]["app.kubernetes.io/part-of"] == "rapport", resource["metadata"]


def test_secrets_are_only_referenced(rendered):
    for overlay, resources in rendered.items():
        assert not by_kind(resources, "Secret"), overlay
        for name, deployment in by_kind(resources, "Deployment").items():
            env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
            assert ("DATABASE_URL" in env) == (name != "rapport-detector"), name  # the detector keeps no database
            for secret in ("DATABASE_URL", "KAFKA_SASL_PASSWORD", "RAPPORT_AUTH_HS256_SECRET"):
                assert secret not in env or "secretKeyRef" in env[secret]["valueFrom"], (name, secret)


def known_variables() -> set[str]:
    from services.tools.config_reference import SHARED, env_names, service_settings_classes

    known = {"RAPPORT_HEALTH_PORT", "POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"}
    for cls in [c for _, c in service_settings_classes()] + list(SHARED):
        known |= {n for name, f in cls.model_fields.items() for n in env_names(cls, name, f)}
    return known


def test_kubernetes_only_sets_known_settings(rendered):
    known = known_variables()
    for overlay, resources in rendered.items():
        for config in by_kind(resources, "ConfigMap").values():
            assert set(config["data"]) <= known, (overlay, set(config["data"]) - known)
        for resource in resources:
            spec = resource.get("spec", {})
            template = spec.get("jobTemplate", {}).get("spec", {}).get("template") or spec.get("template")
            for container in (template or {}).get("spec", {}).get("containers", []):
                names = {e["name"] for e in container.get("env", [])}
                assert names <= known, (overlay, resource["metadata"]["name"], names - known)


def test_compose_env_files_only_set_known_settings():
    known = known_variables()
    for env_file in (check.DEPLOY / "compose" / "env").glob("*.env"):
        names = [line.split("=", 1)[0] for line in env_file.read_text().splitlines() if line and not line.startswith("#")]
        assert set(names) <= known, (env_file.name, set(names) - known)


def test_alert_rules_only_use_metrics_the_services_expose(rendered):
    import re

    source = "\n".join(p.read_text() for p in (check.ROOT / "services").rglob("*.py"))
    exposed = set(re.findall(r'"(rapport_[a-z_]+)"', source))
    rules = by_kind(rendered["prod-extras"], "PrometheusRule")["rapport"]["spec"]["groups"][0]["rules"]
    used = {name for rule in rules for name in re.findall(r"\b(rapport_[a-z_]+)", rule["expr"])}
    assert used and used <= exposed, used - exposed


def test_readme_names_every_metric_the_services_register():
    import re

    source = "\n".join(p.read_text() for p in (check.ROOT / "services").rglob("*.py"))
    registered = set(re.findall(r'REGISTRY\.(?:counter|gauge)\(\s*"(rapport_[a-z_]+)"', source))
    readme = (check.DEPLOY / "README.md").read_text()
    missing = sorted(m for m in registered if f"`{m}" not in readme)
    assert registered and not missing, f"name these in the metrics table of deploy/README.md: {missing}"


def deployed_commands(rendered) -> set[tuple[str, ...]]:
    """Every `rapport ...` command line the compose file and the manifests run."""
    import yaml

    commands = set()
    compose = yaml.safe_load((check.DEPLOY / "compose" / "compose.yaml").read_text())
    for service in compose["services"].values():
        command = service.get("command")
        if "image" in service and str(service["image"]).startswith("${RAPPORT_IMAGE") and command:
            lines = command[0].split("&&") if service.get("entrypoint") else [" ".join(command)]
            commands |= {tuple(line.split()[1:] if line.split()[0] == "rapport" else line.split()) for line in lines}
    one_offs = [doc for path in (check.DEPLOY / "k8s" / "jobs").glob("*.yaml") for doc in yaml.safe_load_all(path.read_text())]
    for resource in [r for resources in rendered.values() for r in resources] + one_offs:
        spec = resource.get("spec", {})
        template = spec.get("jobTemplate", {}).get("spec", {}).get("template") or spec.get("template")
        for container in (template or {}).get("spec", {}).get("containers", []):
            commands.add(tuple(container["args"]))
    return commands


def test_every_deployed_command_exists(rendered):
    from typer.testing import CliRunner

    from services.cli import app

    commands = deployed_commands(rendered)
    assert ("migrate",) in commands and ("topics",) in commands and ("gateway",) in commands
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output[-500:])


def test_production_never_accepts_development_tokens(rendered):
    import json

    for overlay in ("prod", "prod-extras"):
        config = next(iter(by_kind(rendered[overlay], "ConfigMap").values()))["data"]
        assert "HS256" not in json.loads(config["RAPPORT_AUTH_ALGORITHMS"]), overlay
        assert config["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL" and config["RAPPORT_DASHBOARD_COOKIE_SECURE"] == "true"
