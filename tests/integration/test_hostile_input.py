"""Input built to break things gets a 400 or a 422 problem naming the field, never a 500,
in every service: NUL and lone surrogates (PostgreSQL stores neither), line breaks and
other control characters in one-line fields, bodies nested 10,000 deep or with a
5,000-digit number, and cursors of every malformed shape."""

from __future__ import annotations

import base64
import json
import uuid

from sqlalchemy import func, select

from tests.support.plans import onboard, token_for


def _problem(reply, *statuses):
    assert reply.status in statuses, (reply.status, reply.body)
    assert reply.content_type.startswith("application/problem+json"), reply.content_type
    return reply.body


def _count(system, service, model) -> int:
    with system.runtimes[service].session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


REFERRAL = {"given_name": "Jordan", "family_name": "Rivers", "timezone": "Australia/Sydney"}

NOT_ONE_LINE = [
    "Jor\x00dan",  # NUL: PostgreSQL refuses it in any text column
    "Jordan\r\nBcc: everyone@example.net",  # a forged email header
    "Jordan\n",
    "Jor\tdan",
    "Jordan\x1b[2J",  # a terminal escape, written into the log
    "Jordan\x7f",
    "Jordan\x85",  # C1 next line
    "Jordan\u2028Rivers",  # Unicode line separator
    "\u202enadroJ",  # right-to-left override
    "Jor\ud800dan",  # a lone surrogate: not encodable as UTF-8
]


def test_a_client_name_must_be_one_line_of_plain_text(api, tenant, system):
    from services.intake.models import Client

    for name in NOT_ONE_LINE:
        reply = api.call(
            "intake", "POST", "/v1/clients", tenant["token"], json={**REFERRAL, "given_name": name}
        )
        assert set(_problem(reply, 422)["errors"]) == {"given_name"}, (name, reply.body)
    assert _count(system, "intake", Client) == 0
    # Letters of any script, and marks such as a right-to-left mark, are names.
    for name in ("José", "Zoë-Ngọc", "محمد‏", "O'Brien"):
        reply = api.call(
            "intake", "POST", "/v1/clients", tenant["token"], json={**REFERRAL, "given_name": name}
        )
        assert reply.status == 201, (name, reply.body)


def test_every_one_line_field_of_every_service_refuses_a_line_break(api, tenant, system, settings):
    """Titles, subjects and names alike: none was declared one-line field by field."""
    token = tenant["token"]
    client = api.refer_client(token)
    tenant_id = uuid.uuid4()
    plans_token = token_for(settings, tenant_id, role="org_admin")
    onboarded = onboard(system, tenant_id, uuid.uuid4())
    plan = api.plans_of(plans_token, onboarded["client_id"])[0]
    goal_id = plan["goals"][0]["id"]

    for service, method, path, body, field, who in [
        ("intake", "PATCH", f"/v1/clients/{client['id']}", {"family_name": "R\nX"}, "family_name", token),
        ("intake", "POST", "/v1/staff", {"name": "Sam\r\nX", "email": "s@example.org", "role": "coach"}, "name", token),
        ("plans", "POST", f"/v1/plans/{plan['id']}/goals", {"title": "Walk\r\ndaily", "domain": "housing"}, "title", plans_token),
        ("plans", "PATCH", f"/v1/goals/{goal_id}", {"title": "Walk\x00"}, "title", plans_token),
        ("notifications", "PUT", "/v1/templates/welcome/email", {"subject": "Hi\r\nBcc: x@example.net", "text": "Hello"}, "subject", token),
        ("notifications", "PUT", "/v1/organisation/notification-settings", {"name": "Harbour\x00"}, "name", token),
    ]:  # fmt: skip
        reply = api.call(service, method, path, who, json=body)
        assert field in _problem(reply, 422)["errors"], (service, path, reply.body)


def test_nul_anywhere_in_an_assessment_is_refused_naming_where(api, tenant, system):
    from services.intake.models import Assessment

    client = api.refer_client(tenant["token"])
    base = {"domain_ratings": {"housing": 4}}
    cases = [
        ({"strengths": ["gardening", "cook\x00ing"]}, ["strengths", "1"]),
        ({"aspirations": [{"domain": "housing", "text": "A flat\x00"}]}, ["aspirations", "0", "text"]),
        ({"domain_ratings": {"housing\x00": 4}}, ["domain_ratings"]),
        ({"history": "Moved out\x00 in May"}, ["history"]),
        ({"risk_notes": "Low mood\ud800"}, ["risk_notes"]),
        ({"support_network": "Sister\x00", "k10": {"items": [1] * 10}}, ["support_network"]),
    ]  # fmt: skip
    for change, where in cases:
        reply = api.call(
            "intake",
            "PUT",
            f"/v1/clients/{client['id']}/assessment",
            tenant["token"],
            json={**base, **change},
        )
        errors = _problem(reply, 422)["errors"]
        for step in where:
            assert step in errors, (change, reply.body)
            errors = errors[step]
    assert _count(system, "intake", Assessment) == 0

    # Free text keeps its line breaks and tabs (CRLF read as LF).
    reply = api.call(
        "intake",
        "PUT",
        f"/v1/clients/{client['id']}/assessment",
        tenant["token"],
        json={**base, "history": "Moved out in May.\r\nWorks\tpart time."},
    )
    assert reply.status == 200, reply.body
    assert reply.body["history"] == "Moved out in May.\nWorks\tpart time."


def test_check_in_notes_keep_newlines_and_refuse_nul(system, settings):
    tenant_id = uuid.uuid4()
    token = token_for(settings, tenant_id, role="org_admin")
    client = onboard(system, tenant_id, uuid.uuid4())
    web = system.apps["plans"].test_client()
    auth = {"Authorization": f"Bearer {token}"}
    plan = web.get(f"/v1/plans?client_id={client['client_id']}", headers=auth).get_json()
    plan_id = plan["items"][0]["id"]
    checkin = web.post(
        f"/v1/plans/{plan_id}/checkins",
        headers=auth,
        json={"starts_at": "2026-09-02T00:00:00Z", "duration_minutes": 30, "mode": "phone"},
    ).get_json()

    refused = web.post(
        f"/v1/checkins/{checkin['id']}/record",
        headers=auth,
        json={"attended": True, "wellbeing": 6, "notes": "Slept badly\x00", "obstacles": "Bus"},
    )
    assert refused.status_code == 422
    assert refused.content_type.startswith("application/problem+json")
    assert set(refused.get_json()["errors"]) == {"notes"}
    assert web.get(f"/v1/checkins/{checkin['id']}", headers=auth).get_json()["status"] == (
        "scheduled"
    )

    recorded = web.post(
        f"/v1/checkins/{checkin['id']}/record",
        headers=auth,
        json={"attended": True, "wellbeing": 6, "notes": "Slept badly.\nWalked\tdaily."},
    )
    assert recorded.status_code == 200, recorded.get_json()
    assert recorded.get_json()["notes"] == "Slept badly.\nWalked\tdaily."


def test_nul_in_a_query_parameter_a_header_or_a_form_is_refused_naming_it(api, tenant, settings):
    reply = api.call("intake", "GET", "/v1/clients?updated_since=2026-01-01%00", tenant["token"])
    assert "updated_since" in _problem(reply, 422)["errors"]
    reply = api.call("plans", "GET", "/v1/plans?client_id=%00", tenant["token"])
    assert "client_id" in _problem(reply, 422)["errors"]

    reply = api.call(
        "intake", "POST", "/v1/clients", tenant["token"], json=REFERRAL,
        headers={"Idempotency-Key": "referral\x00-1"},
    )  # fmt: skip
    assert "Idempotency-Key" in _problem(reply, 422)["errors"]

    web = api.transport.clients["notifications"]
    reply = web.post("/v1/webhooks/sms/inbound", data={"From": "+61400\x00", "Body": "STOP"})
    assert reply.status_code == 422
    assert "From" in reply.get_json()["errors"]


def _cursor(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MALFORMED_CURSORS = [
    _cursor(["2026-01-01T00:00:00", str(uuid.uuid4())]),  # a naive timestamp
    _cursor(["0001-01-01T00:00:00+14:00", str(uuid.uuid4())]),  # before year 1 in UTC
    _cursor(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
    _cursor({"created_at": "2026-01-01T00:00:00+00:00", "id": str(uuid.uuid4())}),
    _cursor(["2026-01-01T00:00:00+00:00", str(uuid.uuid4()), "extra"]),
    _cursor([20260101, 42]),
    _cursor("2026-01-01"),
    _cursor(None),
    _cursor(b"\xff\xfe not JSON"),
    _cursor(b"[" * 60 + b"]" * 60),
    "nonsense!",
    "é",
    "A" * 5000,
]


def test_a_malformed_cursor_is_a_400_naming_cursor_on_every_list(api, tenant, system):
    token = tenant["token"]
    client = api.onboarded_client(token, tenant["staff_id"])
    system.settle()
    plan = api.plans_of(token, client["id"])[0]
    lists = [
        ("intake", "/v1/clients?"),
        ("intake", "/v1/staff?"),
        ("intake", f"/v1/clients/{client['id']}/audit?"),
        ("plans", f"/v1/plans?client_id={client['id']}&"),
        ("plans", f"/v1/plans/{plan['id']}/history?"),
        ("notifications", f"/v1/clients/{client['id']}/notifications?"),
    ]
    for service, path in lists:
        assert api.call(service, "GET", path + "limit=1", token).status == 200, path
        for cursor in MALFORMED_CURSORS:
            reply = api.call(service, "GET", f"{path}cursor={cursor}", token)
            assert set(_problem(reply, 400)["errors"]) == {"cursor"}, (path, cursor, reply.body)


DEEP_LIST = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
JUST_TOO_DEEP = b'{"given_name":' + b"[" * 40 + b"]" * 40 + b"}"
LONG_NUMBER = b'{"given_name": "Jo", "daily_cap": ' + b"7" * 5_000 + b"}"
NOT_A_NUMBER = b'{"daily_cap": NaN, "progress": Infinity}'


def test_bodies_built_to_exhaust_the_parser_are_a_400_in_every_service(api, tenant, system):
    token = tenant["token"]
    client = api.onboarded_client(token, tenant["staff_id"])
    system.settle()
    plan = api.plans_of(token, client["id"])[0]
    writes = [
        ("intake", "POST", "/v1/clients"),
        ("intake", "PUT", f"/v1/clients/{client['id']}/assessment"),
        ("plans", "POST", f"/v1/plans/{plan['id']}/goals"),
        ("notifications", "PUT", f"/v1/clients/{client['id']}/preferences"),
    ]
    for service, method, path in writes:
        for body in (DEEP_LIST, DEEP_OBJECT, JUST_TOO_DEEP, LONG_NUMBER, NOT_A_NUMBER):
            reply = api.call(service, method, path, token, data=body)
            problem = _problem(reply, 400)
            assert problem["status"] == 400 and problem["detail"], (path, body[:40])
