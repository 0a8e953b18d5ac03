"""The Kubernetes manifests are valid against the Kubernetes schemas and agree with the
code: a Deployment per process type running that process, probes on the APIs, resource
requests and limits everywhere, a PodDisruptionBudget each, config from a ConfigMap and
secrets from a Secret only, and nothing starting before its database is migrated."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from coaching.registry import process_table
from shared.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30"
SECRET_VARIABLES = ("JWT_SECRET", "PLATFORM_ADMIN_TOKEN", "SMS_AUTH_TOKEN", "SMTP_URL")


def _documents(folder: Path) -> list[dict]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    documents = []
    for resource in kustomization["resources"]:
        path = folder / resource
        if path.is_dir():
            documents += _documents(path)
        else:
            documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


@pytest.fixture(scope="module")
def base() -> list[dict]:
    return _documents(K8S / "base")


@pytest.fixture
def processes(monkeypatch, tmp_path) -> dict[str, list[str]]:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    table = process_table()
    return {name: argv[argv.index("coaching") + 1 :] for name, argv in table.items()}


def _of_kind(documents, kind) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


@pytest.mark.parametrize("overlay", ["base", "overlays/production"])
def test_every_manifest_is_valid_against_the_kubernetes_schemas(overlay):
    for document in _documents(K8S / overlay):
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_a_deployment_runs_each_process_type_with_its_own_command(base, processes):
    deployments = _of_kind(base, "Deployment")
    assert set(deployments) == set(processes)
    for name, arguments in processes.items():
        [container] = deployments[name]["spec"]["template"]["spec"]["containers"]
        command = container["command"]
        assert command[0] == "coaching"
        assert [a for a in command[1:] if a not in ("--host", "0.0.0.0")] == arguments


def test_apis_have_probes_and_services_and_every_pod_has_limits(base):
    services = _of_kind(base, "Service")
    for name, deployment in _of_kind(base, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]) & set(resources["limits"])
        if name.endswith("-api"):
            [container] = pod["containers"]
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert (
                services[name]["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
            )


def test_every_deployment_has_a_disruption_budget_and_waits_for_its_schema(base):
    budgets = _of_kind(base, "PodDisruptionBudget")
    for name, deployment in _of_kind(base, "Deployment").items():
        assert budgets[name]["spec"]["selector"] == deployment["spec"]["selector"]
        [init] = deployment["spec"]["template"]["spec"]["initContainers"]
        service = name.split("-")[0]
        assert init["command"][:3] == ["coaching", "await-schema", service]
    [job] = _of_kind(base, "Job").values()
    assert "coaching migrate && coaching topology" in " ".join(
        job["spec"]["template"]["spec"]["containers"][0]["command"]
    )


def test_secrets_come_from_a_secret_never_from_the_config_map(base):
    [config] = _of_kind(base, "ConfigMap").values()
    assert not set(config["data"]) & set(SECRET_VARIABLES)
    for deployment in _of_kind(base, "Deployment").values():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        sources = {next(iter(s)) for s in container["envFrom"]}
        assert sources == {"configMapRef", "secretRef"}
        assert not [e for e in container.get("env", []) if e["name"] in SECRET_VARIABLES]


def test_await_schema_waits_for_the_migration(tmp_path, monkeypatch):
    from coaching.operations import cmd_await_schema, cmd_migrate

    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PLANS_DATABASE_URL", f"sqlite:///{tmp_path / 'plans.db'}")
    settings = load_settings()
    assert cmd_await_schema(settings, "plans", timeout=0) == 1
    cmd_migrate(settings, ["plans"])
    assert cmd_await_schema(settings, "plans", timeout=0) == 0
