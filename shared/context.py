"""Per-request / per-message context: correlation id and tenant, for events and logs."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)
tenant_id: ContextVar[str | None] = ContextVar("tenant_id", default=None)
# Run with the session just before a unit of work commits, by the request that set it (an
# ``Idempotency-Key`` fences its request's transactions: shared/web/idempotency.py).
before_commit: ContextVar[Callable[[Any], None] | None] = ContextVar("before_commit", default=None)
