"""The client's signed links as the notifications tests meet them: in the emails the
harness sends, an action reminder and a mood prompt to send, what was recorded."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from services.notifications.models import Contact
from services.notifications.nudges import schedule_nudge
from services.notifications.replies.models import ReceivedReply

BASE = "https://notify.harbour.example"
LINK = re.compile(re.escape(BASE) + r"(/(?:r|me)/[A-Za-z0-9_.\-]+)")


def links(email, prefix: str) -> list[str]:
    """The paths of the links in an email's plain text starting with ``prefix``, in order;
    the same links are in its HTML part."""
    plain = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    found = [path for path in LINK.findall(plain) if path.startswith(prefix)]
    assert found and all(f'href="{BASE}{path}"' in html for path in found)
    return found


def send_reminder(n, tenant, client, title="Morning walk"):
    """An action reminder for an occurrence due in 30 minutes, sent by email now."""
    action_id, key = n.schedule_step(tenant, client, title=title)
    n.dispatch()
    assert n.nudges(client, "action_reminder")[-1].state == "sent"
    return action_id, key


def send_mood_prompt(n, tenant, client):
    """A mood prompt, due now (scheduled as plans' mood-prompt events will schedule it)."""
    with n.runtime.unit_of_work() as uow:
        contact = uow.session.get(Contact, (tenant, client))
        schedule_nudge(uow, contact, "mood_prompt", f"mood:{n.clock().isoformat()}", n.clock())
        uow.commit()
    n.dispatch()
    assert n.nudges(client, "mood_prompt")[-1].state == "sent"


def replied(n) -> list[dict]:
    """The ``client.replied`` events notifications has emitted, oldest first."""
    return [event["data"] for event in n.outbox_events("client.replied")]


def received_replies(n) -> int:
    with n.runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(ReceivedReply))


def assert_private_page(reply) -> None:
    """An HTML page kept out of frames, caches and Referer headers, with no script."""
    assert reply.content_type.startswith("text/html")
    assert "script-src" not in reply.headers["Content-Security-Policy"]
    assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert reply.headers["Cache-Control"] == "no-store"
    assert "<script" not in reply.get_data(as_text=True)
