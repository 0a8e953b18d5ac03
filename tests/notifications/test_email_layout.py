"""The client's emails as people open them: one centred column, real buttons for "I did
it" and the 1-10 ratings that fit a 375 px phone in two rows of five, each at least 44 px
high to tap, readable in a light and a dark mail app; the plain text says the same; the
welcome names the coach and where to reach the organisation. Looked at in Chromium, with
screenshots in ``test-artifacts/emails``."""

from __future__ import annotations

import uuid

import pytest

from tests.support.browser import ARTEFACTS, chromium
from tests.support.client_links import send_mood_prompt, send_reminder

HELP_CONTACT = "02 9999 0000"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
TAP = 44  # px: the smallest a thing to tap should be


@pytest.fixture
def emails(notifications, smtp):
    """A welcome, an action reminder and a mood prompt, as sent to one client."""
    n = notifications
    tenant = uuid.uuid4()
    coach = n.staff(tenant, name="Casey Coach", organisation_name="Harbour Recovery Services")
    settings = n.call(
        "PUT",
        "/v1/organisation/notification-settings",
        n.token(tenant),
        json={"help_contact": HELP_CONTACT},
    )
    assert settings.status_code == 200, settings.json
    client = n.onboard(tenant, coach_id=coach, phone=None, consent={"email": True, "sms": False})
    n.dispatch()
    [welcome] = smtp.messages
    send_reminder(n, tenant, client, title="Morning walk")
    send_mood_prompt(n, tenant, client)
    _, reminder, prompt = smtp.messages
    return {"welcome": welcome, "reminder": reminder, "prompt": prompt}


def _part(message, subtype: str) -> str:
    return message.get_body((subtype,)).get_content()


def test_the_welcome_names_the_coach_and_where_to_reach_the_organisation(emails):
    welcome = emails["welcome"]
    for part in (_part(welcome, "plain"), _part(welcome, "html")):
        assert "Your coach, Casey Coach, will be in touch soon" in part
        assert f"If you need us, reach Harbour Recovery Services at {HELP_CONTACT}." in part


def test_a_welcome_without_a_known_coach_names_none(notifications, smtp):
    n = notifications
    tenant = uuid.uuid4()
    n.onboard(tenant, coach_id=uuid.uuid4(), phone=None, consent={"email": True, "sms": False})
    n.dispatch()
    [welcome] = smtp.messages
    text = _part(welcome, "plain")
    assert "Your coach will be in touch soon" in text
    assert "Your coach," not in text


def test_the_html_and_the_text_offer_the_same_answers(emails):
    reminder, prompt = emails["reminder"], emails["prompt"]
    assert "I did it: https://" in _part(reminder, "plain")
    assert ">I did it</a>" in _part(reminder, "html")
    plain = _part(prompt, "plain")
    assert [line.split(":")[0] for line in plain.splitlines() if ": https://" in line][:10] == [
        str(r) for r in range(1, 11)
    ]
    html = _part(prompt, "html")
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "max-width:600px" in html


def _boxes(page, selector: str) -> list[dict]:
    locator = page.locator(selector)
    return [locator.nth(i).bounding_box() for i in range(locator.count())]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_emails_buttons_fit_the_screen_and_are_big_enough_to_tap(emails, viewport, scheme):
    folder = ARTEFACTS / "emails"
    folder.mkdir(parents=True, exist_ok=True)
    with chromium("looking at the client's emails (Debian's)") as browser:
        context = browser.new_context(viewport=viewport, color_scheme=scheme)
        context.route("**/*", lambda route: route.abort())  # an email loads nothing
        page = context.new_page()
        for name, message in emails.items():
            page.set_content(_part(message, "html"))
            page.screenshot(
                path=folder / f"{name}-{viewport['width']}-{scheme}.png", full_page=True
            )
            width = viewport["width"]
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            column = page.locator("body > div").bounding_box()
            assert column["width"] <= 600 and column["x"] >= 0
            if scheme == "dark":  # the mail app's own text colour, light on dark
                colour = page.evaluate("getComputedStyle(document.body).color")
                assert colour == "rgb(255, 255, 255)", colour

        page.set_content(_part(emails["prompt"], "html"))
        ratings = _boxes(page, 'a[aria-label$="out of 10"]')
        assert len(ratings) == 10
        for box in ratings:
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
            assert box["height"] >= TAP and box["width"] >= TAP
        rows = sorted({round(box["y"]) for box in ratings})
        assert len(rows) == 2  # two rows of five
        assert [round(box["y"]) for box in ratings] == [rows[0]] * 5 + [rows[1]] * 5

        page.set_content(_part(emails["reminder"], "html"))
        [done] = _boxes(page, "a:text-is('I did it')")
        assert done["height"] >= TAP and done["x"] + done["width"] <= viewport["width"]
        context.close()
