"""What the client's page and answer links say back when it matters: a crisis note gets the
crisis line at once, each sentence once, its numbers tap-to-call, and "Your coach has
been told." only when a coach or admin is alerted; a low rating (1-3) gets a kind answer
with where to get help."""

from __future__ import annotations

import uuid

import pytest

from tests.support.client_links import links, replied, send_mood_prompt

HELP_CONTACT = "02 9999 0000"
CRISIS_NOTE = "Some days I feel I can't go on."
TOLD = "Your coach has been told."
LIFELINE = '<a href="tel:131114">13 11 14</a>'
EMERGENCY = '<a href="tel:000">000</a>'
HELP = 'Harbour Recovery Services: <a href="tel:0299990000">02 9999 0000</a>'


def _organisation(n, *, with_coach: bool = True):
    tenant = uuid.uuid4()
    coach = n.staff(tenant, organisation_name="Harbour Recovery Services") if with_coach else None
    settings = n.call(
        "PUT",
        "/v1/organisation/notification-settings",
        n.token(tenant),
        json={"help_contact": HELP_CONTACT},
    )
    assert settings.status_code == 200, settings.json
    return tenant, coach


def _client(n, tenant, coach):
    client = n.onboard(tenant, coach_id=coach, phone=None, consent={"email": True, "sms": False})
    n.dispatch()
    return client


def _page(smtp) -> str:
    [page] = links(smtp.messages[-1], "/me/")
    return page


def _crisis_answer(n, page) -> str:
    posted = n.http.post(page + "/journal", data={"text": CRISIS_NOTE, "form_id": uuid.uuid4()})
    assert posted.status_code == 303, posted.get_data(as_text=True)
    assert posted.headers["Location"].endswith("noted=crisis")
    return n.http.get(posted.headers["Location"]).get_data(as_text=True)


def test_the_pages_crisis_answer_says_each_thing_once_with_numbers_to_tap(notifications, smtp):
    n = notifications
    tenant, coach = _organisation(n)
    _client(n, tenant, coach)
    shown = _crisis_answer(n, _page(smtp))

    assert 'role="alert"' in shown
    assert f"If you are in danger call {EMERGENCY} now, or Lifeline on {LIFELINE} (24/7)." in shown
    assert shown.count(TOLD) == 1
    assert shown.count("Thank you for telling us.") == 1
    assert shown.count("13 11 14") == 1
    assert "noted=crisis" not in shown  # the page's forms post as before
    [reply] = replied(n)
    assert reply["intent"] == "crisis"


def test_the_pages_crisis_answer_does_not_say_the_coach_was_told_when_no_one_was(
    notifications, smtp
):
    n = notifications
    # An organisation with no coach or admin known to notifications: nobody to alert.
    tenant, _ = _organisation(n, with_coach=False)
    _client(n, tenant, uuid.uuid4())
    shown = _crisis_answer(n, _page(smtp))

    assert EMERGENCY in shown and LIFELINE in shown
    assert TOLD not in shown


def test_the_pages_crisis_answer_links_the_organisations_own_crisis_number(notifications, smtp):
    n = notifications
    tenant, coach = _organisation(n)
    changed = n.call(
        "PUT",
        "/v1/organisation/crisis-settings",
        n.token(tenant),
        json={
            "crisis_text": "Call Harbour's crisis line on 1800 000 111 now. Your coach has been told."
        },
    )
    assert changed.status_code == 200, changed.json
    _client(n, tenant, coach)
    shown = _crisis_answer(n, _page(smtp))

    assert (
        'Call Harbour&#39;s crisis line on <a href="tel:1800000111">1800 000 111</a> now.' in shown
    )
    assert shown.count(TOLD) == 1


@pytest.mark.parametrize("rating", ["1", "3"])
def test_a_low_rating_on_the_page_gets_a_kind_answer_with_where_to_get_help(
    notifications, smtp, rating
):
    n = notifications
    tenant, coach = _organisation(n)
    _client(n, tenant, coach)
    page = _page(smtp)
    posted = n.http.post(page + "/mood", data={"rating": rating, "form_id": uuid.uuid4()})
    assert posted.headers["Location"].endswith("noted=mood_low")
    shown = n.http.get(posted.headers["Location"]).get_data(as_text=True)

    assert "We are sorry today is hard." in shown
    assert "Where to get help" in shown and HELP in shown and LIFELINE in shown
    assert [r["rating"] for r in replied(n)] == [int(rating)]


def test_a_middling_rating_on_the_page_is_simply_noted(notifications, smtp):
    n = notifications
    tenant, coach = _organisation(n)
    _client(n, tenant, coach)
    page = _page(smtp)
    posted = n.http.post(page + "/mood", data={"rating": "4", "form_id": uuid.uuid4()})
    assert posted.headers["Location"].endswith("noted=mood")
    shown = n.http.get(posted.headers["Location"]).get_data(as_text=True)
    assert "Thanks, your mood is noted." in shown and "Where to get help" not in shown


def test_a_low_rating_link_gets_a_kind_answer_with_where_to_get_help(notifications, smtp):
    n = notifications
    tenant, coach = _organisation(n)
    client = _client(n, tenant, coach)
    send_mood_prompt(n, tenant, client)
    ratings = links(smtp.messages[-1], "/r/")

    low = n.http.post(ratings[1]).get_data(as_text=True)  # 2 out of 10
    assert "Noted: 2 out of 10. We are sorry today is hard." in low
    assert HELP in low and LIFELINE in low and EMERGENCY in low
    again = n.http.post(ratings[1]).get_data(as_text=True)
    assert "Already noted" in again and HELP in again

    fine = n.http.post(ratings[7]).get_data(as_text=True)  # 8 out of 10
    assert "Noted: 8 out of 10." in fine and "Where to get help" not in fine
    assert [r["rating"] for r in replied(n)] == [2, 8]
