"""Per-request / per-message context: correlation id and tenant, for events and logs."""

from __future__ import annotations

from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)
tenant_id: ContextVar[str | None] = ContextVar("tenant_id", default=None)
