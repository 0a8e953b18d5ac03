"""The client answers on the web, through the whole system: an email's "I did it" link
completes the occurrence in plans, a 1-10 link becomes a ``client`` wellbeing point, and
the client's own page, clicked in a real browser (Debian's Chromium, driven by
Playwright) against the notifications app served over HTTP, does the same."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime

import pytest
from werkzeug.serving import make_server

from coaching.registry import load_settings
from services.notifications.models import Contact
from services.notifications.nudges import schedule_nudge
from shared.clock import FrozenClock
from tests.support.browser import ARTEFACTS, chromium
from tests.support.client_links import links
from tests.support.smtp import free_port

SYDNEY = "Australia/Sydney"
# Wednesday 1 July, 12:00 in Sydney (AEST, UTC+10).
NOON = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def settings(env, monkeypatch, port):
    # The links in the emails point at the server the browser will open.
    monkeypatch.setenv("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    return load_settings()


@pytest.fixture
def clock(system):
    frozen = FrozenClock(NOON)
    system.runtimes["notifications"].clock = frozen
    system.runtimes["plans"].clock = frozen
    return frozen


@pytest.fixture
def served(system, port):
    """The notifications app on a real HTTP server, in a thread of the test process."""
    server = make_server("127.0.0.1", port, system.apps["notifications"], threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def browser():
    with chromium("clicking the client's page (Debian's)") as launched:
        yield launched


def _client_with_a_daily_step(api, tenant, system):
    """A client by email only, an active plan and a daily 12:30 step whose reminder for
    today is due now; the system settled, so the reminder email is sent."""
    coach, coach_token = api.add_staff(tenant["token"])
    client = api.onboarded_client(
        tenant["token"],
        coach["id"],
        timezone=SYDNEY,
        phone=None,
        consent={"email": True, "sms": False},
    )
    system.settle()
    [plan] = api.plans_of(coach_token, client["id"])
    preferences = f"/v1/clients/{client['id']}/preferences"
    capped = api.call("notifications", "PUT", preferences, coach_token, json={"daily_cap": 10})
    assert capped.status == 200, capped.body
    activated = api.call(
        "plans", "PATCH", f"/v1/plans/{plan['id']}", coach_token, json={"status": "active"}
    )
    assert activated.status == 200, activated.body
    step = api.call(
        "plans",
        "POST",
        f"/v1/goals/{plan['goals'][0]['id']}/actions",
        coach_token,
        json={
            "title": "Morning walk",
            "frequency": "daily",
            "local_time": "12:30",
            "start_date": "2026-07-01",
            "reminder_lead_minutes": 60,
        },
    ).body
    system.settle()
    return coach_token, client, plan, step


def _email(smtp, to: str, subject: str):
    found = [m for m in smtp.messages if m["To"] == to and m["Subject"] == subject]
    assert len(found) == 1, [(m["To"], m["Subject"]) for m in smtp.messages]
    return found[0]


def _links(message, base: str, prefix: str) -> list[str]:
    plain = message.get_body(("plain",)).get_content()
    return re.findall(re.escape(base) + "(" + prefix + r"[A-Za-z0-9_.\-]+)", plain)


def _occurrences(api, token, step) -> dict[str, str]:
    reply = api.call("plans", "GET", f"/v1/actions/{step['id']}", token)
    return {o["occurrence_key"]: o["status"] for o in reply.body["occurrences"]}


def _wellbeing(api, token, plan) -> list[tuple[int, str]]:
    progress = api.call("plans", "GET", f"/v1/plans/{plan['id']}/progress", token).body
    return [(p["wellbeing"], p["source"]) for p in progress["wellbeing"]]


def _journal(api, token, plan) -> list[tuple]:
    reply = api.call("plans", "GET", f"/v1/plans/{plan['id']}/journal", token)
    return [(e["intent"], e["channel"], e["text"], e["rating"]) for e in reply.body["items"]]


def _mood_prompt(system, tenant_id, client_id) -> None:
    """A mood prompt due now, as plans' mood-prompt schedule will ask for one."""
    runtime = system.runtimes["notifications"]
    with runtime.unit_of_work() as uow:
        contact = uow.session.get(Contact, (uuid.UUID(tenant_id), uuid.UUID(client_id)))
        schedule_nudge(uow, contact, "mood_prompt", "mood:2026-07-01", runtime.clock())
        uow.commit()
    system.settle()


def test_the_i_did_it_link_completes_the_occurrence_in_plans_once(
    api, tenant, system, clock, smtp, settings
):
    coach_token, client, plan, step = _client_with_a_daily_step(api, tenant, system)
    reminder = _email(smtp, client["email"], "Reminder: Morning walk")
    [done] = _links(reminder, settings.public_base_url, "/r/")
    web = system.apps["notifications"].test_client()

    assert web.get(done).status_code == 200  # a mail scanner's visit
    system.settle()
    assert _occurrences(api, coach_token, step)["2026-07-01T12:30"] == "scheduled"
    assert _journal(api, coach_token, plan) == []

    assert web.post(done).status_code == 200
    system.settle()
    occurrences = _occurrences(api, coach_token, step)
    assert occurrences["2026-07-01T12:30"] == "completed"
    assert occurrences["2026-07-02T12:30"] == "scheduled"

    assert "Already noted" in web.post(done).get_data(as_text=True)
    system.settle()
    assert _journal(api, coach_token, plan) == [("done", "email", None, None)]


def test_a_rating_link_in_a_mood_prompt_becomes_a_client_wellbeing_point(
    api, tenant, system, clock, smtp, settings
):
    coach_token, client, plan, _step = _client_with_a_daily_step(api, tenant, system)
    _mood_prompt(system, tenant["organisation"]["organisation"]["id"], client["id"])
    prompt = _email(smtp, client["email"], "How are you feeling today?")
    ratings = _links(prompt, settings.public_base_url, "/r/")
    assert len(ratings) == 10
    web = system.apps["notifications"].test_client()

    assert web.post(ratings[6]).status_code == 200  # 7
    assert web.post(ratings[6]).status_code == 200  # again: nothing new
    system.settle()
    assert _wellbeing(api, coach_token, plan) == [(7, "client")]
    assert _journal(api, coach_token, plan) == [("mood", "email", None, 7)]


def test_the_clients_own_page_in_a_browser_marks_a_step_done_and_saves_a_mood(
    api, tenant, system, clock, smtp, settings, served, browser
):
    coach_token, client, plan, step = _client_with_a_daily_step(api, tenant, system)
    reminder = _email(smtp, client["email"], "Reminder: Morning walk")
    [my_page] = _links(reminder, settings.public_base_url, "/me/")

    context = browser.new_context(viewport={"width": 375, "height": 740})  # a phone
    page = context.new_page()
    page.goto(served + my_page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title() == "Hi Jo"
    # This week's steps: today's with its Done button; the days to Sunday shown, not yet
    # markable.
    done_buttons = page.get_by_role("button", name=re.compile(r"^Mark Morning walk"))
    assert done_buttons.count() == 1  # Wed 1 July
    assert page.get_by_text("Coming up: you can mark it done on the day.").count() == 4
    # Every control a person fills in has a label.
    controls = page.locator("select, textarea, input:not([type=hidden])")
    assert controls.count() == 2
    for index in range(controls.count()):
        control_id = controls.nth(index).get_attribute("id")
        assert page.locator(f'label[for="{control_id}"]').count() == 1
    mood = page.get_by_label("Today, from 1 (very low) to 10 (great)")
    note = page.get_by_label("What would you like your coach to know?")
    save = page.get_by_role("button", name="Save my mood")
    box = save.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375  # no sideways scrolling

    page.get_by_role("button", name="Mark Morning walk (Wed 01 Jul, 12:30) done").click()
    page.wait_for_url(re.compile(r"noted=done$"))
    assert page.get_by_role("status").inner_text() == "Well done - that step is marked done."
    assert done_buttons.count() == 0
    assert page.get_by_role("button", name=re.compile(r"^Undo Done for Morning walk")).count() == 1

    mood.select_option("6")
    save.click()
    page.wait_for_url(re.compile(r"noted=mood$"))
    assert page.get_by_role("status").inner_text() == "Thanks, your mood is noted."
    ratings = page.get_by_role("table", name="Your ratings, last four weeks")
    assert ratings.get_by_role("row").count() == 2  # the header and today's
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTEFACTS / "client-page-375.png", full_page=True)

    note.fill("Met my sister for coffee")
    page.get_by_role("button", name="Send to my coach").click()
    page.wait_for_url(re.compile(r"noted=journal$"))
    context.close()

    system.settle()
    assert _occurrences(api, coach_token, step)["2026-07-01T12:30"] == "completed"
    assert _wellbeing(api, coach_token, plan) == [(6, "client")]
    assert sorted(_journal(api, coach_token, plan)) == [
        ("done", "web", None, None),
        ("journal", "web", "Met my sister for coffee", None),
        ("mood", "web", None, 6),
    ]


@pytest.fixture
def served_notifications(notifications, port):
    """The notifications app alone (the single-service harness) on a real HTTP server."""
    server = make_server("127.0.0.1", port, notifications.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join()


def test_a_crisis_note_on_the_page_in_a_browser_answers_at_once_with_numbers_to_tap(
    notifications, smtp, served_notifications, browser
):
    n = notifications
    tenant = uuid.uuid4()
    coach = n.staff(tenant)
    n.onboard(tenant, coach_id=coach, phone=None, consent={"email": True, "sms": False})
    n.dispatch()
    [my_page] = links(smtp.messages[-1], "/me/")

    context = browser.new_context(viewport={"width": 375, "height": 740})  # a phone
    page = context.new_page()
    page.goto(served_notifications + my_page)
    page.get_by_label("What would you like your coach to know?").fill("I want to end it all")
    page.get_by_role("button", name="Send to my coach").click()
    page.wait_for_url(re.compile(r"noted=crisis$"))

    alert = page.get_by_role("alert")
    assert alert.inner_text().count("Your coach has been told.") == 1
    lifeline = alert.get_by_role("link", name="13 11 14")
    assert lifeline.get_attribute("href") == "tel:131114"
    assert alert.get_by_role("link", name="000").get_attribute("href") == "tel:000"
    box = lifeline.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375  # on screen, to tap
    assert page.get_by_role("status").inner_text() == "Thank you for telling us."
    context.close()
