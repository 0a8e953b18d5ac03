"""A pseudo-locale (en-XA: every message of the catalogs wrapped in ⟦ ⟧) finds the words
of the client's pages and emails that skip the catalogs: a client whose locale is en-XA
must see no word outside the markers but their own data."""

from __future__ import annotations

import gettext
import re
import uuid
from datetime import timedelta

import pytest

from services.notifications.replies.crisis import platform_crisis_texts
from services.notifications.wording import locales
from tests.support.client_links import links

OPEN, CLOSE = "\u27e6", "\u27e7"
NAME, COACH, ORGANISATION = "Jo", "Casey Coach", "Harbour Recovery Services"
HELP_CONTACT = "02 9999 0000"
STEP = "Morning walk"


class _Wrapping(gettext.NullTranslations):
    def gettext(self, message):
        return f"{OPEN}{message}{CLOSE}"

    def ngettext(self, singular, plural, n):
        return f"{OPEN}{singular if n == 1 else plural}{CLOSE}"


@pytest.fixture
def pseudo_locale():
    locales.install("en_XA", _Wrapping())
    yield "en-XA"
    locales._INSTALLED.pop("en_XA")
    locales.translations.cache_clear()


def _outside(html: str, data: list[str]) -> str:
    """The words a reader sees outside the markers, the client's data aside."""
    text = re.sub(r"<head>.*?</head>", " ", html, flags=re.S)
    text = re.sub(r'<a href="tel:[^"]*">([^<]*)</a>', r"\1", text)  # tappable numbers
    text = re.sub(r"<[^>]+>|https?://[^\s\u27e7\"]+|&#?\w+;", " ", text)
    text = re.sub(f"{OPEN}.*?{CLOSE}", " ", text, flags=re.S)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    # Dates and numbers are Babel's (en_XA has no CLDR data: English's) and data.
    return re.sub(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d (?:[A-Z][a-z]{2})\b", " ", text)


def test_every_word_of_the_page_and_the_emails_goes_through_the_catalogs(
    notifications, smtp, pseudo_locale
):
    n = notifications
    tenant = uuid.uuid4()
    coach = n.staff(tenant, name=COACH, organisation_name=ORGANISATION)
    assert (
        n.call(
            "PUT",
            "/v1/organisation/notification-settings",
            n.token(tenant),
            json={"help_contact": HELP_CONTACT},
        ).status_code
        == 200
    )
    client = n.onboard(
        tenant,
        coach_id=coach,
        phone=None,
        locale=pseudo_locale,
        consent={"email": True, "sms": False},
    )
    n.dispatch()
    n.schedule_step(tenant, client, title=STEP, due_in=timedelta(minutes=30))
    n.dispatch()
    assert {nudge.locale_used for nudge in n.nudges(client) if nudge.state == "sent"} == {"en_XA"}
    [welcome, reminder] = smtp.messages[-2:]
    [page] = links(welcome, "/me/")
    data = [NAME, COACH, ORGANISATION, HELP_CONTACT, STEP, platform_crisis_texts().default]
    for email in (welcome, reminder):
        for body in (email.get_body(("plain",)), email.get_body(("html",))):
            outside = _outside(body.get_content(), data)
            assert not re.search(r"[A-Za-z]{2,}", outside), outside
        assert OPEN in email["Subject"]

    posted = n.http.post(page + "/mood", data={"rating": "2", "form_id": uuid.uuid4()})
    assert posted.status_code == 303
    shown = n.http.get(posted.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en-XA">' in shown
    outside = _outside(shown, data)
    assert not re.search(r"[A-Za-z]{2,}", outside), outside

    refused = n.http.get("/me/not-a-token", headers={"Accept-Language": "en-XA"})
    assert not re.search(r"[A-Za-z]{2,}", _outside(refused.get_data(as_text=True), data))
