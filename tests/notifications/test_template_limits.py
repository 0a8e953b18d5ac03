"""An organisation's template can cost only so much: refused when saved or previewed, and
when one gets into the database anyway, it spoils only its own nudge's wording."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError

from services.notifications.dispatcher import composing
from services.notifications.models import Nudge
from services.notifications.wording.models import TemplateOverride
from services.notifications.wording.sandbox import RENDER_TIME_LIMIT_SECONDS
from tests.support.render_budgets import watch_render_budgets

NESTED_LOOPS = "{% set s = 'x' * 40000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}"
TEN_MEGABYTES = "{{ 'x' * 10000000 }}"
TIME_LIMIT = "template exceeds the 1 s render time limit"


@pytest.mark.parametrize(
    ("text_", "limit"),
    [
        (NESTED_LOOPS, TIME_LIMIT),
        (TEN_MEGABYTES, "template builds a value over the 64 KB size limit"),
        ("{% for i in range(2000) %}{{ 'y' * 60 }}{% endfor %}", "64 KB output limit"),
    ],
)
def test_a_template_over_a_limit_is_refused_at_save_and_preview_within_the_budget(
    notifications, monkeypatch, text_, limit
):
    n = notifications
    admin = n.token(uuid.uuid4())
    path = "/v1/templates/welcome/email"
    budgets = watch_render_budgets(monkeypatch)

    saved = n.call("PUT", path, admin, json={"subject": "Hi", "text": text_})
    previewed = n.call("POST", path + "/preview", admin, json={"text": text_})

    for reply in (saved, previewed):
        assert reply.status_code == 422 and reply.content_type == "application/problem+json"
        assert limit in reply.json["errors"]["text"][0]
        assert limit in reply.json["detail"]
    # Each request rendered the sample once, under one budget, stopped by the limit it
    # names: at most one render time limit's worth of work per request.
    assert len(budgets) == 2
    assert [budget.ran_out for budget in budgets] == [limit == TIME_LIMIT] * 2
    assert all(budget.spent() < 2 * RENDER_TIME_LIMIT_SECONDS for budget in budgets)
    assert n.call("GET", path, admin).json["source"] == "default"  # nothing half-saved


def test_an_sms_over_the_segment_limit_is_refused(notifications):
    n = notifications
    admin = n.token(uuid.uuid4())
    path = "/v1/templates/welcome/sms"
    long = n.call("PUT", path, admin, json={"text": "{{ name * 600 }}"})
    assert long.status_code == 422
    assert long.json["errors"]["text"] == ["template exceeds the 10-segment SMS limit"]
    preview = n.call("POST", path + "/preview", admin, json={"text": "{{ name * 600 }}"})
    assert preview.status_code == 422
    fits = n.call("POST", path + "/preview", admin, json={"text": "{{ name * 100 }}"})
    assert fits.status_code == 200 and fits.json["sms"]["segments"] == 2


@pytest.mark.parametrize(
    ("source", "refusal"),
    [
        ("{{ client.__class__ }}", "Attribute '__class__' is blocked by the sandbox."),
        ("{{ name.__init__.__globals__ }}", "Attribute '__globals__' is blocked by the sandbox."),
        ("{{ cycler }}", "'cycler' is not available in templates."),
        ("{{ lipsum() }}", "'lipsum' is not available in templates."),
        ("{{ self }}", "'self' is not available in templates."),
    ],
)
def test_reaching_for_what_the_sandbox_blocks_is_refused_at_save(notifications, source, refusal):
    n = notifications
    admin = n.token(uuid.uuid4())
    reply = n.call(
        "PUT", "/v1/templates/welcome/email", admin, json={"subject": "Hi", "text": source}
    )
    assert reply.status_code == 422
    assert refusal in reply.json["errors"]["text"]
    preview = n.call("POST", "/v1/templates/welcome/email/preview", admin, json={"text": source})
    assert preview.status_code == 422


def _store_directly(n, tenant, kind, channel, **parts) -> None:
    """As a template saved before these checks existed: no validation on the way in."""
    with n.runtime.unit_of_work() as uow:
        uow.session.add(TemplateOverride(tenant_id=tenant, kind=kind, channel=channel, **parts))
        uow.commit()


def _row_is_writable(engine, nudge_id) -> bool:
    """Whether another transaction can write the nudge's row now (not locked by a claim)."""
    with engine.connect() as connection:
        try:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL lock_timeout = '300ms'"))
            else:
                connection.exec_driver_sql("PRAGMA busy_timeout = 300")
            connection.execute(
                update(Nudge.__table__)
                .where(Nudge.__table__.c.id == nudge_id)
                .values(updated_at=datetime.now(UTC))
            )
            return True
        except OperationalError:
            return False
        finally:
            connection.rollback()


def test_a_stored_template_over_the_limit_sends_the_default_and_spares_the_other_tenant(
    notifications, smtp, monkeypatch
):
    n = notifications
    slow_tenant, other_tenant = uuid.uuid4(), uuid.uuid4()
    slow_text = NESTED_LOOPS + "{# " + str(uuid.uuid4()) + " #}"  # not rendered before
    _store_directly(n, slow_tenant, "welcome", "email", subject="Hi", text=slow_text)
    email_only = {"consent": {"email": True, "sms": False}}
    slow = [n.onboard(slow_tenant, email=f"slow{i}@example.net", **email_only) for i in range(3)]
    other = n.onboard(other_tenant, email="other@example.net", **email_only)

    # Rendering happens after the claim's transaction: the rows are free meanwhile.
    real_render = composing.render
    writable = []

    def render_watching_the_rows(*args, **kwargs):
        writable.extend(
            _row_is_writable(n.runtime.engine, r.id)
            for client in (*slow, other)
            for r in n.nudges(client)
        )
        return real_render(*args, **kwargs)

    monkeypatch.setattr(composing, "render", render_watching_the_rows)
    budgets = watch_render_budgets(monkeypatch)
    assert n.dispatcher.run_once() == 4  # all in one batch
    # The template's time is spent once, not once per nudge: one render ran out of its
    # budget; the other five (four defaults, the other tenant's) stayed within theirs.
    assert len(budgets) == 5
    assert sum(budget.ran_out for budget in budgets) == 1
    rows = sum(len(n.nudges(client)) for client in (*slow, other))
    assert len(writable) == 4 * rows and all(writable)  # every row, at each of 4 renders

    fell_back = (
        "default wording used: the organisation's text template exceeds the 1 s render time limit"
    )
    slow_nudges = [n.nudge(client, "welcome") for client in slow]
    other_nudge = n.nudge(other, "welcome")
    assert [(r.state, r.reason) for r in slow_nudges] == [("sent", fell_back)] * 3
    assert (other_nudge.state, other_nudge.reason) == ("sent", None)
    by_address = {m["To"]: m for m in smtp.messages}
    assert len(by_address) == 4 and "other@example.net" in by_address
    for message in by_address.values():
        assert message["Subject"].startswith("Welcome to ")
        assert "Welcome aboard." in message.get_body(("plain",)).get_content()
    assert all("Welcome aboard." in r.body for r in slow_nudges)
    sent = {
        e["data"]["client_id"]: e["data"]["reason"] for e in n.outbox_events("notification.sent")
    }
    assert sent == {**{str(client): fell_back for client in slow}, str(other): None}
    assert n.dispatch() == 0  # nothing left claimed or stuck


def test_a_message_whose_default_wording_lacks_a_variable_fails_instead_of_going_blank(
    notifications, smtp
):
    n = notifications
    tenant = uuid.uuid4()
    client = n.onboard(tenant, consent={"email": True, "sms": False})
    n.dispatch()
    n.event(
        "goal.achieved",
        tenant,
        {
            "goal_id": uuid.uuid4(),
            "plan_id": uuid.uuid4(),
            "client_id": client,
            "title": "Join a community garden group",
            "domain": "social_connection",
        },
    )
    with n.runtime.unit_of_work() as uow:  # as an event from a producer that left it out
        uow.session.execute(
            update(Nudge.__table__)
            .where(Nudge.__table__.c.kind == "goal_celebration")
            .values(variables={"goal_title": ""})
        )
        uow.commit()

    n.dispatch()

    celebration = n.nudge(client, "goal_celebration")
    assert celebration.state == "failed"
    assert celebration.reason == (
        "message could not be written: subject template fails to render: 'goal_title' is undefined"
    )
    assert len(smtp.messages) == 1  # the welcome only
    [failed] = n.outbox_events("notification.failed")
    assert failed["data"]["reason"] == celebration.reason
