"""System tools some tests drive as real parts: promtool (the alerting rules), Chromium
(the client's page), kubectl (the Kubernetes overlay, rendered by its kustomize).

On a developer's machine without one (no root, macOS), a test that needs it says which
and is skipped. Under CI (``CI=true``, as ``.ci/run`` sets, which also installs them) a
missing tool fails the test instead: the checks it guards must run there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def required_tool(name: str, needed_for: str) -> str:
    """The path of the executable ``name`` (a command, or an absolute path); skips the
    test when it is missing, or fails it under CI."""
    found = name if Path(name).is_absolute() and os.access(name, os.X_OK) else None
    found = found or (None if Path(name).is_absolute() else shutil.which(name))
    if found:
        return found
    message = f"{name} is missing, needed for {needed_for} (.ci/system-deps installs it)"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)
