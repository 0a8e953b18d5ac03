"""A client's safety plan (Stanley-Brown's six sections): written with their coach through
the API, every version kept, ``If-Match`` honoured; read and confirmed on the client's
own page, where they edit their coping steps; sent by SMS when they text PLAN, the crisis
line first, at any hour; offered in the crisis text only when there is one; never logged
and erased with the client."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from werkzeug import Response

from services.notifications.client_web.links import page_token
from services.notifications.safety_plans.sections import (
    MAX_ITEM_LENGTH,
    MAX_ITEMS,
    SECTIONS,
    plan_texts,
)
from services.notifications.wording.segments import sms_segments
from tests.support.database import text_values

INBOUND = "/v1/webhooks/sms/inbound"
SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
NUMBER = "+61412345678"
CRISIS_LINE = "If you are in danger call 000 now, or Lifeline on 13 11 14 (24/7)."
# 03:00 on 1 July in Sydney (AEST, UTC+10).
THREE_AM_SYDNEY = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)

PLAN = {
    "warning_signs": ["Lying awake past midnight", "Skipping meals"],
    "coping_strategies": ["Walk the greyhound round the oval", "Cold shower"],
    "distractions": ["The library on Elm Street"],
    "help_contacts": [{"name": "Auntie Marguerite", "phone": "0412 000 111"}],
    "professionals": [{"name": "Dr Okonkwo", "phone": "02 9999 1234"}],
    "safe_environment": ["Leave the pills with Marguerite"],
}
# Words of the plan that appear nowhere else (for the erasure and the logs).
PLAN_WORDS = ("greyhound", "Marguerite", "Okonkwo", "Elm Street", "Lying awake", "Cold shower")


@pytest.fixture
def provider(httpserver):
    """The SMS provider's API: answers every send with a new message sid."""
    sids = iter(f"SMout{i}" for i in range(1000))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    return httpserver


def _texts(httpserver, to: str = NUMBER) -> list[str]:
    """The bodies of the SMS sent to ``to`` through the provider, in the order sent."""
    sent = []
    for request, _ in httpserver.log:
        form = parse_qs(request.get_data(as_text=True))
        if form["To"][0] == to:
            sent.append(form["Body"][0])
    return sent


def _text(n, body: str, number: str = NUMBER) -> str:
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC0123456789",
        "From": number,
        "To": "+61400000000",
        "Body": body,
    }
    reply = n.provider_post(INBOUND, form)
    assert reply.status_code == 200
    return form["MessageSid"]


def _client(n, **contact):
    tenant, coach = uuid.uuid4(), uuid.uuid4()
    n.staff(tenant, staff_id=coach)
    client = n.onboard(tenant, coach_id=coach, **({"phone": NUMBER} | contact))
    return tenant, coach, client


def _path(client) -> str:
    return f"/v1/clients/{client}/safety-plan"


def _put(n, token, client, body=PLAN, **headers):
    return n.call("PUT", _path(client), token, json=body, headers=headers or None)


# -- the API -------------------------------------------------------------------------------


def test_each_change_is_a_new_version_and_every_version_is_kept(notifications):
    n = notifications
    tenant, coach, client = _client(n)
    as_coach = n.token(tenant, "coach", coach)
    assert n.call("GET", _path(client), as_coach).status_code == 404  # none yet

    first = _put(n, as_coach, client)
    assert first.status_code == 200, first.json
    assert first.json["version"] == 1 and first.json["author"] == "staff"
    assert first.json["author_id"] == str(coach)
    assert first.json["client_acknowledged_at"] is None
    assert first.json["crisis_line"] == CRISIS_LINE
    assert {name: first.json[name] for name in SECTIONS} == PLAN | {
        "professionals": [{"name": "Dr Okonkwo", "phone": "02 9999 1234"}]
    }
    n.clock.advance(minutes=5)
    second = _put(
        n, as_coach, client, PLAN | {"warning_signs": ["Not answering the phone"]},
        **{"If-Match": first.headers["ETag"]},
    )  # fmt: skip
    assert second.status_code == 200, second.json
    assert second.json["version"] == 2 and second.headers["ETag"] != first.headers["ETag"]

    current = n.call("GET", _path(client), as_coach)
    assert current.json["version"] == 2 and current.headers["ETag"] == second.headers["ETag"]
    assert current.json["warning_signs"] == ["Not answering the phone"]
    earlier = n.call("GET", _path(client) + "?version=1", as_coach)
    assert earlier.json["version"] == 1 and earlier.json["current_version"] == 2
    assert earlier.json["warning_signs"] == PLAN["warning_signs"]
    assert n.call("GET", _path(client) + "?version=3", as_coach).status_code == 404

    versions = n.call("GET", _path(client) + "/versions?limit=1", as_coach)
    assert [v["version"] for v in versions.json["items"]] == [1]
    rest = n.call(
        "GET", _path(client) + f"/versions?cursor={versions.json['next_cursor']}", as_coach
    )
    assert [v["version"] for v in rest.json["items"]] == [2]
    assert rest.json["next_cursor"] is None
    assert rest.json["items"][0]["author"] == "staff"
    bad = n.call("GET", _path(client) + "/versions?cursor=nonsense", as_coach)
    assert bad.status_code == 400 and "cursor" in bad.json["errors"]


def test_a_write_over_a_stale_etag_is_refused_and_changes_nothing(notifications):
    n = notifications
    tenant, coach, client = _client(n)
    as_coach = n.token(tenant, "coach", coach)
    # Nothing to match yet.
    assert _put(n, as_coach, client, **{"If-Match": '"x.1"'}).status_code == 412
    first = _put(n, as_coach, client)
    _put(n, as_coach, client, PLAN | {"distractions": ["The beach"]})

    stale = _put(n, as_coach, client, PLAN | {"distractions": []}, **{"If-Match": first.headers["ETag"]})  # fmt: skip

    assert stale.status_code == 412
    assert stale.content_type == "application/problem+json"
    assert n.call("GET", _path(client), as_coach).json["distractions"] == ["The beach"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"warning_signs": ["x"] * (MAX_ITEMS + 1)}, "warning_signs"),
        ({"coping_strategies": ["x" * (MAX_ITEM_LENGTH + 1)]}, "coping_strategies"),
        ({"distractions": ["   "]}, "distractions"),
        ({"safe_environment": ["two\nlines"]}, "safe_environment"),
        ({"help_contacts": [{"phone": "0412 000 111"}]}, "help_contacts"),
        ({"professionals": [{"name": "Dr X", "phone": "call me maybe"}]}, "professionals"),
        ({"warning_signs": "not a list"}, "warning_signs"),
        ({"diagnosis": ["anything"]}, "diagnosis"),
    ],
)
def test_a_plan_out_of_bounds_is_refused_naming_the_field(notifications, body, field):
    n = notifications
    tenant, coach, client = _client(n)
    refused = _put(n, n.token(tenant, "coach", coach), client, body)
    assert refused.status_code == 422
    assert refused.content_type == "application/problem+json"
    assert field in refused.json["errors"], refused.json


def test_only_the_clients_coach_or_an_admin_of_the_organisation_sees_the_plan(notifications):
    n = notifications
    tenant, coach, client = _client(n)
    assert _put(n, n.token(tenant, "coach", coach), client).status_code == 200
    admin = n.token(tenant)
    assert n.call("GET", _path(client), admin).status_code == 200
    assert _put(n, admin, client).json["author_id"] is not None

    other_coach = n.token(tenant, "coach", uuid.uuid4())
    other_org = n.token(uuid.uuid4(), "org_admin")
    for token in (other_coach, other_org, n.token(uuid.uuid4(), "coach", coach)):
        assert n.call("GET", _path(client), token).status_code == 404
        assert n.call("GET", _path(client) + "/versions", token).status_code == 404
        assert _put(n, token, client, {"warning_signs": ["x"]}).status_code == 404
    assert n.call("GET", _path(client), admin).json["version"] == 2  # nothing written
    assert n.call("GET", _path(client)).status_code == 401


# -- by SMS --------------------------------------------------------------------------------


def test_plan_by_sms_at_3am_sends_the_sections_in_order_with_the_crisis_line_first(
    notifications_with_sms, provider
):
    n = notifications_with_sms
    n.clock.set(THREE_AM_SYDNEY - timedelta(hours=2))
    tenant, coach, client = _client(n)
    assert _put(n, n.token(tenant, "coach", coach), client).status_code == 200
    # Quiet hours all night and today's one message spent: PLAN is an answer, not a nudge.
    prefs = n.call(
        "PUT",
        f"/v1/clients/{client}/preferences",
        n.token(tenant),
        json={"quiet_hours": {"start": "21:00", "end": "08:00"}, "daily_cap": 1},
    )
    assert prefs.status_code == 200
    n.clock.set(THREE_AM_SYDNEY)
    n.dispatch()
    assert n.nudge(client, "welcome").state == "deferred"  # quiet hours hold nudges

    _text(n, "  safety   Plan ")
    n.dispatch()

    texts = _texts(provider)
    assert texts, "no plan sent"
    whole = "\n".join(texts)
    first_segment = texts[0][: 160 if sms_segments(texts[0]).segments == 1 else 153]
    assert CRISIS_LINE in first_segment
    # The six sections in order, each item under its heading.
    order = [
        "Lying awake past midnight",
        "Walk the greyhound round the oval",
        "The library on Elm Street",
        "Auntie Marguerite 0412 000 111",
        "Dr Okonkwo 02 9999 1234",
        "Leave the pills with Marguerite",
    ]
    positions = [whole.index(item) for item in order]
    assert positions == sorted(positions)
    assert whole.index(CRISIS_LINE) < positions[0]
    assert all(n_.state == "sent" for n_ in n.nudges(client, "safety_plan"))
    assert n.nudge(client, "welcome").state == "deferred"  # still waiting for the morning
    assert n.outbox_events("client.replied") == []  # a request, not a reply for plans


def test_a_long_plan_goes_in_numbered_texts_in_order(notifications_with_sms, provider):
    n = notifications_with_sms
    tenant, coach, client = _client(n)
    n.dispatch()
    long_plan = {
        name: [f"{name} step {i} " + "y" * 150 for i in range(MAX_ITEMS)]
        for name in ("warning_signs", "coping_strategies", "distractions", "safe_environment")
    }
    assert _put(n, n.token(tenant, "coach", coach), client, long_plan).status_code == 200
    sent_before = len(_texts(provider))

    _text(n, "PLAN")
    n.dispatch(rounds=10)

    texts = _texts(provider)[sent_before:]
    assert len(texts) > 1
    assert texts == plan_texts(long_plan, CRISIS_LINE)
    assert [t.split(" ", 1)[0] for t in texts] == [f"{i}/{len(texts)}" for i in range(1, len(texts) + 1)]  # fmt: skip
    assert CRISIS_LINE in texts[0][:153]
    assert all(sms_segments(t).segments <= 10 for t in texts)
    steps = re.findall(r"(\w+) step (\d)", "\n".join(texts))
    expected = [(name, str(i)) for name in long_plan for i in range(MAX_ITEMS)]
    assert steps == expected


def test_plan_without_a_plan_gets_a_kind_answer(notifications_with_sms, provider):
    n = notifications_with_sms
    _tenant, _coach, client = _client(n)
    n.dispatch()

    _text(n, "plan")
    n.dispatch()

    [answer] = _texts(provider)[-1:]
    assert answer.startswith("You don't have a safety plan with us yet.")
    assert CRISIS_LINE in answer
    assert n.nudge(client, "safety_plan_missing").state == "sent"


def test_the_crisis_text_offers_the_plan_only_to_a_client_who_has_one(
    notifications_with_sms, provider
):
    n = notifications_with_sms
    tenant, coach, client = _client(n)
    n.dispatch()
    _text(n, "I want to kill myself")
    n.dispatch()
    [without] = [t for t in _texts(provider) if CRISIS_LINE in t]
    assert "PLAN" not in without

    assert _put(n, n.token(tenant, "coach", coach), client).status_code == 200
    n.clock.advance(hours=1)
    _text(n, "I want to kill myself")
    n.dispatch()
    offered = [t for t in _texts(provider) if CRISIS_LINE in t][-1]
    assert offered.endswith("Reply PLAN for your safety plan.")


# -- health data -----------------------------------------------------------------------------


def test_erasure_leaves_no_word_of_the_plan_and_none_is_logged(
    notifications_with_sms, provider, caplog
):
    caplog.set_level(logging.DEBUG)
    n = notifications_with_sms
    tenant, coach, client = _client(n)
    as_coach = n.token(tenant, "coach", coach)
    first = _put(n, as_coach, client)
    _put(n, as_coach, client, PLAN | {"distractions": ["Elm Street pool"]})
    _text(n, "PLAN")
    n.dispatch()
    assert any("greyhound" in t for t in _texts(provider))
    assert any("greyhound" in text for _, _, text in text_values(n, "notifications"))

    n.event("client.erased", tenant, {"client_id": client})

    left = [(table, column) for table, column, text in text_values(n, "notifications")
            if any(word in text for word in PLAN_WORDS)]  # fmt: skip
    assert left == []
    admin = n.token(tenant)
    assert n.call("GET", _path(client), admin).status_code == 404
    assert _put(n, admin, client, **{"If-Match": first.headers["ETag"]}).status_code == 404
    ours = [r for r in caplog.records if r.name.startswith(("services", "shared"))]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert not [word for word in PLAN_WORDS if word in logged]


# -- the client's page -------------------------------------------------------------------------


def _page(n, tenant, client, email="jo@example.org") -> str:
    return "/me/" + page_token(n.settings.jwt_secret, n.clock(), tenant, client, email=email)


def test_the_client_reads_edits_their_coping_steps_and_confirms_the_plan(notifications):
    n = notifications
    tenant, coach, client = _client(n, email="jo@example.org")
    as_coach = n.token(tenant, "coach", coach)
    _put(n, as_coach, client)
    page = _page(n, tenant, client)

    shown = n.http.get(page + "/safety-plan")
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "<script" not in html and "@media print" in html
    assert html.index("13 11 14") < html.index("Lying awake") < html.index("Okonkwo")
    assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    assert "/safety-plan" in n.http.get(page).get_data(as_text=True)  # linked from the page

    saved = n.http.post(
        page + "/safety-plan/coping",
        data={"version": "1", "coping_strategies": "Play guitar\n\n  Call the dog walker  \n"},
    )
    assert saved.status_code == 303
    plan = n.call("GET", _path(client), as_coach).json
    assert plan["coping_strategies"] == ["Play guitar", "Call the dog walker"]
    assert (plan["version"], plan["author"], plan["author_id"]) == (2, "client", None)
    assert plan["warning_signs"] == PLAN["warning_signs"]

    stale = n.http.post(page + "/safety-plan/coping", data={"version": "1", "coping_strategies": "x"})  # fmt: skip
    assert stale.status_code == 303 and "noted=changed" in stale.headers["Location"]
    too_many = "\n".join(f"step {i}" for i in range(MAX_ITEMS + 1))
    refused = n.http.post(page + "/safety-plan/coping", data={"version": "2", "coping_strategies": too_many})  # fmt: skip
    assert refused.status_code == 422
    assert n.call("GET", _path(client), as_coach).json["version"] == 2

    confirmed = n.http.post(page + "/safety-plan/confirm", data={"version": "2"})
    assert confirmed.status_code == 303
    assert n.call("GET", _path(client), as_coach).json["client_acknowledged_at"] is not None
    # A new version by the coach asks the client to confirm again.
    _put(n, as_coach, client)
    assert n.call("GET", _path(client), as_coach).json["client_acknowledged_at"] is None


def test_a_page_link_that_opens_nothing_shows_nothing_of_the_plan(notifications):
    n = notifications
    tenant, coach, client = _client(n, email="jo@example.org")
    _put(n, n.token(tenant, "coach", coach), client)
    page = _page(n, tenant, client)
    assert n.http.get("/me/not-a-token/safety-plan").status_code == 400
    readdressed = _page(n, tenant, client, email="someone.else@example.org")
    assert n.http.get(readdressed + "/safety-plan").status_code == 410

    n.event("client.erased", tenant, {"client_id": client})

    gone = n.http.get(page + "/safety-plan")
    assert gone.status_code in (404, 410)
    assert "Okonkwo" not in gone.get_data(as_text=True)
    posted = n.http.post(page + "/safety-plan/confirm", data={"version": "1"})
    assert posted.status_code in (404, 410)
