"""Templates with overrides, preview and checks; the role matrix; tenant isolation."""

from __future__ import annotations

import uuid

import pytest

from services.notifications.wording.kinds import KINDS
from services.notifications.wording.templates import sms_segments


def test_template_overrides_are_checked_previewed_and_used(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    admin = n.token(tenant)
    path = "/v1/templates/welcome/email"

    default = n.call("GET", path, admin)
    assert default.status_code == 200
    assert default.json["source"] == "default" and "unsubscribe_url" in default.json["variables"]

    bad_variable = n.call("PUT", path, admin, json={"subject": "Hi {{ nme }}", "text": "x"})
    assert bad_variable.status_code == 422
    assert "nme" in bad_variable.json["errors"]["subject"][0]
    bad_syntax = n.call("PUT", path, admin, json={"subject": "Hi", "text": "Hello {{ name "})
    assert bad_syntax.status_code == 422 and "Syntax error" in bad_syntax.json["errors"]["text"][0]
    escape_attempt = n.call(
        "PUT", path, admin, json={"subject": "Hi", "text": "{{ name.__class__.__mro__ }}"}
    )
    preview_escape = n.call(
        "POST",
        path + "/preview",
        admin,
        json={"text": "{{ name.__class__.__mro__[1].__subclasses__() }}"},
    )
    # It parses, but the sandbox would refuse it when sending: refused now, not later.
    assert escape_attempt.status_code == 422
    assert "'__class__' is blocked" in escape_attempt.json["errors"]["text"][0]
    assert preview_escape.status_code == 422

    saved = n.call(
        "PUT",
        path,
        admin,
        json={
            "subject": "Kia ora {{ name }}",
            "text": "Welcome to {{ organisation_name }}.\nStop: {{ unsubscribe_url }}",
            "html": "<p>Welcome {{ name }}</p>",
        },
    )
    assert saved.status_code == 200 and saved.json["source"] == "organisation"
    assert n.call("GET", path, admin).json["subject"] == "Kia ora {{ name }}"

    preview = n.call("POST", path + "/preview", admin, headers={"Idempotency-Key": "p-1"})
    assert preview.status_code == 200
    assert preview.json["subject"] == "Kia ora Sam"
    # The organisation's fragment goes in a document that declares language and charset.
    assert "<p>Welcome Sam</p></div></body>" in preview.json["html"]
    assert preview.json["html"].startswith('<!DOCTYPE html>\n<html lang="en">')
    assert (
        '<html lang="en">' in preview.json["html"]
        and '<meta charset="utf-8">' in preview.json["html"]
    )
    assert preview.json["sms"] is None

    client = n.onboard(tenant, given_name="<Aroha>", preferred_name=None)
    n.dispatch()
    [email] = smtp.messages
    assert email["Subject"] == "Kia ora <Aroha>"
    assert "<p>Welcome &lt;Aroha&gt;</p></div></body>" in email.get_body(("html",)).get_content()
    assert n.nudge(client, "welcome").state == "sent"

    # Another organisation still has the default.
    other = n.token(uuid.uuid4())
    assert n.call("GET", path, other).json["source"] == "default"


def test_sms_preview_reports_segments(notifications):
    n = notifications
    admin = n.token(uuid.uuid4())
    path = "/v1/templates/action_reminder/sms/preview"
    plain = n.call("POST", path, admin, json={"text": "Hi {{ name }}: {{ action_title }}"})
    assert plain.json["sms"] == {"encoding": "GSM-7", "units": 36, "segments": 1}
    long_unicode = n.call("POST", path, admin, json={"text": "Kia ora {{ name }} 🌿 " + "x" * 70})
    assert long_unicode.json["sms"]["encoding"] == "UCS-2"
    assert long_unicode.json["sms"]["segments"] == 2
    assert (
        n.call(
            "PUT", "/v1/templates/welcome/sms", admin, json={"text": "x", "subject": "y"}
        ).status_code
        == 422
    )
    assert sms_segments("€" * 80).units == 160 and sms_segments("a" * 307).segments == 3


def test_every_kind_has_a_default_template_on_each_of_its_channels(notifications):
    n = notifications
    admin = n.token(uuid.uuid4())
    for kind, spec in KINDS.items():
        for channel in spec.channels:
            reply = n.call("POST", f"/v1/templates/{kind}/{channel}/preview", admin)
            if spec.fixed:  # what supporters are told is no organisation's to word
                assert reply.status_code == 404, (kind, channel)
                continue
            assert reply.status_code == 200, (kind, channel, reply.json)
            assert reply.json["text"]
            if channel == "email":
                assert reply.json["subject"] and reply.json["html"]
    assert n.call("GET", "/v1/templates/risk_alert/sms", admin).status_code == 404
    assert n.call("GET", "/v1/templates/nonsense/email", admin).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "coach_status"),
    [
        ("GET", "/v1/clients/{client}/notifications", None, 200),
        ("GET", "/v1/clients/{client}/preferences", None, 200),
        ("PUT", "/v1/clients/{client}/preferences", {"daily_cap": 2}, 200),
        ("GET", "/v1/templates/welcome/email", None, 403),
        ("PUT", "/v1/templates/welcome/sms", {"text": "Hi {{ name }}"}, 403),
        ("POST", "/v1/templates/welcome/sms/preview", {}, 403),
        ("GET", "/v1/organisation/notification-settings", None, 403),
        ("PUT", "/v1/organisation/notification-settings", {"name": "H"}, 403),
    ],
)
def test_role_matrix_and_tenant_isolation(notifications, method, path, body, coach_status):
    n = notifications
    tenant, coach = uuid.uuid4(), uuid.uuid4()
    client = n.onboard(tenant, coach)
    path = path.format(client=client)
    kwargs = {"json": body} if body is not None else {}
    about_a_client = "/clients/" in path

    assert n.call(method, path, None, **kwargs).status_code == 401
    assert n.call(method, path, "not-a-jwt", **kwargs).status_code == 401
    assert (
        n.call(method, path, n.token(tenant, "coach", coach), **kwargs).status_code == coach_status
    )
    other_coach = n.call(method, path, n.token(tenant, "coach"), **kwargs)
    # Another coach's client does not exist for a coach, as in intake and plans.
    assert other_coach.status_code == (404 if about_a_client else 403)
    assert n.call(method, path, n.token(tenant, "org_admin"), **kwargs).status_code == 200
    other = n.call(method, path, n.token(uuid.uuid4(), "org_admin"), **kwargs)
    other_tenant_coach = n.call(method, path, n.token(uuid.uuid4(), "coach", coach), **kwargs)
    if about_a_client:
        assert other.status_code == 404  # another organisation's client does not exist
        assert other_tenant_coach.status_code == 404
    else:
        assert other.status_code == 200


def test_preferences_validate_their_fields(notifications):
    n = notifications
    tenant = uuid.uuid4()
    client = n.refer(tenant)
    admin = n.token(tenant)
    path = f"/v1/clients/{client}/preferences"
    for body in (
        {"quiet_hours": {"start": "25:00", "end": "08:00"}},
        {"daily_cap": 0},
        {"preferred_channel": "pigeon"},
        {"paused_until": "2026-08-01T00:00:00"},
    ):
        reply = n.call("PUT", path, admin, json=body)
        assert reply.status_code == 422, body
        assert reply.content_type == "application/problem+json"
    current = n.call("GET", path, admin).json
    assert current["quiet_hours"] == {"start": "21:00", "end": "08:00"}
    assert (current["daily_cap"], current["preferred_channel"]) == (3, "email")


def test_the_notifications_list_says_why_a_nudge_waits_in_words(notifications):
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant, consent={"email": False, "sms": False})
    n.dispatch()
    listed = n.call("GET", f"/v1/clients/{client}/notifications", n.token(tenant)).json
    [welcome] = [item for item in listed["items"] if item["kind"] == "welcome"]
    assert (welcome["state"], welcome["reason"]) == ("suppressed", "no_consent")
    assert welcome["reason_text"] == (
        "not sent: the client has not consented to any channel it could use"
    )
