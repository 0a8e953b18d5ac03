"""The deployment files agree with the code: every process type the supervisor knows is
run by docker compose and by the Procfile, from the one Dockerfile, without secrets, in
production mode; compose is safe by default: infrastructure on 127.0.0.1 only, every
password from the untracked .env the README has you create, every image pinned; the image
is built from the whole package and the locked dependencies, and every distribution the
code imports is declared. (tests/e2e/test_image.py builds and runs it.)"""

from __future__ import annotations

import ast
import fnmatch
import importlib.metadata
import re
import shlex
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from coaching.registry import SERVICES, load_settings, process_table
from tests.support import dockerfile

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_ENV_EXAMPLE = ROOT / "deploy" / "compose.env.example"
PROCFILE = ROOT / "deploy" / "Procfile"
SECRET_VARIABLES = ("JWT_SECRET", "PLATFORM_ADMIN_TOKEN")
INFRASTRUCTURE = ("rabbitmq", "postgres")
# Every service that is not one of the platform's processes: none is reachable from
# beyond the host.
THIRD_PARTY = ("rabbitmq", "postgres", "mailpit")
REQUIRED = re.compile(r"\$\{([A-Z_]+):\?[^}]*\}")


@pytest.fixture
def processes(monkeypatch, tmp_path) -> dict[str, list[str]]:
    """Process name -> the ``coaching`` arguments it runs (``api intake``, ``dispatcher``)."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    table = process_table()
    return {name: argv[argv.index("coaching") + 1 :] for name, argv in table.items()}


@pytest.fixture(scope="module")
def compose_services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def _environment(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.partition("=")[::2] for item in environment)
    return {key: str(value) for key, value in environment.items()}


def _command(service: dict) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(x) for x in command]


def _procfile_entries() -> dict[str, str]:
    entries = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def test_compose_file_runs_every_process_type(processes, compose_services):
    missing = set(processes) - set(compose_services)
    assert not missing, f"docker-compose.yml has no service for {sorted(missing)}"


def test_each_compose_process_runs_the_coaching_command_of_its_type(processes, compose_services):
    for name, arguments in processes.items():
        command = _command(compose_services[name])
        assert command[:1] == ["coaching"], name
        assert command[1 : 1 + len(arguments)] == arguments, name


def test_every_app_service_is_built_from_the_deploy_dockerfile(processes, compose_services):
    for name in [*processes, "migrate"]:
        build = compose_services[name]["build"]
        dockerfile = (ROOT / build["context"] / build["dockerfile"]).resolve()
        assert dockerfile == ROOT / "deploy" / "Dockerfile", name
        assert dockerfile.is_file(), name


def test_migrate_upgrades_databases_then_declares_the_topology(compose_services):
    command = " ".join(_command(compose_services["migrate"]))
    assert re.search(r"coaching migrate\b.*&&.*coaching topology\b", command)


def test_app_services_start_after_migrations_on_healthy_infrastructure(processes, compose_services):
    for name in processes:
        depends_on = compose_services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        for infrastructure in INFRASTRUCTURE:
            assert depends_on[infrastructure]["condition"] == "service_healthy", name
            assert "healthcheck" in compose_services[infrastructure]
        assert compose_services[name]["restart"] == "unless-stopped", name


def test_compose_apis_listen_on_all_interfaces_and_publish_their_ports_on_localhost(
    monkeypatch, tmp_path, compose_services
):
    """Inside its container an API listens on every interface; on the host its port is
    published on 127.0.0.1 unless PUBLISH_ADDRESS says otherwise."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    ports = load_settings().ports
    for service in SERVICES:
        api = compose_services[f"{service}-api"]
        assert _environment(api)["API_HOST"] == "0.0.0.0"
        published = f"${{PUBLISH_ADDRESS:-127.0.0.1}}:{ports[service]}:{ports[service]}"
        assert [str(p) for p in api["ports"]] == [published]


def test_infrastructure_ports_are_published_on_localhost_only(compose_services):
    for name in THIRD_PARTY:
        for port in compose_services[name].get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond the host"


# A release, not a series: major.minor.patch (PostgreSQL numbers its releases
# major.minor), with an optional variant; or a digest.
EXACT_TAG = re.compile(r"[a-z0-9./_-]+:v?\d+\.\d+\.\d+(-[a-z0-9.]+)?")
EXACT_POSTGRES_TAG = re.compile(r"postgres:\d+\.\d+(-[a-z0-9.]+)?")
DIGEST = re.compile(r"[a-z0-9./_:-]+@sha256:[0-9a-f]{64}")


def test_every_image_pulled_is_pinned_to_an_exact_version(compose_services):
    for name, service in compose_services.items():
        if "build" in service:
            continue  # built here, from this checkout
        image = service["image"]
        exact = EXACT_POSTGRES_TAG if image.startswith("postgres:") else EXACT_TAG
        assert exact.fullmatch(image) or DIGEST.fullmatch(image), (
            f"{name}: {image} is not pinned to an exact version"
        )


def test_no_password_is_written_in_the_compose_file(compose_services):
    assert not re.search(r"\bguest\b", repr(compose_services)), "RabbitMQ's guest account"
    for name, service in compose_services.items():
        for variable, value in _environment(service).items():
            if re.search(r"PASS|SECRET|TOKEN", variable):
                assert REQUIRED.fullmatch(value), f"{name}: {variable} is not taken from .env"
            for password in re.findall(r"://[^:/@]+:([^@]*)@", value):
                assert REQUIRED.fullmatch(password), f"{name}: {variable} holds a password"


def test_the_env_file_to_create_names_every_secret_and_holds_none(compose_services):
    required = set(REQUIRED.findall(COMPOSE_FILE.read_text()))
    assert {"JWT_SECRET", "PLATFORM_ADMIN_TOKEN", "POSTGRES_PASSWORD", "RABBITMQ_PASSWORD"} <= (
        required
    )
    example = {
        name: value
        for name, _, value in (
            line.partition("=")
            for line in COMPOSE_ENV_EXAMPLE.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        )
    }
    # Empty: compose refuses to start until each one is filled in (``:?`` refuses empty).
    assert example == dict.fromkeys(required, "")
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    readme = (ROOT / "deploy" / "README.md").read_text()
    assert "cp deploy/compose.env.example .env" in readme


def test_no_compose_service_hard_codes_a_secret(processes, compose_services):
    for name, service in compose_services.items():
        environment = _environment(service)
        for variable in SECRET_VARIABLES:
            if name in processes or name == "migrate":
                assert variable in environment, f"{name} does not pass {variable}"
            if variable in environment:
                assert re.fullmatch(rf"\$\{{{variable}:\?[^}}]*\}}", environment[variable]), (
                    f"{name} sets {variable} to a literal instead of requiring it from the host"
                )


def test_postgres_creates_one_database_per_service(compose_services):
    mounts = compose_services["postgres"]["volumes"]
    init_mount = next(m for m in mounts if "docker-entrypoint-initdb.d" in m)
    init_sql = (ROOT / init_mount.split(":")[0]).read_text()
    for service in SERVICES:
        assert re.search(rf"CREATE DATABASE {service}\b", init_sql), service


def test_procfile_names_the_same_process_types(processes):
    assert set(_procfile_entries()) == set(processes)


def test_procfile_runs_the_coaching_command_of_each_type(processes):
    for name, command in _procfile_entries().items():
        words = shlex.split(command)
        arguments = processes[name]
        assert words[0] == "coaching", name
        assert words[1 : 1 + len(arguments)] == arguments, name


def test_deploy_readme_lists_every_process_with_its_command(processes):
    """The operator's table of process types (deploy/README.md) is the registry's."""
    rows = {}
    for line in (ROOT / "deploy" / "README.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[1].startswith("`coaching "):
            command = shlex.split(cells[1].split("`")[1])
            for name in re.findall(r"`([a-z]+-[a-z]+)`", cells[0]):
                rows[name] = command
    assert set(rows) == set(processes)
    for name, arguments in processes.items():
        service = name.split("-")[0]
        expected = [service if a == service else a for a in arguments]
        documented = [service if a == "SERVICE" else a for a in rows[name][1:]]
        assert documented[: len(expected)] == expected, name


def test_compose_checks_each_background_process_is_alive(processes, compose_services):
    """Workers, relays, the scheduler and the dispatcher: `coaching alive` on their own
    heartbeat, as the Kubernetes liveness probe does."""
    for name, arguments in processes.items():
        if name.endswith("-api"):
            continue
        test = compose_services[name]["healthcheck"]["test"]
        assert test[:5] == ["CMD", "coaching", "alive", *arguments[:2]], name


def test_compose_runs_every_process_in_production_mode(processes, compose_services):
    for name in [*processes, "migrate"]:
        environment = _environment(compose_services[name])
        assert environment.get("COACHING_MODE", "production") == "production", name


# -- the image (tests/e2e/test_image.py builds and runs what these read) ----------------


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _locked(path: Path) -> dict[str, str]:
    """Distribution -> pinned version, of a pip-compile lock file."""
    return {
        _normalised(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", path.read_text(), re.M)
    }


def test_the_image_copies_every_package_of_the_distribution_and_nothing_else():
    build, _image = dockerfile.stages()
    copied = set(dockerfile.copied_from_context(build, dockerfile.build_context()).values())
    patterns = _pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if any(fnmatch.fnmatch(path.parent.name, p) for p in patterns)
    }
    assert packages == {"coaching", "shared", "services"}
    for package in packages:
        sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / package).rglob("*.py")}
        sources = {s for s in sources if "__pycache__" not in s}
        assert sources <= copied, f"the image lacks {sorted(sources - copied)[:3]}"
    assert {"pyproject.toml", "requirements.lock"} <= copied
    # .dockerignore keeps the rest of the repository out of the build context.
    assert {f.split("/")[0] for f in copied} == packages | {"pyproject.toml", "requirements.lock"}


def test_the_image_installs_the_locked_dependencies_then_the_package_alone():
    build, image = dockerfile.stages()
    runs = " && ".join(build.runs)
    lock = next(c.destination for c in build.copies if c.sources == ["requirements.lock"])
    assert f"pip install --require-hashes -r {lock}" in runs
    assert "pip wheel --no-deps --no-build-isolation" in runs
    assert "pip install --no-deps --no-index" in runs
    # The image holds the venv alone, runs as its own user, and knows nothing secret.
    assert [c.from_stage for c in image.copies] == [build.name]
    assert image.user == "coaching"
    assert not {"JWT_SECRET", "PLATFORM_ADMIN_TOKEN", "COACHING_MODE"} & set(image.env)


def test_the_lock_files_pin_every_dependency_with_hashes_and_agree():
    project = _pyproject()["project"]
    runtime, development = (
        _locked(ROOT / "requirements.lock"),
        _locked(ROOT / "requirements-dev.lock"),
    )
    for requirement in project["dependencies"]:
        name, version = re.match(r"([A-Za-z0-9_.\-]+)(?:\[.*\])?==(\S+)", requirement).groups()
        assert runtime.get(_normalised(name)) == version, f"{name}: run `make lock`"
    for requirement in project["optional-dependencies"]["test"]:
        name, version = re.match(r"([A-Za-z0-9_.\-]+)(?:\[.*\])?==(\S+)", requirement).groups()
        assert development.get(_normalised(name)) == version, f"{name}: run `make lock`"
    assert {name: development.get(name) for name in runtime} == runtime
    for lock in ("requirements.lock", "requirements-dev.lock"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
        for entry in entries:
            if "==" in entry.split("\n", 1)[0]:
                assert "--hash=sha256:" in entry, f"{lock}: {entry.splitlines()[0]} has no hash"


def _imported_top_level_modules(*folders: str) -> set[str]:
    found = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return (
        found - set(sys.stdlib_module_names) - {"coaching", "shared", "services", "tests", "bench"}
    )


def _declared(requirements: list[str]) -> set[str]:
    return {_normalised(re.match(r"[A-Za-z0-9_.\-]+", r).group()) for r in requirements}


@pytest.mark.parametrize(
    "folders, extras",
    [(("coaching", "shared", "services"), ()), (("tests", "bench"), ("test",))],
    ids=["the package", "the tests and benchmarks"],
)
def test_every_imported_distribution_is_declared(folders, extras):
    project = _pyproject()["project"]
    declared = _declared(project["dependencies"])
    for extra in extras:
        declared |= _declared(project["optional-dependencies"][extra])
    distributions = importlib.metadata.packages_distributions()
    for module in sorted(_imported_top_level_modules(*folders)):
        names = {_normalised(d) for d in distributions.get(module, [module])}
        assert names & declared, f"{module} is imported but {sorted(names)} is not declared"
