"""No service imports another service: they share only `shared/` and events."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            modules.add(str(node.args[0].value))
    return modules


def test_there_are_three_services():
    assert SERVICES == ["intake", "notifications", "plans"]


@pytest.mark.parametrize("service", SERVICES)
def test_service_imports_no_other_service(service):
    others = {f"services.{name}" for name in SERVICES if name != service}
    offending = []
    for path in (ROOT / "services" / service).rglob("*.py"):
        for module in _imported_modules(path):
            if any(module == other or module.startswith(other + ".") for other in others):
                offending.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offending == []


def test_shared_imports_no_service_statically():
    offending = []
    for path in (ROOT / "shared").rglob("*.py"):
        for module in _imported_modules(path):
            if module.startswith(("services.", "coaching")):
                offending.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offending == []


def _imports_built_at_run_time(path: Path, root: Path = ROOT) -> list[str]:
    """``import_module(...)`` or ``__import__(...)`` of a name that is not written out:
    an import built from a string, which neither this test nor import-linter can see."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in ("import_module", "__import__") and not (
            node.args and isinstance(node.args[0], ast.Constant)
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_no_import_is_built_from_a_string():
    """The composition root names each service's bootstrap in a plain import, so the
    import contracts (pyproject.toml, run by ``make test``) see every dependency."""
    offending = []
    for package in ("coaching", "shared", "services"):
        for path in (ROOT / package).rglob("*.py"):
            offending += _imports_built_at_run_time(path)
    assert offending == []


def test_the_checker_would_notice_an_import_built_from_a_string(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import importlib\n"
        "name = 'plans'\n"
        "importlib.import_module(f'services.{name}.bootstrap')\n"
        "__import__('services.' + name)\n"
    )
    assert _imports_built_at_run_time(sample, tmp_path) == ["sample.py:3", "sample.py:4"]


def test_the_checker_would_notice_a_cross_service_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from services.plans.models import Goal\nimport services.intake.api\n")
    assert _imported_modules(sample) == {"services.plans.models", "services.intake.api"}
