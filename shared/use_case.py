"""The one way a view runs a use case: "in a unit of work, as this caller".

A use case (``services/<service>/use_cases.py``) owns its unit of work: it opens it,
finds what the caller may touch, calls the domain, commits (the outbox publishes with the
commit) and returns what the view renders; leaving it on an error rolls everything back.
It imports no web code, so it is handed the unit of work (not yet open) and the
principal; a view parses, calls :func:`as_caller` once, and renders::

    client = as_caller(use_cases.update_client, client_id, body, if_match=if_match())
    return tagged(client)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from shared.auth import current_principal
from shared.db import UnitOfWork
from shared.runtime import current_runtime

T = TypeVar("T")


def unit_of_work() -> UnitOfWork:
    """A new unit of work of the service handling the request, for its use case to open."""
    return current_runtime().unit_of_work()


def as_caller(use_case: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``use_case(uow, principal, *args, **kwargs)``: run for the request's authenticated
    caller in a new unit of work of this service."""
    return use_case(unit_of_work(), current_principal(), *args, **kwargs)
