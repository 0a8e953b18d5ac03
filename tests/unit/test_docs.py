"""The README and docs/ stay true where they list things: the configuration table is the
variables the code reads, the API reference is the services' OpenAPI documents, the
`make` targets and `coaching` commands they name exist, and every relative link resolves.
The nudge kinds, SMS keywords and link lifetimes of docs/notifications.md and docs/api.md
are the notifications service's. Facts are read from the code at test time (settings
parsed, apps built, sources walked, the CLI's help), never copied here, so a new variable,
route, target or command needs no edit of this file, only of the doc."""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
from pathlib import Path

import pytest

from coaching.registry import SERVICES

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CODE_PACKAGES = ("coaching", "shared", "services")
# Docs that name make targets and coaching commands (the deploy and bench notes too).
PROSE = (
    README,
    *sorted(DOCS.glob("*.md")),
    ROOT / "deploy" / "README.md",
    ROOT / "bench" / "README.md",
)
# Docs whose relative links must resolve.
LINKED = (README, *sorted(DOCS.glob("*.md")), ROOT / "deploy" / "README.md")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
README_MAX_LINES = 250


def _section(path: Path, heading: str) -> str:
    """The text under a `## heading` (the heading's first words), up to the next `## `."""
    text = path.read_text()
    match = re.search(rf"^## {re.escape(heading)}\b.*$", text, re.MULTILINE)
    assert match, f"{path.relative_to(ROOT)} has no section '## {heading}'"
    end = text.find("\n## ", match.end())
    return text[match.end() : end if end != -1 else None]


def _first_cells(section: str) -> list[str]:
    """The first cell of each row of the section's tables (headers and rules left out)."""
    cells = []
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells.append(re.split(r"(?<!\\)\|", line.strip()[1:])[0].strip())
    return [cell for cell in cells if cell.startswith("`")]


# --- configuration -------------------------------------------------------------------


class _RecordingEnviron(dict):
    """os.environ as load_settings sees it, remembering every name it asks for."""

    def __init__(self, values: dict[str, str]):
        super().__init__(values)
        self.asked: set[str] = set()

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)


def _names_load_settings_reads(tmp_path: Path, monkeypatch) -> set[str]:
    from coaching.registry import REQUIRED_IN_PRODUCTION, load_settings

    asked: set[str] = set()
    embedded = {"COACHING_MODE": "embedded", "VAR_DIR": str(tmp_path / "embedded")}
    production = {
        "COACHING_MODE": "production",
        "VAR_DIR": str(tmp_path / "production"),
        **dict.fromkeys(REQUIRED_IN_PRODUCTION, "set"),
        "BROKER_URL": "amqp://127.0.0.1:5672//",
    }
    for values in (embedded, production):
        environ = _RecordingEnviron(values)
        with monkeypatch.context() as patch:
            patch.setattr(os, "environ", environ)
            load_settings()
        asked |= environ.asked
    return asked


def _is_environ(node: ast.AST) -> bool:
    """``os.environ`` or a bare ``environ``."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ"
    return isinstance(node, ast.Name) and node.id == "environ"


def _names_read_directly() -> set[str]:
    """Every literal name read through os.environ / os.getenv anywhere in the code."""
    names: set[str] = set()
    for package in CODE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                key = None
                if isinstance(node, ast.Call) and node.args:
                    func = node.func
                    if (
                        isinstance(func, ast.Attribute)
                        and func.attr in ("get", "setdefault", "pop")
                        and _is_environ(func.value)
                    ) or (
                        isinstance(func, ast.Attribute | ast.Name)
                        and getattr(func, "attr", getattr(func, "id", None)) == "getenv"
                    ):
                        key = node.args[0]
                elif isinstance(node, ast.Subscript) and _is_environ(node.value):
                    key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    names.add(key.value)
    return names


def _documented_variables() -> set[str]:
    names: set[str] = set()
    for cell in _first_cells(_section(DOCS / "configuration.md", "Variables")):
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", cell))
    return names


def test_the_configuration_table_is_every_variable_the_code_reads(tmp_path, monkeypatch):
    read = _names_load_settings_reads(tmp_path, monkeypatch) | _names_read_directly()
    documented = _documented_variables()
    assert read - documented == set(), "read by the code, missing from docs/configuration.md"
    assert documented - read == set(), "in docs/configuration.md, read by no code"


def test_the_required_rows_are_what_production_mode_requires():
    from coaching.registry import REQUIRED_IN_PRODUCTION

    required = set()
    for line in _section(DOCS / "configuration.md", "Variables").splitlines():
        if line.startswith("| `") and "**required.**" in line:
            required |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", _first_cells(line)[0]))
    assert required == set(REQUIRED_IN_PRODUCTION)


# --- API reference -------------------------------------------------------------------


@pytest.fixture(scope="module")
def apps(tmp_path_factory) -> dict[str, object]:
    from coaching.registry import load_settings

    with pytest.MonkeyPatch.context() as env:
        env.setenv("VAR_DIR", str(tmp_path_factory.mktemp("var")))
        env.setenv("COACHING_MODE", "embedded")  # module-scoped: the autouse one is not yet
        settings = load_settings()
        return {
            name: service.build_runtime(settings).create_app() for name, service in SERVICES.items()
        }


def _shape(path: str) -> str:
    """A path with its parameters unnamed: `/v1/plans/{id}` and `/v1/plans/{plan_id}` agree."""
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])


def _openapi_routes(app) -> set[tuple[str, str]]:
    document = app.test_client().get("/openapi.json").get_json()
    return {
        (method.upper(), _shape(path))
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }


def _documented_routes(service: str) -> set[tuple[str, str]]:
    routes = set()
    methods = "|".join(METHODS)
    for cell in _first_cells(_section(DOCS / "api.md", service.capitalize())):
        found = re.findall(rf"`((?:{methods})(?:/(?:{methods}))*) (/[^`\s]*)`", cell)
        assert found, f"a row of docs/api.md ({service}) names no route: {cell}"
        for verbs, path in found:
            routes |= {(verb, _shape(path)) for verb in verbs.split("/")}
    return routes


@pytest.mark.parametrize("service", list(SERVICES))
def test_the_api_reference_is_every_route_of_the_openapi_document(apps, service):
    served = _openapi_routes(apps[service])
    documented = _documented_routes(service)
    assert served - documented == set(), f"{service}: served, missing from docs/api.md"
    assert documented - served == set(), f"{service}: in docs/api.md, not served"


def test_the_operations_endpoints_are_the_routes_outside_the_openapi_documents(apps):
    """/healthz, /docs and the like: every service serves each, and nothing else unlisted."""
    line = next(
        line
        for line in _section(DOCS / "api.md", "Every service").split("\n- ")
        if line.startswith("**Operations endpoints:**")
    )
    documented = set(re.findall(r"`(/[^`]*)`", line))
    for name, app in apps.items():
        rules = {
            re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and "<path:" not in rule.rule  # files: Swagger UI's
        }
        outside = {
            rule for rule in rules if (_shape(rule)) not in {p for _, p in _openapi_routes(app)}
        }
        assert outside == documented, name


# --- nudges --------------------------------------------------------------------------


def _kind_rows() -> dict[str, list[str]]:
    rows = {}
    for line in _section(DOCS / "notifications.md", "Kinds").splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_the_kinds_table_is_the_kinds_the_service_has():
    from services.notifications.wording.kinds import KINDS

    documented = {
        name: (to, tuple(sorted(by.split(", "))), set(re.findall(r"`([a-z_]+)`", own)))
        for name, (to, by, _, own) in _kind_rows().items()
    }
    expected = {
        kind.name: (
            kind.audience,
            tuple(sorted(kind.channels)),
            set(kind.variables | kind.email_variables),
        )
        for kind in KINDS.values()
    }
    assert documented == expected


def test_every_template_variable_is_documented():
    from services.notifications.wording.kinds import KINDS

    text = _section(DOCS / "notifications.md", "Kinds") + _section(
        DOCS / "notifications.md", "Templates"
    )
    named = set(re.findall(r"`([a-z_]+)`", text))
    usable = {v for kind in KINDS.values() for c in kind.channels for v in kind.variables_on(c)}
    assert usable - named == set()


def test_the_sms_keywords_are_the_ones_the_service_reads():
    from services.notifications.replies import opt_outs

    documented = set(re.findall(r"`([A-Z]+)`", _section(DOCS / "notifications.md", "SMS keywords")))
    assert documented == opt_outs.STOP_WORDS | opt_outs.START_WORDS | opt_outs.HELP_WORDS


def test_the_signed_links_last_as_documented():
    from services.notifications.client_web import links as client_links
    from services.notifications.replies import alert_links as client_alert_links

    rows = {
        _first_cells(line)[0]: line
        for line in _section(DOCS / "api.md", "Notifications").splitlines()
        if line.startswith("| `")
    }
    for route, days in (
        ("`GET/POST /r/{token}`", client_links.REPLY_LINK_DAYS),
        ("`GET /me/{token}`", client_links.PAGE_LINK_DAYS),
        ("`GET/POST /alerts/{token}`", client_alert_links.ALERT_LINK_DAYS),
    ):
        [row] = [line for cell, line in rows.items() if cell.startswith(route)]
        assert f"signed link, {days} days" in row, route


# --- make targets and coaching commands ----------------------------------------------


def _makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, re.MULTILINE))


def _phony_targets() -> set[str]:
    [line] = re.findall(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    return set(line.split())


def _named(pattern: str, path: Path) -> set[str]:
    """What follows the pattern in inline code (`make run`) or a shell block's command."""
    text = path.read_text()
    inline = set(re.findall(rf"`{pattern}\s+([a-z][\w-]*)", text))
    shell = set(re.findall(rf"^\s*(?:\.venv/bin/)?{pattern} ([a-z][\w-]*)", text, re.MULTILINE))
    return inline | shell


@pytest.mark.parametrize("path", PROSE, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_make_target_the_docs_name_exists(path):
    assert _named("make", path) - _makefile_targets() == set()


def test_the_makefile_has_no_target_the_phony_list_lacks():
    assert _makefile_targets() == _phony_targets()


def test_the_readme_names_every_make_target():
    assert _phony_targets() - _named("make", README) == set()


def _coaching_commands() -> set[str]:
    from coaching import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli.main(["--help"])
    [choices] = re.findall(r"\{([a-z,-]+)\}", out.getvalue())[:1]
    return set(choices.split(","))


@pytest.mark.parametrize("path", PROSE, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_coaching_command_the_docs_name_exists(path):
    assert _named("coaching", path) - _coaching_commands() == set()


def test_the_operations_page_names_every_coaching_command():
    assert _coaching_commands() - _named("coaching", DOCS / "operations.md") == set()


# --- the README and links ------------------------------------------------------------


def test_the_readme_is_read_in_five_minutes():
    assert len(README.read_text().splitlines()) < README_MAX_LINES


def test_the_readme_walks_the_journey_end_to_end():
    """The block tests/e2e/test_make_run.py runs: refer, onboard, plan, nudge, reply, see."""
    journey = README.read_text().split("## Try the journey", 1)[1].split("```sh\n", 1)[1]
    block = journey.split("```", 1)[0]
    for step in (
        "/v1/organisations",
        "/v1/clients -H",
        "/onboard",
        "/v1/plans?client_id=",
        "/notifications",
        "coaching sms",
        "/journal",
    ):
        assert step in block, step


def test_the_readme_map_names_folders_that_exist():
    """The repository map under the README's first paragraph: each folder is there (and
    `services/<name>/` is every service's), the test suites too."""
    block = README.read_text().split("\n```\n", 1)[1].split("\n```", 1)[0]
    folders = re.findall(r"^(\S+/)", block, re.MULTILINE)
    assert folders
    for folder in folders:
        for name in SERVICES if "<name>" in folder else [""]:
            assert (ROOT / folder.replace("<name>", name)).is_dir(), folder
    [suites] = re.findall(r"^tests/\s+(.*)$", block, re.MULTILINE)
    for suite in re.findall(r"(\w+)/", suites):
        assert (ROOT / "tests" / suite).is_dir(), suite


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a file's headings."""
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def _without_code(markdown: str) -> str:
    return re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("path", LINKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    text = _without_code(path.read_text())
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    broken = []
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue  # https:, mailto:
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists() or (anchor and anchor not in _anchors(file.read_text())):
            broken.append(link)
    assert broken == []


def test_readme_and_docs_link_to_each_other():
    """Where to go next: every page of docs/ (and the benchmarks) is one link away."""
    linked = set(re.findall(r"\]\(([^)#\s]+)", _section(README, "Where to go next")))
    expected = {f"docs/{path.name}" for path in DOCS.glob("*.md")} | {"bench/README.md"}
    assert expected - linked == set()
