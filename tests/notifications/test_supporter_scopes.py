"""``PATCH /v1/clients/{id}/supporters/{supporter_id}``: a supporter's scopes changed by
the client's coach. Adding ``crisis`` needs its own consent, recorded with who, when and
how (a 422 naming ``crisis_consent`` without it); removing a scope needs none and
cancels what was still to go under it. Each change is one ``supporter.scopes_changed``;
the disclosure log shows the crisis consent a crisis message went under."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.notifications.test_supporters import (
    CLIENT_PHONE,
    PROMPT_AT,
    SUPPORTER_PHONE,
    Setting,
    _confirmed,
    _disclosures,
    _text,
    _texts,
    provider,  # noqa: F401  (the fixture)
)
from tests.support import builders


def _patch(s: Setting, supporter_id, body, token=None):
    return s.n.call(
        "PATCH",
        f"/v1/clients/{s.client}/supporters/{supporter_id}",
        token or s.token,
        json=body,
    )


def test_adding_crisis_without_its_own_consent_is_a_422_and_changes_nothing(
    notifications_with_sms,
    provider,  # noqa: F811
):
    s = Setting(notifications_with_sms)
    supporter = _confirmed(s, provider)
    refused = _patch(s, supporter["id"], {"scopes": ["missed_checkins", "crisis"]})
    assert refused.status_code == 422
    assert refused.content_type == "application/problem+json"
    assert "crisis_consent" in refused.json["errors"]
    [unchanged] = s.supporters()
    assert unchanged["scopes"] == ["missed_checkins"] and unchanged["crisis_consent"] is None
    assert s.n.published_data("supporter.scopes_changed") == []
    # A crisis now tells them nothing.
    s.n.clock.set(datetime(2026, 7, 6, 17, 0, tzinfo=UTC))
    before = len(_texts(provider, SUPPORTER_PHONE))
    _text(s.n, "I want to kill myself", CLIENT_PHONE)
    s.n.dispatch()
    assert len(_texts(provider, SUPPORTER_PHONE)) == before


def test_adding_crisis_with_its_consent_records_who_when_and_how(
    notifications_with_sms,
    provider,  # noqa: F811
):
    s = Setting(notifications_with_sms)
    supporter = _confirmed(s, provider)
    s.n.clock.advance(minutes=3)
    changed = _patch(
        s,
        supporter["id"],
        {"scopes": ["missed_checkins", "crisis"], "crisis_consent": {"method": "form"}},
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["scopes"] == ["missed_checkins", "crisis"]
    consent = changed.json["crisis_consent"]
    assert consent["method"] == "form" and consent["recorded_by"] == str(s.coach)
    assert datetime.fromisoformat(consent["at"]) == s.n.clock()
    [event] = s.n.published_data("supporter.scopes_changed")
    assert event == {
        "supporter_id": supporter["id"],
        "client_id": str(s.client),
        "scopes": ["missed_checkins", "crisis"],
        "at": event["at"],
    }
    same = _patch(s, supporter["id"], {"scopes": ["crisis", "missed_checkins"]})
    assert same.status_code == 200  # nothing changed: no event, no consent needed
    assert len(s.n.published_data("supporter.scopes_changed")) == 1

    s.n.clock.set(datetime(2026, 7, 6, 17, 0, tzinfo=UTC))  # 03:00 in Sydney
    _text(s.n, "I want to kill myself", CLIENT_PHONE)
    s.n.dispatch()
    assert _texts(provider, SUPPORTER_PHONE)[-1].startswith("Jo may need support right now.")
    [logged] = [d for d in _disclosures(s) if d["kind"] == "supporter_crisis"]
    assert logged["consent"]["crisis"]["method"] == "form"


def test_removing_a_scope_needs_no_consent_and_cancels_what_was_to_go(
    notifications_with_sms,
    provider,  # noqa: F811
):
    s = Setting(notifications_with_sms)
    supporter = _confirmed(s, provider, scopes=["missed_checkins", "celebrations"])
    texts_before = len(_texts(provider, SUPPORTER_PHONE))
    s.prompts()
    s.at(PROMPT_AT)  # the alert is scheduled for two hours on
    changed = _patch(s, supporter["id"], {"scopes": ["celebrations"]})
    assert changed.status_code == 200, changed.json
    assert changed.json["scopes"] == ["celebrations"]
    s.at(PROMPT_AT + timedelta(hours=3))
    assert _texts(provider, SUPPORTER_PHONE)[texts_before:] == []
    assert [d["kind"] for d in _disclosures(s)].count("supporter_alert") == 0
    assert len(s.n.published_data("supporter.scopes_changed")) == 1


def test_removing_crisis_drops_its_consent_and_adding_it_again_needs_a_new_one(
    notifications_with_sms,
    provider,  # noqa: F811
):
    s = Setting(notifications_with_sms)
    supporter = _confirmed(
        s, provider, scopes=["missed_checkins", "crisis"], crisis_consent={"method": "verbal"}
    )
    dropped = _patch(s, supporter["id"], {"scopes": ["missed_checkins"]})
    assert dropped.status_code == 200 and dropped.json["crisis_consent"] is None
    again = _patch(s, supporter["id"], {"scopes": ["missed_checkins", "crisis"]})
    assert again.status_code == 422 and "crisis_consent" in again.json["errors"]


def test_bad_input_a_removed_supporter_and_other_callers(notifications_with_sms, provider):  # noqa: F811
    s = Setting(notifications_with_sms)
    supporter = _confirmed(s, provider)
    for body, field in (
        ({"scopes": []}, "scopes"),
        ({"scopes": ["everything"]}, "scopes"),
        ({}, "scopes"),
        ({"scopes": ["crisis"], "crisis_consent": {"method": "telepathy"}}, "crisis_consent"),
    ):
        bad = _patch(s, supporter["id"], body)
        assert bad.status_code == 422, body
        assert field in bad.json["errors"]
    other_coach = s.n.token(s.tenant, "coach", s.n.staff(s.tenant))
    assert _patch(s, supporter["id"], {"scopes": ["celebrations"]}, other_coach).status_code == 404
    stranger = s.n.token(uuid.uuid4(), "org_admin")
    assert _patch(s, supporter["id"], {"scopes": ["celebrations"]}, stranger).status_code == 404
    assert _patch(s, uuid.uuid4(), {"scopes": ["celebrations"]}).status_code == 404
    gone = s.n.call("DELETE", f"/v1/clients/{s.client}/supporters/{supporter['id']}", s.token)
    assert gone.status_code == 204
    assert _patch(s, supporter["id"], {"scopes": ["celebrations"]}).status_code == 409
    assert s.n.published_data("supporter.scopes_changed") == []


def test_a_discharged_clients_supporter_gains_no_scope_but_may_lose_one(
    notifications_with_sms,
    provider,  # noqa: F811
):
    s = Setting(notifications_with_sms)
    supporter = _confirmed(s, provider, scopes=["missed_checkins", "celebrations"])
    s.n.event("client.discharged", s.tenant, builders.client_discharged(s.client, s.n.clock()))
    added = _patch(s, supporter["id"], {"scopes": ["missed_checkins", "celebrations", "crisis"], "crisis_consent": {"method": "form"}})  # fmt: skip
    assert added.status_code == 409
    dropped = _patch(s, supporter["id"], {"scopes": ["celebrations"]})
    assert dropped.status_code == 200 and dropped.json["scopes"] == ["celebrations"]
