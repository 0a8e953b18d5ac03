"""A Spanish-speaking client's journey through the whole system (RabbitMQ and PostgreSQL
when the real backend runs): the welcome, a step's reminder, a mood prompt, their page
and the weekly digest all in Spanish, no English left, each nudge recording the locale it
used; and an organisation's own Spanish template per locale."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from coaching.registry import load_settings
from shared.clock import FrozenClock

SYDNEY = "Australia/Sydney"
BASE_URL = "https://notify.harbour.example"
# Wednesday 1 July 2026, 12:00 in Sydney (AEST, UTC+10).
NOON = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
STEP = "Paseo matutino"
ORGANISATION = "Harbour Recovery Services"  # the tenant's name (tests/support/api.py)
# Words the English wording uses and the Spanish never does.
ENGLISH = re.compile(
    r"\b(?:Hi|Your|your|the|with|Reply|Thanks|Well done|Reminder|reminder|week|steps?|"
    r"goals?|check-in|feeling|today|emails?|page|Warm regards|opt out|Welcome|Done|Undo|"
    r"How are you|progress|coach is|Save|Send)\b"
)


@pytest.fixture
def settings(env, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE_URL)
    return load_settings()


@pytest.fixture
def clock(system):
    frozen = FrozenClock(NOON)
    for service in ("notifications", "plans"):
        system.runtimes[service].clock = frozen
    return frozen


def _visible(text: str, data: list[str]) -> str:
    """What a reader sees: no markup, links, or the client's own data."""
    text = re.sub(r"<head>.*?</head>|<style.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>|https?://\S+|&#?\w+;", " ", text)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def _emails_to(smtp, address: str) -> list:
    return [m for m in smtp.messages if m["To"] == address]


def _parts(message) -> list[str]:
    return [
        message["Subject"],
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    ]


def test_a_spanish_client_receives_everything_in_spanish(api, tenant, system, clock, smtp):
    coach, coach_token = api.add_staff(tenant["token"])
    client = api.onboarded_client(
        tenant["token"],
        coach["id"],
        timezone=SYDNEY,
        phone=None,
        locale="es-MX",
        consent={"email": True, "sms": False},
    )
    system.settle()
    [plan] = api.plans_of(coach_token, client["id"])
    data = [
        client["given_name"],
        client.get("preferred_name") or "",
        client["email"],
        coach["name"],
        ORGANISATION,
        STEP,
        *(goal["title"] for goal in plan["goals"]),
    ]
    capped = api.call(
        "notifications",
        "PUT",
        f"/v1/clients/{client['id']}/preferences",
        coach_token,
        json={"daily_cap": 10},
    )
    assert capped.status == 200, capped.body
    path = f"/v1/plans/{plan['id']}"
    assert api.call("plans", "PATCH", path, coach_token, json={"status": "active"}).status == 200
    step = api.call(
        "plans",
        "POST",
        f"/v1/goals/{plan['goals'][0]['id']}/actions",
        coach_token,
        json={
            "title": STEP,
            "frequency": "daily",
            "local_time": "12:30",
            "start_date": "2026-07-01",
            "reminder_lead_minutes": 30,
        },
    )
    assert step.status == 201, step.body
    prompts = {"weekdays": ["wed"], "local_time": "18:00"}
    assert api.call("plans", "PUT", f"{path}/mood-prompts", coach_token, json=prompts).status == 200
    system.settle()

    # The week: today's reminder at 12:00, the mood prompt at 18:00, then Sunday's digest.
    for moment in (NOON, NOON + timedelta(hours=6), datetime(2026, 7, 5, 7, 0, tzinfo=UTC)):
        clock.set(moment)
        system.settle()

    received = _emails_to(smtp, client["email"])
    subjects = [m["Subject"] for m in received]
    expected = {
        "welcome": next(s for s in subjects if s.startswith("Te damos la bienvenida a ")),
        "reminder": f"Recordatorio: {STEP}",
        "mood prompt": "¿Cómo te sientes hoy?",
        "digest": "Tu semana con ",
    }
    for what, subject in expected.items():
        assert any(s.startswith(subject) for s in subjects), (what, subjects)
    for message in received:
        for part in _parts(message):
            visible = _visible(part, data)
            assert not ENGLISH.search(visible), (message["Subject"], ENGLISH.search(visible))
    reminder = next(m for m in received if m["Subject"] == expected["reminder"])
    assert "Lo hice:" in reminder.get_body(("plain",)).get_content()
    assert '<html lang="es">' in reminder.get_body(("html",)).get_content()
    # Dates by Babel in Spanish and the client's timezone.
    assert "mié 01 jul, 12:30" in reminder.get_body(("plain",)).get_content()

    nudges = api.nudges_of(coach_token, client["id"])
    sent = [n for n in nudges if n["state"] == "sent"]
    assert {"welcome", "action_reminder", "mood_prompt", "weekly_digest"} <= {
        n["kind"] for n in sent
    }
    assert {n["locale_used"] for n in sent} == {"es"}

    # The client's page, from the link in any email.
    plain = reminder.get_body(("plain",)).get_content()
    [page] = re.findall(re.escape(BASE_URL) + r"(/me/[A-Za-z0-9_.\-]+)", plain)
    web = system.apps["notifications"].test_client()
    shown = web.get(page).get_data(as_text=True)
    assert '<html lang="es">' in shown and "Los pasos de esta semana" in shown
    assert not ENGLISH.search(_visible(shown, data)), ENGLISH.search(_visible(shown, data))

    # The safety plan on their page: headings, forms and notes in Spanish.
    safety_plan = {
        "warning_signs": ["Dormir mal"],
        "coping_strategies": ["Caminar con el perro"],
        "professionals": [{"name": "Dra. Ruiz", "phone": "02 9999 1234"}],
    }
    written = api.call(
        "notifications",
        "PUT",
        f"/v1/clients/{client['id']}/safety-plan",
        coach_token,
        json=safety_plan,
    )
    assert written.status == 200, written.body
    plan_data = [*data, "Dormir mal", "Caminar con el perro", "Dra. Ruiz"]
    for shown_plan in (
        web.get(page + "/safety-plan").get_data(as_text=True),
        web.get(page + "/safety-plan?noted=saved").get_data(as_text=True),
    ):
        assert '<html lang="es">' in shown_plan and "Señales de alerta" in shown_plan
        visible = _visible(shown_plan, plan_data)
        assert not ENGLISH.search(visible), ENGLISH.search(visible)

    # The unsubscribe page too.
    [unsubscribe] = re.findall(re.escape(BASE_URL) + r"(/unsubscribe/\S+)", plain)
    confirm = web.get(unsubscribe).get_data(as_text=True)
    assert "¿Dejar de recibir estos correos?" in confirm
    assert not ENGLISH.search(_visible(confirm, data))


def test_an_organisation_writes_its_own_spanish_template_beside_its_english_one(
    api, tenant, system, clock, smtp
):
    token = tenant["token"]
    path = "/v1/templates/welcome/sms"
    spanish = api.call(
        "notifications",
        "PUT",
        path + "?locale=es",
        token,
        json={"text": "¡Hola {{ name }}! Bienvenida a {{ organisation_name }}. ¿Cómo estás?"},
    )
    assert spanish.status == 200, spanish.body
    assert (spanish.body["locale"], spanish.body["source"]) == ("es", "organisation")
    english = api.call("notifications", "GET", path, token).body
    assert (english["locale"], english["source"], english["locale_used"]) == (
        "en",
        "default",
        "en",
    )
    # A locale with no template and no catalog: the platform's nearest, English.
    french = api.call("notifications", "GET", path + "?locale=fr-CA", token).body
    assert (french["source"], french["locale_used"]) == ("default", "en")
    bad = api.call("notifications", "GET", path + "?locale=xx-!!", token)
    assert bad.status == 422 and "locale" in bad.body["errors"]

    preview = api.call("notifications", "POST", path + "/preview?locale=es", token, json={})
    assert preview.status == 200, preview.body
    assert (preview.body["encoding"], preview.body["locale_used"]) == ("UCS-2", "es")
    assert preview.body["segments"] == 1
    draft = api.call(
        "notifications",
        "POST",
        "/v1/templates/mood_prompt/sms/preview?locale=es",
        token,
        json={"text": "¿Cómo te sientes hoy?"},
    ).body
    assert (draft["text"], draft["encoding"], draft["segments"]) == (
        "¿Cómo te sientes hoy?",
        "UCS-2",
        1,
    )

    # Another organisation sees none of it.
    other, other_token = api.new_tenant()
    theirs = api.call("notifications", "GET", path + "?locale=es", other_token).body
    assert theirs["source"] == "default" and "Bienvenida" not in theirs["text"]

    # The organisation's default locale decides for a client whose language it lacks.
    settings = api.call(
        "notifications",
        "PUT",
        "/v1/organisation/notification-settings",
        token,
        json={"default_locale": "es"},
    )
    assert settings.status == 200 and settings.body["default_locale"] == "es"
    coach, coach_token = api.add_staff(token)
    client = api.onboarded_client(
        token,
        coach["id"],
        timezone=SYDNEY,
        phone=None,
        locale="fr-CA",
        consent={"email": True, "sms": False},
    )
    system.settle()
    [welcome] = [n for n in api.nudges_of(coach_token, client["id"]) if n["kind"] == "welcome"]
    assert (welcome["state"], welcome["locale_used"]) == ("sent", "es")
    [email] = _emails_to(smtp, client["email"])
    assert email["Subject"].startswith("Te damos la bienvenida a ")


def test_intake_refuses_a_locale_babel_does_not_know(api, tenant):
    reply = api.call(
        "intake",
        "POST",
        "/v1/clients",
        tenant["token"],
        json={
            "given_name": "Lucía",
            "family_name": "Ramos",
            "email": "lucia@example.net",
            "timezone": SYDNEY,
            "locale": "xx-YY-ZZ",
            "consent": {"email": True, "sms": False},
        },
    )
    assert reply.status == 422 and "locale" in reply.body["errors"]
