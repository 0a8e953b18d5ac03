"""The client's safety plan on their phone, clicked in a real browser (Debian's Chromium,
driven by Playwright) against the notifications app served over HTTP: they read it, the
crisis line first, change their own coping steps, confirm it, and can print it (the
forms are not printed)."""

from __future__ import annotations

import threading
import uuid

import pytest
from werkzeug.serving import make_server

from services.notifications.client_web.links import page_token
from tests.support.browser import ARTEFACTS, chromium
from tests.support.smtp import free_port

PHONE = {"width": 375, "height": 740}
PLAN = {
    "warning_signs": ["Lying awake past midnight"],
    "coping_strategies": ["Walk the greyhound"],
    "help_contacts": [{"name": "Auntie Marguerite", "phone": "0412 000 111"}],
    "professionals": [{"name": "Dr Okonkwo", "phone": "02 9999 1234"}],
}


@pytest.fixture
def served(notifications):
    """The harness's notifications app on a real HTTP server, in a thread."""
    port = free_port()
    server = make_server("127.0.0.1", port, notifications.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join()


def test_the_client_edits_their_coping_steps_and_confirms_the_plan_in_chromium(
    notifications, served
):
    n = notifications
    tenant, coach = uuid.uuid4(), uuid.uuid4()
    client = n.onboard(tenant, coach_id=coach, email="jo@example.org")
    as_coach = n.token(tenant, "coach", coach)
    path = f"/v1/clients/{client}/safety-plan"
    assert n.call("PUT", path, as_coach, json=PLAN).status_code == 200
    token = page_token(n.settings.jwt_secret, n.clock(), tenant, client, email="jo@example.org")

    with chromium("clicking the client's safety plan (Debian's)") as browser:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.goto(f"{served}/me/{token}")
        page.get_by_role("link", name="My safety plan").click()
        assert page.title() == "Your safety plan"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator("script").count() == 0
        crisis = page.locator(".urgent").inner_text()
        assert "13 11 14" in crisis
        professionals = page.locator("#professionals li").all_inner_texts()
        assert "13 11 14" in professionals[0] and "Dr Okonkwo" in professionals[1]

        steps = page.get_by_label("One step a line")
        assert steps.input_value() == "Walk the greyhound"
        steps.fill("Walk the greyhound\nPlay guitar for ten minutes")
        page.get_by_role("button", name="Save my steps").click()

        assert page.get_by_role("status").inner_text().startswith("Your steps are saved.")
        assert page.locator("#coping_strategies li").all_inner_texts() == [
            "Walk the greyhound",
            "Play guitar for ten minutes",
        ]
        page.get_by_role("button", name="Yes, this is my plan").click()
        assert page.get_by_text("You confirmed this plan").count() == 1

        page.emulate_media(media="print")
        assert not page.get_by_role("button", name="Save my steps").is_visible()
        assert page.locator("#warning_signs").is_visible()
        folder = ARTEFACTS / "safety-plan"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / "printed.png", full_page=True)
        context.close()

    plan = n.call("GET", path, as_coach).json
    assert plan["coping_strategies"] == ["Walk the greyhound", "Play guitar for ten minutes"]
    assert (plan["version"], plan["author"]) == (2, "client")
    assert plan["client_acknowledged_at"] is not None
