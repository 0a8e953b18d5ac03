"""Drawing charts and reports: one organisation's slow reports never cost another its
slot, and a drawing already made from the same values is given again without drawing.

A report is made slow deterministically: its renderer holds its slot until the test
releases it. What bounded the work is asserted from the process's drawing slots and its
count of drawings made, never from time.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.plans.reports import rendering as report_rendering
from tests.plans.test_coach_view import NOW, Org, _report_setup
from tests.support import builders
from tests.support.plans import deliver
from tests.support.waiting import wait_for


@pytest.fixture
def org(plans):
    plans.clock.set(NOW)
    return Org(plans, plans.settings)


@pytest.fixture
def drawing(plans):
    return plans.app.extensions["plans.drawing"]


class HeldReports:
    """``report_pdf`` that holds its drawing slot until :meth:`release`."""

    def __init__(self, monkeypatch):
        self._real = report_rendering.report_pdf
        self._released = threading.Event()
        self._lock = threading.Lock()
        self.entered = 0
        monkeypatch.setattr(report_rendering, "report_pdf", self._draw)

    def _draw(self, report: dict) -> bytes:
        with self._lock:
            self.entered += 1
        assert self._released.wait(timeout=60), "the test never released the report"
        return self._real(report)

    def release(self) -> None:
        self._released.set()


class InBackground:
    """A request on its own thread (and its own test client), its reply kept."""

    def __init__(self, org: Org, path: str, token: str):
        self.reply = None
        client = org.system.apps["plans"].test_client()
        headers = {"Authorization": f"Bearer {token}"}
        self._thread = threading.Thread(target=lambda: self._call(client, path, headers))
        self._thread.start()

    def _call(self, client, path, headers) -> None:
        self.reply = client.get(path, headers=headers)

    def result(self):
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the request never finished"
        return self.reply


@pytest.fixture
def held(monkeypatch):
    reports = HeldReports(monkeypatch)
    yield reports
    reports.release()  # a failing test leaves no thread waiting


def _small_plan(org: Org) -> tuple[str, str]:
    coach = org.staff("Robin Coach")
    plan = org.plan_of(org.client(coach))
    return plan["id"], org.token(coach)


def _refused_for_share(reply) -> None:
    assert reply.status_code == 503, reply.data[:200]
    assert reply.content_type == "application/problem+json"
    assert reply.headers["Retry-After"].isdigit()
    assert "Your organisation is already drawing" in reply.get_json()["detail"]


def test_one_organisations_slow_reports_leave_another_organisation_its_chart(org, drawing, held):
    drawing.slots.share_wait = 0  # over its share, refused without waiting
    busy = org  # large plans, many report requests
    _coach, _client, big_plan, busy_token = _report_setup(busy)
    other = Org(org.system, org.settings, name="Small Steps Collective")
    small_plan, other_token = _small_plan(other)
    report = f"/v1/plans/{big_plan['id']}/report.pdf"

    first = InBackground(busy, report, busy_token)
    wait_for(lambda: held.entered == 1, what="the first report to hold its slot")
    assert drawing.slots.held(busy.tenant_id) == drawing.slots.share == 1

    # the same organisation, over its share: refused, with nothing more drawn
    _refused_for_share(busy.call("GET", f"{report}?from=2027-01-01", busy_token))
    _refused_for_share(busy.call("GET", f"/v1/plans/{big_plan['id']}/progress.png", busy_token))
    assert held.entered == 1 and drawing.drawn["progress.png"] == 0

    # another organisation still has a slot for its chart and its report page
    chart = other.call("GET", f"/v1/plans/{small_plan}/progress.png", other_token)
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG\r\n\x1a\n")
    page = other.call("GET", f"/v1/plans/{small_plan}/report.html", other_token)
    assert page.status_code == 200 and "Small Steps Collective" in page.get_data(as_text=True)
    assert drawing.drawn["progress.png"] == 1 and drawing.drawn["report.html"] == 1
    assert drawing.slots.held(other.tenant_id) == 0

    held.release()
    done = first.result()
    assert done.status_code == 200 and done.data.startswith(b"%PDF")
    assert drawing.slots.in_use() == 0
    assert drawing.drawn["report.pdf"] == 1


def test_a_request_over_its_share_waits_for_its_own_slot_and_gets_the_drawing_made_meanwhile(
    org, drawing, held
):
    drawing.slots.share_wait = 60  # long enough that only the release ends the wait
    _coach, _client, plan, token = _report_setup(org)
    report = f"/v1/plans/{plan['id']}/report.pdf"

    first = InBackground(org, report, token)
    wait_for(lambda: held.entered == 1, what="the first report to hold its slot")
    second = InBackground(org, report, token)
    wait_for(lambda: drawing.slots.waiting(org.tenant_id) == 1, what="the second to wait")
    # as many waiting as the organisation may hold: a third is refused at once
    _refused_for_share(org.call("GET", report, token))

    held.release()
    one, two = first.result(), second.result()
    assert one.status_code == two.status_code == 200
    assert one.data == two.data
    assert held.entered == 1 and drawing.drawn["report.pdf"] == 1  # drawn once for both


def _get(org, path, token):
    reply = org.call("GET", path, token)
    assert reply.status_code == 200, reply.data[:300]
    return reply.data


@pytest.mark.parametrize("kind", ["progress.svg", "progress.png", "report.html", "report.pdf"])
def test_a_repeat_request_for_an_unchanged_plan_draws_nothing(org, drawing, kind):
    _coach, _client, plan, token = _report_setup(org)
    path = f"/v1/plans/{plan['id']}/{kind}"
    first = _get(org, path, token)
    assert _get(org, path, token) == first
    assert _get(org, path, org.token(role="org_admin")) == first  # whoever may see it
    assert drawing.drawn[kind] == 1


def test_every_change_the_report_shows_draws_it_again(org, drawing):
    coach, client, plan, token = _report_setup(org)
    path = f"/v1/plans/{plan['id']}/report.pdf"
    kept = {_get(org, path, token)}

    def drawn_anew(change) -> None:
        before = drawing.drawn["report.pdf"]
        reply = change()  # a reply, or nothing (the helper checked it)
        assert getattr(reply, "status_code", 200) < 300, reply.get_json()
        kept.add(_get(org, path, token))
        assert drawing.drawn["report.pdf"] == before + 1
        assert _get(org, path, token) in kept and drawing.drawn["report.pdf"] == before + 1

    notes_path = f"/v1/plans/{plan['id']}/report-notes"
    drawn_anew(
        lambda: org.call(
            "PUT", notes_path, token, json={"summary": "Steady", "recommendations": None}
        )
    )
    drawn_anew(lambda: org.checkin(plan["id"], NOW - timedelta(days=3), token, attended=False))
    drawn_anew(
        lambda: org.call(
            "POST",
            f"/v1/plans/{plan['id']}/goals",
            token,
            json={"title": "Cook twice a week", "domain": "daily_living"},
        )
    )
    goal = plan["goals"][0]
    drawn_anew(lambda: org.call("PATCH", f"/v1/goals/{goal['id']}", token, json={"progress": 60}))
    drawn_anew(lambda: _client_rates_their_mood(org, client, 8))
    drawn_anew(lambda: _coach_renamed(org, coach, "Avery Nguyen"))
    # what only the risk, quotes and next-period sections show
    crisis = str(uuid.uuid4())
    drawn_anew(lambda: _client_replies(org, client, crisis, "crisis", "Help me"))
    drawn_anew(lambda: _sent_to(org, client, "crisis_text"))  # the timeline alone
    drawn_anew(
        lambda: org.call("PATCH", f"/v1/plans/{plan['id']}", token, json={"risk_flagged": False})
    )
    drawn_anew(
        lambda: org.call(
            "PUT",
            notes_path,
            token,
            json={"summary": "Steady", "recommendations": None, "quoted_entries": [crisis]},
        )
    )
    drawn_anew(lambda: org.checkin(plan["id"], NOW + timedelta(days=10), token))  # next period
    clock = org.system.runtimes["plans"].clock
    drawn_anew(lambda: clock.set(NOW + timedelta(days=1)))  # a day on: the period grows
    # another period is another drawing; the first is still kept
    _get(org, f"{path}?from=2027-02-01", token)
    drawn = drawing.drawn["report.pdf"]
    _get(org, path, token)
    _get(org, f"{path}?from=2027-02-01", token)
    assert drawing.drawn["report.pdf"] == drawn


def _client_rates_their_mood(org, client_id, rating: int) -> None:
    deliver(
        org.system,
        "client.replied",
        org.tenant_id,
        builders.client_replied(
            client_id, NOW - timedelta(hours=2), "mood", channel="sms", rating=rating
        ),
        producer="notifications",
    )


def _client_replies(org, client_id, reply_id: str, intent: str, text: str) -> None:
    deliver(
        org.system,
        "client.replied",
        org.tenant_id,
        builders.client_replied(
            client_id, NOW - timedelta(hours=1), intent, reply_id=reply_id, channel="sms", text=text
        ),
        producer="notifications",
    )


def _sent_to(org, client_id, kind: str) -> None:
    deliver(
        org.system,
        "notification.sent",
        org.tenant_id,
        {"nudge_id": str(uuid.uuid4()), "client_id": client_id, "kind": kind, "channel": "sms"},
        producer="notifications",
        occurred_at=NOW - timedelta(minutes=59),
    )


def _coach_renamed(org, coach_id, name: str) -> None:
    deliver(
        org.system,
        "staff.updated",
        org.tenant_id,
        {
            "staff_id": str(coach_id),
            "name": name,
            "email": "avery@example.org",
            "role": "coach",
            "organisation_name": org.name,
        },
        occurred_at=datetime.now(UTC) + timedelta(minutes=1),
    )


def test_a_kept_drawing_is_never_given_to_another_organisation_or_coach(org, drawing):
    _coach, _client, plan, token = _report_setup(org)
    for kind in ("report.pdf", "progress.png"):
        _get(org, f"/v1/plans/{plan['id']}/{kind}", token)
    other = Org(org.system, org.settings, name="Elsewhere")
    strangers = (other.token(role="org_admin"), org.token(org.staff("Blake Coach")))
    for stranger in strangers:
        for kind in ("report.pdf", "progress.png"):
            reply = org.call("GET", f"/v1/plans/{plan['id']}/{kind}", stranger)
            assert reply.status_code == 404 and b"%PDF" not in reply.data
    assert drawing.drawn["report.pdf"] == drawing.drawn["progress.png"] == 1
