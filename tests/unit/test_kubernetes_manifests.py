"""The Kubernetes manifests are valid against the Kubernetes schemas and agree with the
code: a Deployment per process type running that process, probes on the APIs and on
every other process, resource requests and limits everywhere, a PodDisruptionBudget each,
config from a ConfigMap and secrets from a Secret only, nothing starting before its
database serves it, a migrate Job per release, and production mode.
(tests/e2e/test_image.py runs them.)

They are hardened: every pod meets the Pod Security Standard "restricted", network
policies refuse every connection in but the notifications API's from the ingress, the
staff APIs' from the namespace and the staff gateway, and metrics from monitoring. The
monitoring component scrapes every process under the job names the alerts expect and
carries the alerting rules as they are in deploy/prometheus/alerts.yml."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from coaching.registry import load_settings, process_table
from tests.support.kubernetes import K8S, base_documents, rendered
from tests.support.kubernetes import of_kind as _of_kind

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
KUBERNETES_VERSION = "1.30"
SECRET_VARIABLES = ("JWT_SECRET", "PLATFORM_ADMIN_TOKEN", "SMS_AUTH_TOKEN", "SMTP_URL")
COMPONENTS = ("components/monitoring", "components/public-ingress")
# Kinds of the Prometheus Operator: not in the Kubernetes schemas (checked below by shape;
# validated against the operator's CRDs, v0.93, when they were written).
OPERATOR_KINDS = {"PodMonitor", "PrometheusRule"}
INGRESS_NAMESPACE = {"kubernetes.io/metadata.name": "ingress-nginx"}
MONITORING_NAMESPACE = {"kubernetes.io/metadata.name": "monitoring"}
STAFF_GATEWAY = {"coaching.example.org/staff-gateway": "true"}


def _documents(folder: Path) -> list[dict]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    documents = []
    for resource in kustomization.get("resources", []) + kustomization.get("components", []):
        path = folder / resource
        if path.is_dir():
            documents += _documents(path)
        else:
            documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


@pytest.fixture(scope="module")
def base() -> list[dict]:
    return base_documents()


@pytest.fixture
def processes(monkeypatch, tmp_path) -> dict[str, list[str]]:
    """Process name -> the ``coaching`` arguments it runs (``worker intake``)."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    table = process_table()
    return {name: argv[argv.index("coaching") + 1 :] for name, argv in table.items()}


@pytest.mark.parametrize("overlay", ["base", "overlays/production", *COMPONENTS])
def test_every_manifest_is_valid_against_the_kubernetes_schemas(overlay):
    for document in _documents(K8S / overlay):
        if document["kind"] not in OPERATOR_KINDS:
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


# -- the Pod Security Standard "restricted" ----------------------------------------------

RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def restricted_violations(pod: dict) -> list[str]:
    """How ``pod`` (a pod spec) breaks the Pod Security Standard "restricted"
    (kubernetes.io/docs/concepts/security/pod-security-standards), the checks of the
    baseline profile included, as a list of reasons; empty if it meets it."""
    found = []
    context = pod.get("securityContext", {})
    containers = pod["containers"] + pod.get("initContainers", [])
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            found.append(f"pod: {flag}")
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            found.append(f"volume {volume['name']}: {sorted(kinds)}")
    pod_seccomp = context.get("seccompProfile", {}).get("type")
    for container in containers:
        name = container["name"]
        own = container.get("securityContext", {})
        if own.get("privileged"):
            found.append(f"{name}: privileged")
        if own.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: allowPrivilegeEscalation is not false")
        capabilities = own.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            found.append(f"{name}: capabilities do not drop ALL")
        if set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: adds capabilities")
        if own.get("runAsNonRoot", context.get("runAsNonRoot")) is not True:
            found.append(f"{name}: runAsNonRoot is not true")
        if own.get("runAsUser", context.get("runAsUser")) == 0:
            found.append(f"{name}: runs as user 0")
        seccomp = own.get("seccompProfile", {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile is {seccomp}, not RuntimeDefault or Localhost")
        if any(port.get("hostPort") for port in container.get("ports", [])):
            found.append(f"{name}: hostPort")
    return found


def _pods(documents) -> dict[str, dict]:
    return {
        f"{d['kind']} {d['metadata']['name']}": d["spec"]["template"]["spec"]
        for d in documents
        if d["kind"] in ("Deployment", "Job")
    }


def test_every_pod_meets_the_restricted_pod_security_standard(base):
    pods = _pods(base)
    assert len(pods) == len(_of_kind(base, "Deployment")) + 1  # and the migrate Job
    violations = {
        name: found for name, pod in pods.items() if (found := restricted_violations(pod))
    }
    assert violations == {}


def test_the_restricted_check_refuses_what_the_standard_refuses():
    container = {
        "name": "api",
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    pod = {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}
    assert restricted_violations(pod | {"containers": [container]}) == []
    assert restricted_violations({"containers": [container]}) == [
        "api: seccompProfile is None, not RuntimeDefault or Localhost"
    ]
    escalating = {**container, "securityContext": {**container["securityContext"]}}
    del escalating["securityContext"]["allowPrivilegeEscalation"]
    assert restricted_violations(pod | {"containers": [escalating]}) == [
        "api: allowPrivilegeEscalation is not false"
    ]
    root = {"name": "api", "securityContext": {**container["securityContext"], "runAsUser": 0}}
    assert restricted_violations(pod | {"containers": [root], "hostNetwork": True}) == [
        "pod: hostNetwork",
        "api: runs as user 0",
    ]


# -- who may connect to what ---------------------------------------------------------------


def _selects(selector: dict, labels: dict) -> bool:
    if not all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value, operator = labels.get(expression["key"]), expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
    return True


def _admitted(policies, pod_labels: dict, port: str, source: dict) -> bool:
    """Whether a connection to ``port`` (a port name) of a pod with ``pod_labels`` from
    ``source`` (``{"namespace": labels}``, or ``{"pod": labels}`` for a pod of this
    namespace) is admitted. Every pod is isolated for ingress (the default deny)."""
    for policy in policies:
        spec = policy["spec"]
        if not _selects(spec["podSelector"], pod_labels):
            continue
        for rule in spec.get("ingress", []):
            if rule.get("ports") and port not in [p["port"] for p in rule["ports"]]:
                continue
            if any(_peer_matches(peer, source) for peer in rule.get("from", [{}])):
                return True
    return False


def _peer_matches(peer: dict, source: dict) -> bool:
    if peer == {}:
        return True  # no "from": anyone
    if "namespaceSelector" in peer:
        return "namespace" in source and _selects(peer["namespaceSelector"], source["namespace"])
    return "pod" in source and _selects(peer["podSelector"], source["pod"])


def test_only_the_notifications_api_is_admitted_from_the_ingress_and_metrics_from_monitoring(
    base,
):
    policies = list(_of_kind(base, "NetworkPolicy").values())
    [deny] = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert deny["spec"]["policyTypes"] == ["Ingress"] and not deny["spec"].get("ingress")
    ingress = {"namespace": INGRESS_NAMESPACE}
    monitoring = {"namespace": MONITORING_NAMESPACE}
    gateway = {"namespace": STAFF_GATEWAY}
    elsewhere = {"namespace": {"kubernetes.io/metadata.name": "default"}}
    neighbour = {"pod": {"app": "debug-shell"}}
    for name, deployment in _of_kind(base, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        [port] = [p["name"] for p in container["ports"]]
        assert _admitted(policies, labels, port, monitoring), f"{name}: metrics not scraped"
        assert not _admitted(policies, labels, port, elsewhere), name
        public = name == "notifications-api"
        assert _admitted(policies, labels, port, ingress) == public, name
        staff = name in ("intake-api", "plans-api")
        assert _admitted(policies, labels, port, gateway) == staff, name
        assert _admitted(policies, labels, port, neighbour) == (public or staff), name
    job = next(iter(_of_kind(base, "Job").values()))["spec"]["template"]["metadata"]["labels"]
    assert not _admitted(policies, job, "http", ingress)


def test_the_public_ingress_routes_only_the_client_facing_paths():
    [ingress] = _documents(K8S / "components" / "public-ingress")
    [rule] = ingress["spec"]["rules"]
    paths = {(p["path"], p["pathType"]) for p in rule["http"]["paths"]}
    assert paths == {
        ("/r", "Prefix"),
        ("/me", "Prefix"),
        ("/unsubscribe", "Prefix"),
        ("/v1/webhooks", "Prefix"),
    }
    backends = {p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    assert backends == {"notifications-api"}


# -- the monitoring component -----------------------------------------------------------------


def _relabel(rules: list[dict], labels: dict) -> dict | None:
    """Prometheus relabelling of a target's ``labels`` (None when dropped). ``rules`` in
    either spelling: a scrape configuration's (source_labels) or the Operator's
    (sourceLabels)."""
    labels = dict(labels)
    for written in rules:
        rule = {re.sub(r"_([a-z])", lambda m: m[1].upper(), k): v for k, v in written.items()}
        sources = rule.get("sourceLabels", [])
        value = rule.get("separator", ";").join(labels.get(name, "") for name in sources)
        match = re.fullmatch(rule.get("regex", "(.*)"), value)
        action = rule.get("action", "replace")
        if (action == "keep" and not match) or (action == "drop" and match):
            return None
        if action == "replace" and match:
            replacement = re.sub(r"\$(\d+)", r"\\\1", rule.get("replacement", "$1"))
            labels[rule["targetLabel"]] = match.expand(replacement)
    return labels


def _targets(base) -> dict[str, dict]:
    """Each Deployment's pod as Kubernetes service discovery shows it to Prometheus."""
    targets = {}
    for name, deployment in _of_kind(base, "Deployment").items():
        template = deployment["spec"]["template"]
        [container] = template["spec"]["containers"]
        [port] = container["ports"]
        meta = {
            f"__meta_kubernetes_pod_label_{re.sub(r'[^a-z0-9]', '_', k)}": v
            for k, v in template["metadata"]["labels"].items()
        } | {
            f"__meta_kubernetes_pod_annotation_{re.sub(r'[^a-z0-9]', '_', k)}": v
            for k, v in template["metadata"].get("annotations", {}).items()
        }
        meta["__meta_kubernetes_pod_container_port_name"] = port["name"]
        targets[name] = meta
    return targets


def _missing_jobs() -> set[str]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    [missing] = [r for g in rules["groups"] for r in g["rules"] if r["alert"] == "ProcessMissing"]
    return set(re.findall(r'absent\(up\{job="([^"]+)"\}\)', missing["expr"]))


def test_the_pod_monitor_scrapes_every_process_as_the_job_the_alerts_expect(base, processes):
    monitor = _of_kind(_documents(K8S / "components" / "monitoring"), "PodMonitor")
    [pod_monitor] = monitor.values()
    endpoints = {e["port"]: e for e in pod_monitor["spec"]["podMetricsEndpoints"]}
    jobs = {}
    for name, deployment in _of_kind(base, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert _selects(pod_monitor["spec"]["selector"], labels), name
        target = _targets(base)[name]
        endpoint = endpoints[target["__meta_kubernetes_pod_container_port_name"]]
        assert endpoint["path"] == "/metrics"
        jobs[name] = _relabel(endpoint["relabelings"], target)["job"]
    expected = {name: f"coaching-{name}" for name in processes}
    assert jobs == expected
    assert set(expected.values()) == _missing_jobs()


def test_the_plain_scrape_configuration_names_the_same_jobs(base, processes):
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    [scrape] = config["scrape_configs"]
    assert scrape["kubernetes_sd_configs"][0]["role"] == "pod"
    jobs = {}
    for name, target in _targets(base).items():
        relabelled = _relabel(scrape["relabel_configs"], target)
        assert relabelled is not None, f"{name} is not scraped"
        jobs[name] = relabelled["job"]
        assert relabelled["__metrics_path__"] == "/metrics"
    assert jobs == {name: f"coaching-{name}" for name in processes}
    stranger = {"__meta_kubernetes_pod_label_app_kubernetes_io_name": "something-else"}
    assert _relabel(scrape["relabel_configs"], stranger) is None


def test_the_prometheus_rule_carries_the_alerting_rules_as_they_are():
    spec = importlib.util.spec_from_file_location(
        "prometheusrule", PROMETHEUS / "prometheusrule.py"
    )
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    committed = (K8S / "components" / "monitoring" / "prometheusrule.yaml").read_text()
    assert committed == generator.prometheus_rule(), (
        "run: python deploy/prometheus/prometheusrule.py"
        " > deploy/k8s/components/monitoring/prometheusrule.yaml"
    )
    [rule] = _of_kind(_documents(K8S / "components" / "monitoring"), "PrometheusRule").values()
    alerts = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    assert rule["spec"]["groups"] == alerts["groups"]
