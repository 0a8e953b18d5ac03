"""The image is what runs: every process type of the Kubernetes production overlay and of
docker-compose.yml starts from what deploy/Dockerfile installs, with its pod's (or
container's) environment, against real RabbitMQ and PostgreSQL, and answers its probes.

There is no container engine here, so the image is built as far as a test can: the
package is built into a wheel from exactly the files the Dockerfile's COPY lines take
from the build context (.dockerignore applied), as its build stage does, and installed
alone into a fresh venv. Its dependencies are the test venv's, which this test first
checks are the lock's pins. Each container's command then runs from that venv, in an
empty working folder, with the environment it would have: the image's ENV, the
ConfigMap and a Secret holding the keys deploy/k8s/README.md tells the operator to put
there (the compose file's variables, for compose), its own ``env``; every path in it
points into a fresh folder standing for the volume mounted there, and a path on no
volume into one where nothing can be written (readOnlyRootFilesystem). What a network
namespace would give each pod, a port of its own, is a free port per container.

Each run gets its own vhost and databases, created empty (the migrate Job makes the
schema) and dropped after. One replica of each Deployment runs.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import signal
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import yaml

from coaching.registry import REQUIRED_IN_PRODUCTION, SERVICES
from tests.support import dockerfile, infra
from tests.support.api import HttpTransport, PlatformApi
from tests.support.kubernetes import of_kind, rendered
from tests.support.smtp import SmtpSink, free_port
from tests.support.waiting import wait_for

pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_TOKEN = "platform-token-of-the-image-test"
LOCK = ROOT / "requirements.lock"


# -- the image --------------------------------------------------------------------------


@dataclass
class Image:
    venv: Path  # /opt/coaching in the image
    env: dict[str, str]  # its ENV, PATH on the host's

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def _locked_versions() -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", LOCK.read_text(), re.M))


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Image:
    root = tmp_path_factory.mktemp("image")
    stages = dockerfile.stages()
    # The stage that copies the sources builds the package; the last one is the image.
    build = next(stage for stage in stages if any(c.from_stage is None for c in stage.copies))
    final = stages[-1]
    # What the image's `pip install --require-hashes -r requirements.lock` installs is
    # what the test venv has: its site-packages stands in for the locked dependencies.
    for name, version in _locked_versions().items():
        assert importlib.metadata.version(name) == version, f"{name}: run make"

    # The build stage: the COPY set, built into a wheel as the Dockerfile builds it.
    context = dockerfile.build_context()
    for destination, source in dockerfile.copied_from_context(build, context).items():
        target = root / "build" / destination.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / source).read_bytes())
    wheels = root / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheels), "."],
        cwd=root / "build" / build.workdir.lstrip("/"),
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = wheels.glob("*.whl")

    # The image's venv: the wheel alone, then the locked dependencies made visible to it
    # (a path, not the test venv's .pth files: the editable install stays out).
    venv = root / "opt" / "coaching"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [site_packages] = (venv / "lib").glob("python3*/site-packages")
    (site_packages / "locked_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    env = {key: value for key, value in final.env.items() if key != "PATH"}
    env["PATH"] = f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin"
    installed = Image(venv, env)
    where = subprocess.run(
        [str(python), "-c", "import coaching, shared, services; print(coaching.__file__)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(site_packages)), where  # the wheel's, not the repository's
    # Every file of the packages the image copied is installed: modules, migrations,
    # templates, data (package-data in pyproject.toml), nothing left behind.
    build_folder = root / "build" / build.workdir.lstrip("/")
    packages = [p for p in build_folder.iterdir() if (p / "__init__.py").is_file()]
    missing = [
        str(file.relative_to(build_folder))
        for package in packages
        for file in package.rglob("*")
        if file.is_file() and not (site_packages / file.relative_to(build_folder)).is_file()
    ]
    assert not missing, f"the wheel leaves out {missing[:5]}"
    return installed


# -- a container: its command, environment, folders and ports ----------------------------


@dataclass
class Container:
    name: str
    command: list[str]
    env: dict[str, str]
    workdir: Path
    ports: dict[int, int] = field(default_factory=dict)  # in the container -> on the host
    process: subprocess.Popen | None = None
    log: Path | None = None

    def run(
        self, argv: list[str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            argv or self.command,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, logs: Path) -> None:
        self.log = logs / f"{self.name}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def url(self, port: int, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[port]}{path}"

    def stopped(self, grace: float) -> int:
        """Its exit status once it has stopped (SIGKILL after ``grace`` seconds)."""
        try:
            return self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            return -signal.SIGKILL

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log else ""


class Filesystem:
    """A container's view of paths: each mount is a folder of its own; anything else on
    the root filesystem is read-only (a path below a file, which no one can write)."""

    def __init__(self, root: Path, mounts: list[str], read_only_root: bool):
        root.mkdir(parents=True)
        self.mounts = {}
        for mount in mounts:
            self.mounts[mount.rstrip("/")] = root / "mounts" / mount.strip("/").replace("/", "_")
            self.mounts[mount.rstrip("/")].mkdir(parents=True)
        self.rest = root / "rootfs"
        if read_only_root:
            self.rest.write_text("the read-only root filesystem")
        else:
            self.rest.mkdir()

    def __call__(self, path: str) -> str:
        for mount in sorted(self.mounts, key=len, reverse=True):
            if path == mount or path.startswith(mount + "/"):
                return str(self.mounts[mount]) + path[len(mount) :]
        return str(self.rest) + path


def _container(
    image: Image,
    name: str,
    command: list[str],
    env: dict[str, str],
    tmp: Path,
    *,
    mounts: list[str],
    read_only_root: bool,
    ports: list[int] = (),
) -> Container:
    files = Filesystem(tmp / name, mounts, read_only_root)
    env = {**image.env, **env}
    env = {k: files(v) if v.startswith("/") and k != "PATH" else v for k, v in env.items()}
    env["HOME"] = files("/home/coaching")
    mapped = {port: free_port() for port in ports}
    for key, value in env.items():  # a port the pod's network namespace would give it
        if value.isdigit() and int(value) in mapped:
            env[key] = str(mapped[int(value)])
    workdir = tmp / name / "workdir"
    workdir.mkdir()
    return Container(name, command, env, workdir, mapped)


def _api_port_variables(container: Container, service: str, port: int) -> None:
    """The API listens on ``<SERVICE>_PORT``, 8001-8003 unless set: the container's port,
    on the host the free port standing for it."""
    container.env[f"{service.upper()}_PORT"] = str(container.ports[port])


# -- infrastructure for one run -----------------------------------------------------------


@dataclass
class Infrastructure:
    broker_url: str
    database_urls: dict[str, str]
    smtp_url: str


@pytest.fixture
def infrastructure():
    if not (infra.rabbitmq_available() and infra.postgres_available()):
        pytest.skip("needs RabbitMQ and PostgreSQL on 127.0.0.1")
    vhost, broker_url = infra.create_vhost()
    databases = infra.create_databases(SERVICES)  # empty: the migrate Job makes them
    smtp = SmtpSink().start()
    try:
        yield Infrastructure(broker_url, databases, smtp.url)
    finally:
        smtp.stop()
        infra.drop_databases(databases)
        infra.drop_vhost(vhost)


# -- checks common to both ------------------------------------------------------------------


def _get(url: str) -> requests.Response | None:
    try:
        return requests.get(url, timeout=5)
    except requests.RequestException:
        return None


def _answers(url: str, status: int = 200) -> requests.Response | None:
    response = _get(url)
    return response if response is not None and response.status_code == status else None


def _must_succeed(container: Container, argv: list[str] | None = None) -> str:
    done = container.run(argv)
    assert done.returncode == 0, f"{container.name}: {done.stdout}{done.stderr}"
    return done.stdout


def _journey_works(base_urls: dict[str, str]) -> None:
    """An organisation, a client onboarded through intake, and the plan plans drafted from
    the event: the processes reach each other through the broker, as configured."""
    api = PlatformApi(HttpTransport(base_urls), PLATFORM_TOKEN)
    organisation, token = api.new_tenant()
    client = api.onboarded_client(token, organisation["admin"]["id"])
    wait_for(lambda: api.plans_of(token, client["id"]), timeout=90, what="the drafted plan")


def _stop_all(running: list[Container], grace: float = 30) -> dict[str, int]:
    for container in running:
        if container.process.poll() is None:
            os.killpg(container.process.pid, signal.SIGTERM)
    return {container.name: container.stopped(grace) for container in running}


# -- Kubernetes ---------------------------------------------------------------------------


def _secret_keys() -> list[str]:
    """The keys deploy/k8s/README.md has the operator put in the Secret."""
    readme = (ROOT / "deploy" / "k8s" / "README.md").read_text()
    return re.findall(r"--from-literal=([A-Z_]+)=", readme)


def _pod_env(container: dict, config_maps: dict, secret: dict[str, str]) -> dict[str, str]:
    env = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env |= config_maps[source["configMapRef"]["name"]]["data"]
        else:
            assert source["secretRef"]["name"] == "coaching-secrets"
            env |= secret
    return env | {item["name"]: item["value"] for item in container.get("env", [])}


def _k8s_container(image, name: str, spec: dict, config_maps, secret, tmp: Path) -> Container:
    read_only = spec.get("securityContext", {}).get("readOnlyRootFilesystem", False)
    mounts = [m["mountPath"] for m in spec.get("volumeMounts", [])]
    return _container(
        image,
        name,
        spec["command"],
        _pod_env(spec, config_maps, secret),
        tmp,
        mounts=mounts,
        read_only_root=read_only,
        ports=[p["containerPort"] for p in spec.get("ports", [])],
    )


def _port_named(spec: dict, name_or_number) -> int:
    if isinstance(name_or_number, int):
        return name_or_number
    return next(p["containerPort"] for p in spec["ports"] if p["name"] == name_or_number)


def test_every_pod_of_the_production_overlay_runs_from_the_image(image, infrastructure, tmp_path):
    documents = rendered("overlays/production")
    config_maps = of_kind(documents, "ConfigMap")
    keys = _secret_keys()
    assert set(REQUIRED_IN_PRODUCTION) <= set(keys), "the README's Secret lacks a setting"
    values = {
        "JWT_SECRET": "jwt-secret-of-the-image-test-0123456789abcdef",
        "PLATFORM_ADMIN_TOKEN": PLATFORM_TOKEN,
        "BROKER_URL": infrastructure.broker_url,
        "SMTP_URL": infrastructure.smtp_url,
        **{f"{s.upper()}_DATABASE_URL": url for s, url in infrastructure.database_urls.items()},
    }
    secret = {key: values[key] for key in keys}
    logs = tmp_path / "logs"
    logs.mkdir()

    # The release's migrate Job, before anything else.
    [job] = of_kind(documents, "Job").values()
    [job_spec] = job["spec"]["template"]["spec"]["containers"]
    migrate = _k8s_container(
        image, job["metadata"]["name"], job_spec, config_maps, secret, tmp_path
    )
    migrated = _must_succeed(migrate)
    for service in SERVICES:
        assert re.search(rf"^{service}: database at revision \w+", migrated, re.M), migrated
    assert "topology declared" in migrated

    running: list[Container] = []
    apis: dict[str, tuple[Container, dict]] = {}
    background: list[tuple[Container, dict]] = []
    try:
        for name, deployment in of_kind(documents, "Deployment").items():
            pod = deployment["spec"]["template"]["spec"]
            for init in pod.get("initContainers", []):
                waited = _k8s_container(
                    image, f"{name}-{init['name']}", init, config_maps, secret, tmp_path
                )
                assert "this release's head" in _must_succeed(waited)
            [spec] = pod["containers"]
            container = _k8s_container(image, name, spec, config_maps, secret, tmp_path)
            if name.endswith("-api"):
                service = name.removesuffix("-api")
                _api_port_variables(container, service, _port_named(spec, "http"))
                apis[service] = (container, spec)
            else:
                background.append((container, spec))
            container.start(logs)
            running.append(container)

        for service, (container, spec) in apis.items():
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                get = spec[probe]["httpGet"]
                url = container.url(_port_named(spec, get["port"]), get["path"])
                wait_for(lambda u=url: _answers(u), timeout=120, what=f"{service} {probe}")
            metrics = _answers(container.url(_port_named(spec, "http"), "/metrics"))
            assert metrics is not None and "http_requests_total" in metrics.text, service
        for container, spec in background:
            port = _port_named(spec, "metrics")
            assert container.env["METRICS_PORT"] == str(container.ports[port])
            metrics = wait_for(
                lambda c=container, p=port: _answers(c.url(p, "/metrics")),
                timeout=120,
                what=f"{container.name} /metrics",
            )
            assert "coaching_" in metrics.text, container.name
            probe = spec["livenessProbe"]["exec"]["command"]
            wait_for(
                lambda c=container, p=probe: c.run(p, timeout=60).returncode == 0,
                timeout=60,
                what=f"{container.name} liveness probe",
            )

        _journey_works({s: c.url(_port_named(spec, "http"), "") for s, (c, spec) in apis.items()})
        for container in running:
            assert container.process.poll() is None, f"{container.name} died:\n{container.logs()}"
    except BaseException:
        for container in running:
            print(f"--- {container.name}\n{container.logs()}")
        raise
    finally:
        exits = _stop_all(running)
    assert exits == {container.name: 0 for container in running}


# -- docker compose ---------------------------------------------------------------------------


def _interpolated(value: str, variables: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}``."""

    def substitute(match: re.Match) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        if variables.get(name):
            return variables[name]
        assert operator != ":?", f"compose requires {name}: {argument}"
        return argument if operator == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", substitute, value)


def _compose_env(service: dict, variables: dict[str, str], infrastructure) -> dict[str, str]:
    """The service's environment, its hosts (`rabbitmq`, `postgres`, `mailpit`) being the
    test's own broker vhost, databases and SMTP server."""
    env = {
        key: _interpolated(str(value), variables) for key, value in service["environment"].items()
    }
    init_sql = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    for key, value in env.items():
        if key == "BROKER_URL":
            assert value.startswith("amqp://") and "@rabbitmq:5672/" in value, value
            env[key] = infrastructure.broker_url
        elif key.endswith("_DATABASE_URL"):
            host_and_database = re.search(r"@postgres:5432/(\w+)$", value)
            assert host_and_database, value
            database = host_and_database.group(1)
            assert re.search(rf"CREATE DATABASE {database}\b", init_sql), database
            env[key] = infrastructure.database_urls[key.removesuffix("_DATABASE_URL").lower()]
        elif key == "SMTP_URL":
            assert "@" not in value and value.startswith("smtp://mailpit:"), value
            env[key] = infrastructure.smtp_url
    return env


def test_every_compose_service_runs_from_the_image(image, infrastructure, tmp_path):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    # The .env the README has an operator make from deploy/compose.env.example: each name
    # it lists given a value (so the example names everything compose requires).
    example = (ROOT / "deploy" / "compose.env.example").read_text()
    variables = {
        name: f"{name.lower()}-of-the-image-test-0123456789abcdef"
        for name in re.findall(r"^(\w+)=$", example, re.MULTILINE)
    }
    variables["PLATFORM_ADMIN_TOKEN"] = PLATFORM_TOKEN
    logs = tmp_path / "logs"
    logs.mkdir()
    apps = {
        name: service
        for name, service in compose["services"].items()
        if service.get("image") == compose["services"]["migrate"]["image"]
    }

    def container(name: str, service: dict) -> Container:
        mounts = [m.split(":")[0] for m in service.get("tmpfs", [])]
        mounts += [v.split(":")[1] for v in service.get("volumes", [])]
        published = [int(p.split(":")[-1]) for p in service.get("ports", [])]
        made = _container(
            image,
            name,
            [str(word) for word in service["command"]],
            _compose_env(service, variables, infrastructure),
            tmp_path,
            mounts=mounts,
            read_only_root=service.get("read_only", False),
            ports=published,
        )
        # The image's own folders (deploy/Dockerfile: mkdir -p "$VAR_DIR/outbox").
        Path(made.env["VAR_DIR"], "outbox").mkdir(parents=True, exist_ok=True)
        return made

    migrated = _must_succeed(container("migrate", apps.pop("migrate")))
    assert "topology declared" in migrated

    running: list[Container] = []
    base_urls = {}
    try:
        for name, service in apps.items():
            made = container(name, service)
            if name.endswith("-api"):
                [port] = made.ports
                _api_port_variables(made, name.removesuffix("-api"), port)
                base_urls[name.removesuffix("-api")] = made.url(port, "")
            made.start(logs)
            running.append(made)
        for made in running:
            test = apps[made.name]["healthcheck"]["test"]
            assert test[0] == "CMD"
            argv = [
                re.sub(
                    r"127\.0\.0\.1:(\d+)",
                    lambda m, c=made: f"127.0.0.1:{c.ports[int(m.group(1))]}",
                    word,
                )
                for word in test[1:]
            ]
            wait_for(
                lambda c=made, a=argv: c.run(a, timeout=60).returncode == 0,
                timeout=120,
                what=f"{made.name} healthcheck",
            )
        for service, url in base_urls.items():
            assert _answers(url + "/readyz"), service
            assert "http_requests_total" in _answers(url + "/metrics").text, service
        _journey_works(base_urls)
        for made in running:
            assert made.process.poll() is None, f"{made.name} died:\n{made.logs()}"
    except BaseException:
        for made in running:
            print(f"--- {made.name}\n{made.logs()}")
        raise
    finally:
        exits = _stop_all(running)
    assert exits == {made.name: 0 for made in running}
