"""One decorator per endpoint: route, caller check, idempotency, arguments, answer and
the OpenAPI entry, stacked the same way for every API.

An API module declares its blueprints as :class:`ApiBlueprint` with the roles most of
their endpoints allow, then each endpoint with one call::

    plans = ApiBlueprint("plans", __name__, roles=STAFF, description="Recovery plans")

    @plans.get("/plans", query=schemas.PlanQuerySchema, response=schemas.PlanPageSchema)
    def list_plans(query): ...

What an endpoint takes decides what its OpenAPI entry says it may answer, so a problem
the plumbing raises is never left out of the document:

- ``roles``: 401 (no or a bad token) and 403 (another role);
- a path parameter: 404 (not found, or another organisation's);
- ``body``: 400 (not JSON) and 422 (invalid fields); ``query``: 422, and 400 when it
  takes the shared :class:`~shared.pagination.Cursor`;
- a POST, idempotent by :func:`~shared.web.idempotency.idempotent`: the
  ``Idempotency-Key`` header, 409 (the first request with that key is still running)
  and 422 (a key too long, or reused with another body);
- ``if_match``: the ``If-Match`` header and 412 (stale).

``errors`` adds the answers that come from the domain (409, 410, 503...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema

from shared.auth import requires_role
from shared.pagination import Cursor
from shared.web.etag import IF_MATCH_PARAMETER
from shared.web.idempotency import HEADER_PARAMETER, idempotent
from shared.web.schemas import documents_errors

View = Callable[..., Any]
# Who an endpoint lets in, as most endpoints say it (written out: a role added to
# shared.domains.ROLES one day must be let in where it is meant to be, not everywhere).
STAFF = ("org_admin", "coach")
ADMIN = ("org_admin",)


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose ``get``, ``post``, ``put``, ``patch`` and
    ``delete`` take :func:`endpoint`'s options and apply its whole stack, ``roles``
    (those given here unless the endpoint names its own) included. Its routes are under
    ``/v1`` unless ``url_prefix`` says otherwise."""

    def __init__(
        self,
        name: str,
        import_name: str,
        *,
        roles: Iterable[str] | None,
        url_prefix: str = "/v1",
        **kwargs,
    ):
        super().__init__(name, import_name, url_prefix=url_prefix, **kwargs)
        self.roles = None if roles is None else tuple(roles)

    def _endpoint(self, method: str, rule: str, options: dict) -> Callable[[View], View]:
        return endpoint(self, method, rule, **{"roles": self.roles, **options})

    def get(self, rule: str, **options) -> Callable[[View], View]:
        """A read: ``GET rule`` (see :func:`endpoint`)."""
        return self._endpoint("GET", rule, options)

    def post(self, rule: str, **options) -> Callable[[View], View]:
        """``POST rule``, idempotent by ``Idempotency-Key`` (see :func:`endpoint`)."""
        return self._endpoint("POST", rule, options)

    def put(self, rule: str, **options) -> Callable[[View], View]:
        """``PUT rule`` (see :func:`endpoint`)."""
        return self._endpoint("PUT", rule, options)

    def patch(self, rule: str, **options) -> Callable[[View], View]:
        """``PATCH rule`` (see :func:`endpoint`)."""
        return self._endpoint("PATCH", rule, options)

    def delete(self, rule: str, **options) -> Callable[[View], View]:
        """``DELETE rule`` (see :func:`endpoint`)."""
        return self._endpoint("DELETE", rule, options)


def endpoint(
    blueprint: Blueprint,
    method: str,
    rule: str,
    *,
    roles: Iterable[str] | None,
    response: type[Schema] | dict | None = None,
    status: int = 200,
    content_type: str | None = None,
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    errors: Iterable[int] = (),
    if_match: bool = False,
    doc: dict | None = None,
) -> Callable[[View], View]:
    """Register the decorated view as ``method rule`` on ``blueprint``.

    ``roles``: the staff roles allowed (``None``: the view checks its caller itself).
    ``response``: the schema of the ``status`` answer (``content_type`` when not JSON).
    ``body`` or ``query``: the schema the view's first argument is loaded with.
    ``errors``: problem answers to document besides those the plumbing implies.
    ``doc``: more of the OpenAPI entry (``security``, ``parameters``) as flask-smorest's
    ``Blueprint.doc`` takes it. A POST is idempotent (``Idempotency-Key``).
    """
    method = method.upper()
    keyed = method == "POST"
    codes = set(errors) | _implied_errors(rule, roles, body, query, keyed, if_match)
    parameters = list((doc or {}).get("parameters", ()))
    parameters += [HEADER_PARAMETER] * keyed + [IF_MATCH_PARAMETER] * if_match
    manual_doc = {**(doc or {}), **({"parameters": parameters} if parameters else {})}

    def decorator(view: View) -> View:
        # Innermost first: the order of the hand-written stacks this replaces, so the
        # caller is checked before the key is reserved, and both before the body is read.
        view = documents_errors(blueprint, *sorted(codes))(view)
        view = blueprint.response(status, response, content_type=content_type)(view)
        if query is not None:
            view = blueprint.arguments(query, location="query")(view)
        if body is not None:
            view = blueprint.arguments(body)(view)
        if manual_doc:
            view = blueprint.doc(**manual_doc)(view)
        if keyed:
            view = idempotent(view)
        if roles is not None:
            view = requires_role(*roles)(view)
        return blueprint.route(rule, methods=[method])(view)

    return decorator


def _implied_errors(
    rule: str,
    roles: Iterable[str] | None,
    body: type[Schema] | None,
    query: type[Schema] | None,
    keyed: bool,
    if_match: bool,
) -> set[int]:
    codes = set()
    if roles is not None:
        codes |= {401, 403}
    if "<" in rule:
        codes.add(404)
    if body is not None:
        codes |= {400, 422}
    if query is not None:
        codes.add(422)
        if isinstance(query().declared_fields.get("cursor"), Cursor):
            codes.add(400)
    if keyed:
        codes |= {409, 422}
    if if_match:
        codes.add(412)
    return codes
