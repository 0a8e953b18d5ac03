"""A client's personal safety plan (Stanley and Brown's six sections), written with their
coach, kept on their phone.

Owns: the six sections, their bounds, their headings and the plan as SMS texts
(``sections``), every version kept and the client's confirmation (``store``), the
staff's API (``api``, bodies in ``schemas``), the client's own page of it, where they
edit their coping steps and confirm it (``page``, template in ``templates/safety_plan``),
and ``PLAN`` / ``SAFETY PLAN`` by SMS (``sms``). What its routes do, each in the unit of
work it owns, is in ``use_cases``. Its tables are in ``models``.

What a plan says is health data: never logged, erased with the client (``store.forget``
from ``erasure``), never sent to plans (so never in the funder's report).

Entry points: ``answer_plan_request`` and ``asks_for_plan`` (a text asking for the
plan), ``has_safety_plan`` (the crisis text offers PLAN), ``forget`` (erasure), and
``blueprints()`` (its HTTP routes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.notifications.safety_plans.sections import asks_for_plan
    from services.notifications.safety_plans.sms import answer_plan_request
    from services.notifications.safety_plans.store import forget, has_safety_plan

__all__ = ["answer_plan_request", "asks_for_plan", "blueprints", "forget", "has_safety_plan"]


def blueprints() -> tuple:
    from services.notifications.safety_plans.api import safety_plans
    from services.notifications.safety_plans.page import safety_plan_pages

    return (safety_plans, safety_plan_pages)


def __getattr__(name: str):
    # Loaded on first use, so that one module of the package imports without the rest.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from services.notifications.safety_plans.sections import asks_for_plan
    from services.notifications.safety_plans.sms import answer_plan_request
    from services.notifications.safety_plans.store import forget, has_safety_plan

    return {
        "answer_plan_request": answer_plan_request,
        "asks_for_plan": asks_for_plan,
        "forget": forget,
        "has_safety_plan": has_safety_plan,
    }[name]
