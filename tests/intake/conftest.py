"""Intake's own behaviour, on intake alone (``IntakeHarness``, the ``intake`` fixture):
``api`` and ``tenant`` are the whole-system fixtures' namesakes, on intake's test client."""

from __future__ import annotations

import pytest


@pytest.fixture
def api(intake):
    return intake.api


@pytest.fixture
def tenant(intake):
    """An organisation, its admin's token and the admin's staff id (also a coach here)."""
    return intake.new_tenant()
