"""Unit tests build their settings from a bare environment: the embedded defaults."""

import pytest


@pytest.fixture(autouse=True)
def _embedded_defaults(embedded) -> None:
    """Every unit test runs as ``make run`` does, with the embedded defaults chosen."""
