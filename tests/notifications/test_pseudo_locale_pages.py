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
    # Innermost first: a message may hold another (a heading in "{number}. {heading}:").
    inner = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
    while inner.search(text):
        text = inner.sub(" ", text)
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


# -- the safety plan and the supporters --------------------------------------------------------

INBOUND = "/v1/webhooks/sms/inbound"
SMS_PATH = "/2010-04-01/Accounts/AC0123456789/Messages.json"
CLIENT_PHONE = "+61412345678"
SUPPORTER_PHONE = "+61411222333"
SAFETY_PLAN = {
    "warning_signs": ["Lying awake past midnight"],
    "coping_strategies": ["Walk the greyhound round the oval", "Cold shower"],
    "distractions": ["The library on Elm Street"],
    "help_contacts": [{"name": "Auntie Marguerite", "phone": "0412 000 111"}],
    "professionals": [{"name": "Dr Okonkwo", "phone": "02 9999 1234"}],
    "safe_environment": [],  # a section with nothing in it says so
}
PLAN_DATA = [
    "Lying awake past midnight",
    "Walk the greyhound round the oval",
    "Cold shower",
    "The library on Elm Street",
    "Auntie Marguerite",
    "Dr Okonkwo",
    "Sam Rivers",
]
# Words the English wording of the plan and the supporters uses and the Spanish never does.
ENGLISH = re.compile(
    r"\b(?:Hi|Your|your|the|with|Reply|Thanks|Thank you|Well done|reminder|week|steps?|"
    r"goals?|check-in|feeling|today|emails?|page|Help now|help|Warning|Things|People|"
    r"Professionals|Making|Nothing|confirm|confirmed|Save|Back|print|safety|plan is|"
    r"supporters?|Add|Remove|agree|would like|Yes)\b"
)


@pytest.fixture
def provider(httpserver):
    from werkzeug import Response

    sids = iter(f"SMout{i}" for i in range(1000))
    httpserver.expect_request(SMS_PATH, method="POST").respond_with_handler(
        lambda request: Response(
            f'{{"sid": "{next(sids)}"}}', status=201, content_type="application/json"
        )
    )
    return httpserver


def _texts(httpserver, to: str) -> list[str]:
    from urllib.parse import parse_qs

    sent = []
    for request, _ in httpserver.log:
        form = parse_qs(request.get_data(as_text=True))
        if form["To"][0] == to:
            sent.append(form["Body"][0])
    return sent


def _text(n, body: str, number: str = CLIENT_PHONE) -> None:
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC0123456789",
        "From": number,
        "To": "+61400000000",
        "Body": body,
    }
    assert n.provider_post(INBOUND, form).status_code == 200


def _client_with_a_plan(n, locale: str, *, plan: dict | None = SAFETY_PLAN):
    tenant, coach = uuid.uuid4(), uuid.uuid4()
    n.staff(tenant, staff_id=coach, name=COACH, organisation_name=ORGANISATION)
    client = n.onboard(
        tenant, coach_id=coach, phone=CLIENT_PHONE, email="jo@example.org", locale=locale
    )
    n.dispatch()  # the welcome
    if plan is not None:
        put = n.call(
            "PUT", f"/v1/clients/{client}/safety-plan", n.token(tenant, "coach", coach), json=plan
        )
        assert put.status_code == 200, put.json
    return tenant, client


def _my_page(n, tenant, client) -> str:
    from services.notifications.client_web.links import page_token

    token = page_token(n.settings.jwt_secret, n.clock(), tenant, client, email="jo@example.org")
    return f"/me/{token}"


def _supporter_link(text: str) -> str:
    [link] = re.findall(r"https?://[^/\s]+(/supporters/\S+)", text)
    return link


def _no_word_outside(html: str, data: list[str]) -> None:
    outside = _outside(html, data)
    assert not re.search(r"[A-Za-z]{2,}", outside), outside


def test_the_safety_plan_page_and_the_supporters_pages_go_through_the_catalogs(
    notifications_with_sms, provider, pseudo_locale
):
    n = notifications_with_sms
    tenant, client = _client_with_a_plan(n, pseudo_locale)
    page = _my_page(n, tenant, client)
    data = [NAME, COACH, ORGANISATION, *PLAN_DATA, platform_crisis_texts().default]

    shown = n.http.get(page + "/safety-plan")
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert '<html lang="en-XA">' in html and "Lying awake" in html
    _no_word_outside(html, data)
    for noted in ("saved", "confirmed", "changed"):
        _no_word_outside(n.http.get(f"{page}/safety-plan?noted={noted}").get_data(as_text=True), data)  # fmt: skip
    refused = n.http.post(page + "/safety-plan/coping", data={"version": "x"})
    assert refused.status_code == 422
    _no_word_outside(refused.get_data(as_text=True), data + ["version"])  # the field's name

    _tenant, without = _client_with_a_plan(n, pseudo_locale, plan=None)
    empty = n.http.get(_my_page(n, _tenant, without) + "/safety-plan").get_data(as_text=True)
    assert "Lying awake" not in empty
    _no_word_outside(empty, data)

    # The supporters page: empty, then with the one the client added.
    _no_word_outside(n.http.get(page + "/supporters").get_data(as_text=True), data)
    form = {
        "form_id": str(uuid.uuid4()),
        "name": "Sam Rivers",
        "phone": SUPPORTER_PHONE,
        "scopes": ["missed_checkins"],
    }
    added = n.http.post(page + "/supporters", data=form)
    assert added.status_code == 303
    listed = n.http.get(added.headers["Location"]).get_data(as_text=True)
    assert "Sam Rivers" in listed
    _no_word_outside(listed, data)

    # The invitation the supporter gets, and the page its link opens: the client's language.
    n.dispatch()
    [invite] = _texts(provider, SUPPORTER_PHONE)
    assert OPEN in invite
    _no_word_outside(invite, data + ["Jo"])
    link = _supporter_link(invite)
    _no_word_outside(n.http.get(link).get_data(as_text=True), data)
    chose = n.http.post(link, data={"action": "confirm"})
    assert chose.status_code == 200
    _no_word_outside(chose.get_data(as_text=True), data)
    _no_word_outside(n.http.get(link).get_data(as_text=True), data)


def test_the_plan_by_sms_goes_through_the_catalogs(notifications_with_sms, provider, pseudo_locale):
    n = notifications_with_sms
    _tenant, _client = _client_with_a_plan(n, pseudo_locale)
    sent_before = len(_texts(provider, CLIENT_PHONE))
    _text(n, "PLAN")
    n.dispatch()
    texts = _texts(provider, CLIENT_PHONE)[sent_before:]
    assert texts and OPEN in texts[0]
    data = [*PLAN_DATA, platform_crisis_texts().default]
    for text in texts:
        outside = _outside(text, data)
        assert not re.search(r"[A-Za-z]{2,}", outside), outside


def test_a_spanish_client_reads_their_plan_and_supporters_with_no_english_left(
    notifications_with_sms, provider, smtp
):
    n = notifications_with_sms
    tenant, client = _client_with_a_plan(n, "es-MX")
    page = _my_page(n, tenant, client)
    data = [NAME, COACH, ORGANISATION, *PLAN_DATA]

    html = n.http.get(page + "/safety-plan").get_data(as_text=True)
    assert '<html lang="es">' in html and "Tu plan de seguridad" in html
    assert "Señales de alerta" in html and "Si necesitas ayuda ahora" in html
    visible = _outside(html, data)
    assert not ENGLISH.search(visible), ENGLISH.search(visible)

    sent_before = len(_texts(provider, CLIENT_PHONE))
    _text(n, "plan de segurídad")  # accents and case optional
    n.dispatch()
    texts = _texts(provider, CLIENT_PHONE)[sent_before:]
    assert texts and texts[0].startswith("Tu plan de seguridad. Ayuda ahora: ")
    assert "1. Señales de alerta:" in "\n".join(texts)
    for text in texts:
        visible = _outside(text, data)
        assert not ENGLISH.search(visible), (ENGLISH.search(visible), text)

    listed = n.http.get(page + "/supporters").get_data(as_text=True)
    assert "Añadir a una persona de apoyo" in listed
    assert not ENGLISH.search(_outside(listed, data)), ENGLISH.search(_outside(listed, data))
    form = {
        "form_id": str(uuid.uuid4()),
        "name": "Sam Rivers",
        "phone": SUPPORTER_PHONE,
        "scopes": ["missed_checkins"],
    }
    assert n.http.post(page + "/supporters", data=form).status_code == 303
    n.dispatch()
    [invite] = _texts(provider, SUPPORTER_PHONE)
    assert invite.startswith(
        f"A {NAME} le gustaría que fueras su persona de apoyo en {ORGANISATION}: "
    )
    assert "Responde SÍ" in invite
    link = _supporter_link(invite)
    shown = n.http.get(link).get_data(as_text=True)
    assert "¿Quieres ser una persona de apoyo?" in shown
    assert not ENGLISH.search(_outside(shown, data)), ENGLISH.search(_outside(shown, data))

    _text(n, "Sí", SUPPORTER_PHONE)  # the Spanish invitation's answer
    n.dispatch()
    thanks = _texts(provider, SUPPORTER_PHONE)[-1]
    assert thanks.startswith(f"Gracias: ahora eres una de las personas de apoyo de {NAME}.")

    # A supporter by email: the subject, the text and the sign-off in the client's language.
    email_form = form | {
        "form_id": str(uuid.uuid4()),
        "name": "Ana Gil",
        "email": "ana@example.org",
    }
    email_form.pop("phone")
    assert n.http.post(page + "/supporters", data=email_form).status_code == 303
    n.dispatch()
    [to_supporter] = [m for m in smtp.messages if m["To"] == "ana@example.org"]
    assert to_supporter["Subject"] == f"Un mensaje de {ORGANISATION}"
    for part in (to_supporter.get_body(("plain",)), to_supporter.get_body(("html",))):
        visible = _outside(part.get_content(), [*data, "Ana Gil"])
        assert not ENGLISH.search(visible), (ENGLISH.search(visible), visible)
