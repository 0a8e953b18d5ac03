"""The client answers from an email: "I did it" and 1-10 links (``/r/{token}``) and the
client's own page (``/me/{token}``). A GET records nothing; a POST records once, as a
text message would (``client.replied``); a bad, old or orphaned link gets a clear page."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import pytest

from services.notifications.client_web.links import done_token, page_token
from services.notifications.client_web.unsubscribe_tokens import make_token
from services.notifications.wording.templates import render, sample_variables
from tests.support.client_links import (
    assert_private_page,
    links,
    replied,
    send_mood_prompt,
    send_reminder,
)


@pytest.fixture
def client_with_email(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    coach = n.staff(tenant, email="casey.coach@harbour.example")
    client = n.onboard(tenant, coach_id=coach, phone=None, consent={"email": True, "sms": False})
    n.dispatch()
    [welcome] = smtp.messages
    return tenant, coach, client, welcome


def test_every_client_email_links_to_the_clients_own_page(notifications, client_with_email):
    n = notifications
    _tenant, _coach, _client, welcome = client_with_email
    [page] = links(welcome, "/me/")
    reply = n.http.get(page)
    assert reply.status_code == 200
    assert "Hi Jo" in reply.get_data(as_text=True)


def test_an_i_did_it_link_shows_a_button_on_get_and_records_once_on_post(
    notifications, client_with_email, smtp
):
    n = notifications
    tenant, _coach, client, _welcome = client_with_email
    action_id, key = send_reminder(n, tenant, client)
    reminder = smtp.messages[-1]
    [done] = links(reminder, "/r/")
    assert "I did it" in reminder.get_body(("html",)).get_content()

    # A mail scanner (or the client) opens the link: a page with a button, nothing recorded.
    for _ in range(2):
        shown = n.http.get(done)
        assert shown.status_code == 200
        assert "Morning walk" in shown.get_data(as_text=True)
        assert f'<form method="post" action="{done}">' in shown.get_data(as_text=True)
        assert_private_page(shown)
    assert replied(n) == []

    pressed = n.http.post(done)
    assert pressed.status_code == 200 and "marked done" in pressed.get_data(as_text=True)
    assert_private_page(pressed)
    [reply] = replied(n)
    assert (reply["intent"], reply["channel"]) == ("done", "email")
    assert (reply["action_id"], reply["occurrence_key"]) == (str(action_id), key)
    assert reply["client_id"] == str(client)

    # Twice is harmless, and the page says so.
    again = n.http.post(done)
    assert again.status_code == 200 and "Already noted" in again.get_data(as_text=True)
    opened = n.http.get(done).get_data(as_text=True)
    assert "Already noted" in opened and "<form" not in opened
    assert len(replied(n)) == 1
    # No text message answers an email link.
    assert [x.kind for x in n.nudges(client) if x.kind.endswith("_ack")] == []


def test_the_page_and_the_link_say_done_once_the_occurrence_is_completed(
    notifications, client_with_email, smtp
):
    n = notifications
    tenant, _coach, client, _welcome = client_with_email
    action_id, key = send_reminder(n, tenant, client)
    [done] = links(smtp.messages[-1], "/r/")
    [page] = links(smtp.messages[-1], "/me/")
    assert 'aria-label="Mark Morning walk' in n.http.get(page).get_data(as_text=True)
    # The coach marked it done (plans tells notifications): nothing more to record.
    n.event(
        "action.completed",
        tenant,
        {
            "action_id": action_id,
            "goal_id": uuid.uuid4(),
            "plan_id": uuid.uuid4(),
            "client_id": client,
            "title": "Morning walk",
            "occurrence_key": key,
            "due_at": n.clock() + timedelta(minutes=30),
            "timezone": "Australia/Sydney",
        },
    )
    assert "Already noted" in n.http.post(done).get_data(as_text=True)
    assert replied(n) == []
    shown = n.http.get(page).get_data(as_text=True)
    assert "Done &#10003;" in shown and "Mark Morning walk" not in shown


def test_a_tampered_or_foreign_token_gets_a_clear_400_page_and_records_nothing(
    notifications, client_with_email, smtp
):
    n = notifications
    tenant, _coach, client, _welcome = client_with_email
    send_reminder(n, tenant, client)
    [done] = links(smtp.messages[-1], "/r/")
    [page] = links(smtp.messages[-1], "/me/")
    token = done.removeprefix("/r/")
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    unsubscribe = make_token(n.settings.jwt_secret, tenant, client)
    page_token_only = page.removeprefix("/me/")
    for path in (
        f"/r/{tampered}",
        f"/r/{unsubscribe}",  # signed, but for another purpose
        f"/r/{page_token_only}",
        f"/me/{token}",
        "/r/nonsense",
        "/me/nonsense",
    ):
        for method in ("GET", "POST"):
            suffix = "/mood" if method == "POST" and path.startswith("/me/") else ""
            refused = n.http.open(path + suffix, method=method, data={"rating": "5"})
            assert refused.status_code == 400, (path, method)
            assert "This link is not valid" in refused.get_data(as_text=True)
            assert_private_page(refused)
    assert replied(n) == []


def test_an_expired_link_gets_a_clear_410_page_and_records_nothing(
    notifications, client_with_email, smtp
):
    n = notifications
    tenant, _coach, client, _welcome = client_with_email
    send_reminder(n, tenant, client)
    [done] = links(smtp.messages[-1], "/r/")
    [page] = links(smtp.messages[-1], "/me/")
    n.clock.advance(days=7, minutes=1)
    for refused in (n.http.get(done), n.http.post(done)):
        assert refused.status_code == 410
        assert "This link has expired" in refused.get_data(as_text=True)
    assert n.http.get(page).status_code == 200  # the page's link lasts 14 days
    n.clock.advance(days=7)
    assert n.http.get(page).status_code == 410
    assert (
        n.http.post(page + "/mood", data={"rating": "5", "form_id": uuid.uuid4()}).status_code
        == 410
    )
    assert replied(n) == []


def test_a_link_of_an_erased_or_unknown_client_gets_a_404_page(
    notifications, client_with_email, smtp
):
    n = notifications
    tenant, _coach, client, _welcome = client_with_email
    send_reminder(n, tenant, client)
    [done] = links(smtp.messages[-1], "/r/")
    [page] = links(smtp.messages[-1], "/me/")
    stranger = page_token(n.settings.jwt_secret, n.clock(), tenant, uuid.uuid4(), email=None)
    other_tenant = done_token(
        n.settings.jwt_secret,
        n.clock(),
        uuid.uuid4(),
        client,
        uuid.uuid4(),
        uuid.uuid4(),
        "k",
        email=None,
    )
    for refused in (n.http.get(f"/me/{stranger}"), n.http.post(f"/r/{other_tenant}")):
        assert refused.status_code == 404
    n.event("client.erased", tenant, {"client_id": client})
    for refused in (
        n.http.get(done),
        n.http.post(done),
        n.http.get(page),
        n.http.post(page + "/journal", data={"text": "hello", "form_id": uuid.uuid4()}),
    ):
        assert refused.status_code == 404
        assert "no longer valid" in refused.get_data(as_text=True)
        assert "Jo" not in refused.get_data(as_text=True)
    assert replied(n) == []


def test_a_mood_prompt_email_carries_ten_rating_links_and_a_rating_is_recorded_once(
    notifications, client_with_email, smtp
):
    n = notifications
    tenant, _coach, client, _welcome = client_with_email
    send_mood_prompt(n, tenant, client)
    prompt = smtp.messages[-1]
    assert prompt["Subject"] == "How are you feeling today?"
    ratings = links(prompt, "/r/")
    assert len(ratings) == 10
    html = prompt.get_body(("html",)).get_content()
    assert [int(label) for label in re.findall(r'">(\d+)</a>', html)] == list(range(1, 11))

    seven = ratings[6]
    assert "Save 7 out of 10" in n.http.get(seven).get_data(as_text=True)
    assert replied(n) == []
    assert "Noted: 7 out of 10" in n.http.post(seven).get_data(as_text=True)
    assert "Already noted" in n.http.post(seven).get_data(as_text=True)
    n.http.post(ratings[7])  # changed their mind: 8 is another answer
    assert [(r["intent"], r["rating"], r["channel"]) for r in replied(n)] == [
        ("mood", 7, "email"),
        ("mood", 8, "email"),
    ]


def test_a_mood_prompt_by_sms_asks_for_a_number():
    rendered = render("mood_prompt", "sms", sample_variables("mood_prompt", "sms"))
    assert rendered.text.startswith(
        "Harbour Recovery Services: Hi Sam. How are you feeling today, from 1 to 10? "
        "Reply with a number."
    )


def test_the_clients_page_records_done_mood_and_journal_like_a_text_would(
    notifications, client_with_email, smtp
):
    n = notifications
    tenant, _coach, client, _welcome = client_with_email
    action_id, key = send_reminder(n, tenant, client, title="Call <the> housing service")
    [page] = links(smtp.messages[-1], "/me/")
    shown = n.http.get(page)
    assert_private_page(shown)
    html = shown.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Call &lt;the&gt; housing service" in html and "<the>" not in html
    for control in ('for="rating"', 'for="journal"', 'id="rating"', 'id="journal"'):
        assert control in html

    done = n.http.post(page + "/done", data={"action_id": action_id, "occurrence_key": key})
    assert done.status_code == 303 and done.headers["Location"].endswith("noted=done")
    again = n.http.post(page + "/done", data={"action_id": action_id, "occurrence_key": key})
    assert again.headers["Location"].endswith("noted=already_done")
    after = n.http.get(page + "?noted=done").get_data(as_text=True)
    assert "marked done" in after and "Done &#10003;" in after

    form_id = uuid.uuid4()
    mood = {"rating": "6", "form_id": form_id}
    assert n.http.post(page + "/mood", data=mood).headers["Location"].endswith("noted=mood")
    n.http.post(page + "/mood", data=mood)  # a double submit of the same form
    note = {"text": "Met my sister for coffee", "form_id": form_id}
    assert n.http.post(page + "/journal", data=note).headers["Location"].endswith("noted=journal")

    replies = replied(n)
    assert [(r["intent"], r["channel"]) for r in replies] == [
        ("done", "web"),
        ("mood", "web"),
        ("journal", "web"),
    ]
    assert (replies[0]["action_id"], replies[0]["occurrence_key"]) == (str(action_id), key)
    assert replies[1]["rating"] == 6
    assert replies[2]["text"] == "Met my sister for coffee"


def test_a_journal_note_naming_a_crisis_gets_the_crisis_text_and_alerts_the_coach(
    notifications, client_with_email, smtp, caplog
):
    caplog.set_level(logging.DEBUG)
    n = notifications
    tenant, coach, client, welcome = client_with_email
    [page] = links(welcome, "/me/")
    note = {"text": "Some days I feel I can't go on.", "form_id": uuid.uuid4()}
    posted = n.http.post(page + "/journal", data=note)
    assert posted.headers["Location"].endswith("noted=crisis")
    shown = n.http.get(page + "?noted=crisis").get_data(as_text=True)
    assert 'If you are in danger call <a href="tel:000">000</a> now' in shown

    [reply] = replied(n)
    assert (reply["intent"], reply["channel"], reply["text"]) == (
        "crisis",
        "web",
        "Some days I feel I can't go on.",
    )
    n.dispatch()
    crisis = n.nudge(client, "crisis_text")
    assert (crisis.state, crisis.channel) == ("sent", "email")
    alert = n.nudge(client, "crisis_alert")
    assert (alert.state, alert.staff_id) == ("sent", coach)
    sent_to = {m["To"]: m["Subject"] for m in smtp.messages[1:]}
    assert sent_to["casey.coach@harbour.example"] == "Urgent: Jo may be in crisis"
    ours = "\n".join(
        f"{r.getMessage()} {r.__dict__}"
        for r in caplog.records
        if r.name.startswith(("services", "shared"))  # not the test's own SMTP server
    )
    assert "can't go on" not in ours and "feel I can" not in ours


@pytest.mark.parametrize(
    ("path", "form", "field"),
    [
        ("/journal", {"text": "x" * 1601}, "text"),
        ("/journal", {"text": "   "}, "text"),
        ("/journal", {"text": "bell \x07 here"}, "text"),
        ("/mood", {"rating": "11"}, "rating"),
        ("/mood", {"rating": "seven"}, "rating"),
        ("/mood", {}, "rating"),
        ("/done", {"action_id": "not-a-uuid", "occurrence_key": "k"}, "action_id"),
    ],
)
def test_a_form_that_cannot_be_used_gets_a_422_page_naming_the_field(
    notifications, client_with_email, path, form, field
):
    n = notifications
    _tenant, _coach, _client, welcome = client_with_email
    [page] = links(welcome, "/me/")
    data = {"form_id": str(uuid.uuid4())} | form if path != "/done" else form
    refused = n.http.post(page + path, data=data)
    assert refused.status_code == 422
    assert f"({field})" in refused.get_data(as_text=True)
    assert_private_page(refused)
    assert replied(n) == []


def test_a_done_for_a_step_not_on_the_clients_page_gets_a_404_page(
    notifications, client_with_email
):
    n = notifications
    tenant, _coach, _client, welcome = client_with_email
    [page] = links(welcome, "/me/")
    # Another client's step, in the same organisation.
    other = n.onboard(tenant, phone=None)
    action_id, key = send_reminder(n, tenant, other)
    refused = n.http.post(page + "/done", data={"action_id": action_id, "occurrence_key": key})
    assert refused.status_code == 404
    assert "Morning walk" not in refused.get_data(as_text=True)
    assert replied(n) == []


def test_a_done_for_a_cancelled_step_gets_a_404_page(notifications, client_with_email, smtp):
    n = notifications
    tenant, _coach, client, _welcome = client_with_email
    action_id, key = send_reminder(n, tenant, client)
    [page] = links(smtp.messages[-1], "/me/")
    n.event(
        "action.cancelled",
        tenant,
        {
            "action_id": action_id,
            "goal_id": uuid.uuid4(),
            "plan_id": uuid.uuid4(),
            "client_id": client,
            "title": "Morning walk",
            "occurrence_key": key,
            "due_at": n.clock() + timedelta(minutes=30),
            "timezone": "Australia/Sydney",
        },
    )
    assert "Mark Morning walk" not in n.http.get(page).get_data(as_text=True)
    refused = n.http.post(page + "/done", data={"action_id": action_id, "occurrence_key": key})
    assert refused.status_code == 404
    assert replied(n) == []
