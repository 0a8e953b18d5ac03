"""The Kubernetes manifests are valid against the Kubernetes schemas and agree with the
code: a Deployment per process type running that process, probes on the APIs and on
every other process, resource requests and limits everywhere, a PodDisruptionBudget each,
config from a ConfigMap and secrets from a Secret only, nothing starting before its
database serves it, a migrate Job per release, and production mode.
(tests/e2e/test_image.py runs them.)"""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from coaching.registry import process_table
from shared.config import load_settings
from tests.support.kubernetes import K8S, base_documents, rendered
from tests.support.kubernetes import of_kind as _of_kind

KUBERNETES_VERSION = "1.30"
SECRET_VARIABLES = ("JWT_SECRET", "PLATFORM_ADMIN_TOKEN", "SMS_AUTH_TOKEN", "SMTP_URL")


@pytest.fixture(scope="module")
def base() -> list[dict]:
    return base_documents()


@pytest.fixture
def processes(monkeypatch, tmp_path) -> dict[str, list[str]]:
    """Process name -> the ``coaching`` arguments it runs (``worker intake``)."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    table = process_table()
    return {name: argv[argv.index("coaching") + 1 :] for name, argv in table.items()}


def test_every_manifest_of_the_base_is_valid_against_the_kubernetes_schemas(base):
    for document in base:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_every_manifest_of_the_rendered_production_overlay_is_valid():
    documents = rendered("overlays/production")
    assert {d["metadata"].get("namespace") for d in documents if d["kind"] != "Namespace"} == {
        "recovery-coaching"
    }
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_each_release_has_a_migrate_job_of_its_own():
    """A Job is immutable: the next release (or a rollback) applies a Job of another
    name instead of failing on the finished one. Its name follows the image's tag."""
    overlay = yaml.safe_load((K8S / "overlays/production/kustomization.yaml").read_text())
    [image] = overlay["images"]
    [job] = _of_kind(rendered("overlays/production"), "Job").values()
    assert job["metadata"]["name"] == "coaching-migrate-" + image["newTag"].replace(".", "-")
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"{image['newName']}:{image['newTag']}"


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


def test_every_process_but_the_api_has_a_liveness_probe_on_its_heartbeat(base, processes):
    for name, deployment in _of_kind(base, "Deployment").items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        if name.endswith("-api"):
            continue
        process, service = processes[name]
        command = container["livenessProbe"]["exec"]["command"]
        assert command[:4] == ["coaching", "alive", process, service], name
        max_age = float(command[command.index("--max-age") + 1])
        assert max_age >= 60, name
        var_dir = deployment_env(base, container)["VAR_DIR"]
        mounts = [m["mountPath"] for m in container["volumeMounts"]]
        assert var_dir in mounts, f"{name}: the heartbeat must be written to a volume"


def test_apis_count_their_metrics_in_a_folder_they_can_write(base):
    """readOnlyRootFilesystem: PROMETHEUS_MULTIPROC_DIR lies on one of the pod's volumes
    (the API makes the folder itself at start)."""
    for name, deployment in _of_kind(base, "Deployment").items():
        if not name.endswith("-api"):
            continue
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        folder = deployment_env(base, container)["PROMETHEUS_MULTIPROC_DIR"]
        mounts = [m["mountPath"] for m in container["volumeMounts"]]
        assert any(folder.startswith(mount.rstrip("/") + "/") for mount in mounts), name


def test_every_pod_runs_in_production_mode(base):
    """No embedded defaults in a cluster: a missing secret stops the pod, loudly."""
    [config] = _of_kind(base, "ConfigMap").values()
    assert config["data"].get("COACHING_MODE", "production") == "production"
    for deployment in _of_kind(base, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"] + pod["initContainers"]:
            assert deployment_env(base, container).get("COACHING_MODE", "production") == (
                "production"
            )


def deployment_env(documents: list[dict], container: dict) -> dict[str, str]:
    """A container's environment from its ConfigMaps and its own ``env`` (not Secrets)."""
    config_maps = _of_kind(documents, "ConfigMap")
    env = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env |= config_maps[source["configMapRef"]["name"]]["data"]
    return env | {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


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
