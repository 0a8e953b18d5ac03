"""The Flask app factory every service builds its API with.

Gives each API the same plumbing: OpenAPI through flask-smorest with an interactive
page at ``/docs``, problem+json errors, checks on the raw input (``request_input``),
request and correlation ids, JSON access logs, ``/healthz``, ``/readyz`` and Prometheus
``/metrics``.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable

from flask import Flask, Response, g, jsonify, request, send_from_directory
from flask_smorest import Api, Blueprint
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import HTTPException

from shared import context
from shared.config import Settings
from shared.errors import DomainError
from shared.web.problems import (
    handle_domain_error,
    handle_http_exception,
    handle_unexpected,
    problem,
)
from shared.web.request_input import install_input_checks

log = logging.getLogger("access")

REQUESTS = Counter(
    "http_requests_total", "HTTP requests handled", ["service", "method", "endpoint", "status"]
)
LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["service", "method", "endpoint"]
)


class ServiceApi(Api):
    """flask-smorest's Api, answering every HTTP error as problem+json."""

    def handle_http_exception(self, error: HTTPException):
        return handle_http_exception(error)


def create_service_app(
    service: str,
    settings: Settings,
    blueprints: Iterable[Blueprint],
    readiness_checks: dict[str, Callable[[], None]],
    *,
    version: str = "1.0.0",
    description: str = "",
) -> Flask:
    app = Flask(service)
    app.config.update(
        JWT_SECRET=settings.jwt_secret,
        API_TITLE=f"{service} API",
        API_VERSION=version,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # Served from the installed swagger-ui-bundle: the docs work without internet.
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
            "security": [{"bearerAuth": []}],
        },
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    api = ServiceApi(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)

    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
    _install_request_context(app, service)
    install_input_checks(app)
    _install_operational_routes(app, readiness_checks)
    return app


def _install_request_context(app: Flask, service: str) -> None:
    @app.before_request
    def _start():
        g.started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
        g.context_tokens = (
            context.correlation_id.set(request.headers.get("X-Correlation-ID") or g.request_id),
            context.causation_id.set(None),
            context.tenant_id.set(None),
        )

    @app.after_request
    def _finish(response: Response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        REQUESTS.labels(service, request.method, endpoint, response.status_code).inc()
        LATENCY.labels(service, request.method, endpoint).observe(elapsed)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers["X-Correlation-ID"] = context.correlation_id.get() or ""
        principal = g.get("principal")
        if endpoint not in ("/healthz", "/metrics"):
            # The route's template, never the path itself (ids, tokens) nor its query.
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "route": endpoint,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                    "request_id": g.get("request_id"),
                    "tenant_id": str(principal.tenant_id) if principal else None,
                },
            )
        return response

    @app.teardown_request
    def _reset(_exc):
        tokens = g.pop("context_tokens", None)
        if tokens:
            for var, token in zip(
                (context.correlation_id, context.causation_id, context.tenant_id),
                tokens,
                strict=True,
            ):
                var.reset(token)


def _install_operational_routes(app: Flask, checks: dict[str, Callable[[], None]]) -> None:
    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        failures = {}
        for name, check in checks.items():
            try:
                check()
            except Exception as exc:  # a readiness probe reports, it never raises
                failures[name] = type(exc).__name__
        if failures:
            return problem(
                503, "Service unavailable", "Not ready: " + ", ".join(failures), errors=failures
            )
        return jsonify(status="ready", checks=sorted(checks))

    @app.get("/docs/assets/<path:filename>")
    def swagger_ui_assets(filename: str):
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    @app.get("/metrics")
    def metrics():
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
        # content_type, not mimetype: CONTENT_TYPE_LATEST carries its charset already.
        return Response(generate_latest(), content_type=CONTENT_TYPE_LATEST)
