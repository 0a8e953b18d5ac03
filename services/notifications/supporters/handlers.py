"""Events the supporters' work consumes: ``plan.escalation_set`` (the client's escalation
windows, ``escalation``)."""

from __future__ import annotations

from services.notifications.supporters.escalation import on_escalation_set

__all__ = ["on_escalation_set"]
