"""The feature packages say what they own: each opens with a docstring naming every module
it holds, and its entry points (``__all__``) are there to import."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

FEATURE_PACKAGES = [
    "services.notifications.replies",
    "services.notifications.supporters",
    "services.notifications.digest",
    "services.notifications.client_web",
    "services.notifications.wording",
    "services.notifications.dispatcher",
    "services.notifications.channels",
    "services.notifications.safety_plans",
    "services.plans.reports",
]


@pytest.mark.parametrize("name", FEATURE_PACKAGES)
def test_a_feature_package_names_what_it_owns(name):
    package = importlib.import_module(name)
    doc = package.__doc__ or ""
    modules = [m.name for m in pkgutil.iter_modules(package.__path__)]
    unnamed = [m for m in modules if f"``{m}``" not in doc and f"``{m}/``" not in doc]
    assert doc.strip() and unnamed == [], unnamed


@pytest.mark.parametrize("name", FEATURE_PACKAGES)
def test_a_feature_packages_entry_points_import(name):
    package = importlib.import_module(name)
    assert package.__all__
    for entry in package.__all__:
        assert getattr(package, entry) is not None, entry
    with pytest.raises(AttributeError):
        package.no_such_entry_point  # noqa: B018


def test_the_packages_routes_are_blueprints():
    from flask import Blueprint

    from services.notifications import client_web, replies, safety_plans
    from services.plans import reports

    for package in (replies, client_web, safety_plans, reports):
        assert package.blueprints() and all(isinstance(b, Blueprint) for b in package.blueprints())
