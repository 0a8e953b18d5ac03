"""The render budgets a test's renders ran under, to assert what bounded them in the
budget's own words (ran out or not, CPU time used, how late the stopping check came)
rather than by timing the test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.notifications.wording import templates
from services.notifications.wording.sandbox import RenderBudget


def watch_render_budgets(monkeypatch) -> list[RenderBudget]:
    """Every budget ``templates`` opens from now on (one per message rendered), in order."""
    budgets: list[RenderBudget] = []
    opened = templates.render_budget

    @contextmanager
    def watched(*args, **kwargs) -> Iterator[RenderBudget]:
        with opened(*args, **kwargs) as budget:
            budgets.append(budget)
            yield budget

    monkeypatch.setattr(templates, "render_budget", watched)
    return budgets
