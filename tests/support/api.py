"""One way for tests to call the three APIs: in-process (Flask test client) or over HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict
    content_type: str


class InProcessTransport:
    def __init__(self, apps: dict):
        self.clients = {name: app.test_client() for name, app in apps.items()}

    def request(self, service, method, path, *, json=None, data=None, headers=None) -> Reply:
        kwargs = {"headers": headers or {}}
        if data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = "application/json"
        elif json is not None:
            kwargs["json"] = json
        response = self.clients[service].open(path, method=method, **kwargs)
        return Reply(
            response.status_code,
            response.get_json(silent=True),
            dict(response.headers),
            response.content_type or "",
        )


class HttpTransport:
    def __init__(self, base_urls: dict[str, str]):
        self.base_urls = base_urls
        self.session = requests.Session()

    def request(self, service, method, path, *, json=None, data=None, headers=None) -> Reply:
        response = self.session.request(
            method,
            self.base_urls[service] + path,
            json=json,
            data=data,
            headers={**({"Content-Type": "application/json"} if data else {}), **(headers or {})},
            timeout=10,
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        return Reply(
            response.status_code,
            body,
            dict(response.headers),
            response.headers.get("Content-Type", ""),
        )


def daytime_timezone(now: datetime | None = None) -> str:
    """A real IANA zone where it is now around midday.

    Journeys that run on the real clock (whole system, real processes) need a client
    whose quiet hours (21:00-08:00 local) are not in force, whatever the hour the suite
    runs at; rules tests use an injected clock instead.
    """
    hour = (now or datetime.now(UTC)).hour
    offset = 12 - hour  # -11 .. +12, all of which exist as Etc/GMT zones
    if offset == 0:
        return "UTC"
    # POSIX-style names: Etc/GMT-10 is UTC+10.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


class PlatformApi:
    """The calls a provider organisation makes, as a person would make them."""

    def __init__(self, transport, platform_token: str):
        self.transport = transport
        self.platform_token = platform_token

    def call(self, service, method, path, token=None, **kwargs) -> Reply:
        headers = kwargs.pop("headers", {}) or {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.transport.request(service, method, path, headers=headers, **kwargs)

    def create_organisation(self, name="Harbour Recovery Services") -> dict:
        reply = self.call(
            "intake",
            "POST",
            "/v1/organisations",
            json={
                "name": name,
                "default_region": "AU",
                "admin": {
                    "name": "Avery Admin",
                    "email": f"admin+{uuid.uuid4().hex[:6]}@example.org",
                },
            },
            headers={"X-Platform-Token": self.platform_token},
        )
        assert reply.status == 201, reply.body
        return reply.body

    def token_for(self, api_key: str) -> str:
        reply = self.call("intake", "POST", "/v1/auth/token", json={"api_key": api_key})
        assert reply.status == 200, reply.body
        return reply.body["access_token"]

    def new_tenant(self, name="Harbour Recovery Services") -> tuple[dict, str]:
        organisation = self.create_organisation(name)
        return organisation, self.token_for(organisation["api_key"])

    def add_staff(self, token, role="coach", **overrides) -> tuple[dict, str]:
        """A new staff member of the caller's organisation and an access token of theirs."""
        body = {
            "name": "Casey Coach",
            "email": f"coach+{uuid.uuid4().hex[:6]}@example.org",
            "role": role,
        } | overrides
        reply = self.call("intake", "POST", "/v1/staff", token, json=body)
        assert reply.status == 201, reply.body
        return reply.body["staff"], self.token_for(reply.body["api_key"])

    def refer_client(self, token, **overrides) -> dict:
        body = {
            "given_name": "Jordan",
            "family_name": "Rivers",
            "preferred_name": "Jo",
            "email": "jo.rivers@example.net",
            "phone": "0412 345 678",
            "timezone": daytime_timezone(),
            "consent": {"email": True, "sms": True},
        } | overrides
        reply = self.call("intake", "POST", "/v1/clients", token, json=body)
        assert reply.status == 201, reply.body
        return reply.body

    def assess(self, token, client_id) -> dict:
        reply = self.call(
            "intake",
            "PUT",
            f"/v1/clients/{client_id}/assessment",
            token,
            json={
                "domain_ratings": {"mental_health": 4, "social_connection": 3, "housing": 7},
                "strengths": ["loyal friend", "keen gardener"],
                "challenges": ["low mood in the mornings"],
                "aspirations": [
                    {"domain": "social_connection", "text": "Join a community garden group"},
                    {"domain": "daily_living", "text": "Keep a regular morning routine"},
                ],
            },
        )
        assert reply.status == 200, reply.body
        return reply.body

    def onboard(self, token, client_id, coach_id) -> Reply:
        return self.call(
            "intake", "POST", f"/v1/clients/{client_id}/onboard", token, json={"coach_id": coach_id}
        )

    def onboarded_client(self, token, coach_id, **overrides) -> dict:
        client = self.refer_client(token, **overrides)
        self.assess(token, client["id"])
        reply = self.onboard(token, client["id"], coach_id)
        assert reply.status == 200, reply.body
        return reply.body

    def plans_of(self, token, client_id) -> list[dict]:
        reply = self.call("plans", "GET", f"/v1/plans?client_id={client_id}", token)
        assert reply.status == 200, reply.body
        return reply.body["items"]

    def nudges_of(self, token, client_id) -> list[dict]:
        reply = self.call("notifications", "GET", f"/v1/clients/{client_id}/notifications", token)
        if reply.status == 404:
            return []
        assert reply.status == 200, reply.body
        return reply.body["items"]
