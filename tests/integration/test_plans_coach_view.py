"""What the coach sees: the caseload (who needs attention first, one statement a page),
the plan-review report in HTML and PDF with the coach's notes, and who may see them."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import event

from services.plans.models import ClientProfile
from services.plans.scheduler import PlansScheduler
from shared.clock import FrozenClock
from shared.events.payloads import phone_hash
from tests.support.database import text_values
from tests.support.plans import deliver, token_for

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
# Plans are drafted a minute apart, in order, well before NOW.
ONBOARDED = NOW - timedelta(days=60)


class Org:
    """One organisation as plans knows it: staff and clients announced by events."""

    def __init__(self, system, settings, name="Harbour Recovery Services"):
        self.system, self.settings = system, settings
        self.tenant_id = uuid.uuid4()
        self.admin_id = uuid.uuid4()
        self.name = name
        self.web = system.apps["plans"].test_client()
        self.onboarded = 0

    def staff(self, name: str, role="coach") -> uuid.UUID:
        staff_id = uuid.uuid4()
        deliver(
            self.system,
            "staff.created",
            self.tenant_id,
            {
                "staff_id": str(staff_id),
                "name": name,
                "email": f"{staff_id.hex[:8]}@example.org",
                "role": role,
                "organisation_name": self.name,
            },
        )
        return staff_id

    def client(
        self, coach_id, given="Sam", family="Lee", reference=None, aspirations=(), **onboarded
    ):
        """A client onboarded in intake (``onboarded``: their phone, or other fields of the
        event); returns their id."""
        client_id = onboarded.pop("client_id", None) or str(uuid.uuid4())
        phone = onboarded.pop("phone", None)
        clock = self.system.runtimes["plans"].clock
        now, self.onboarded = clock.now, self.onboarded + 1
        clock.set(ONBOARDED + timedelta(minutes=self.onboarded))
        deliver(
            self.system,
            "client.onboarded",
            self.tenant_id,
            {
                "client_id": client_id,
                "coach_id": str(coach_id),
                "timezone": "Australia/Sydney",
                "family_name": family,
                "external_reference": reference,
                "contact": {
                    "given_name": given,
                    "timezone": "Australia/Sydney",
                    "consent": {"email": False, "sms": False},
                    "phone": phone,
                },
                "assessment": {
                    "version": 1,
                    "domain_ratings": {"mental_health": 4, "housing": 6},
                    "aspirations": list(aspirations),
                    "k10": {"total": 31, "band": "very_high"},
                    "wemwbs": {"total": 38, "band": "low"},
                },
            }
            | onboarded,
        )
        clock.set(now)
        return client_id

    def token(self, staff_id=None, role="coach") -> str:
        return token_for(self.settings, self.tenant_id, staff_id or self.admin_id, role)

    def call(self, method, path, token, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} | kwargs.pop("headers", {})
        return self.web.open(path, method=method, headers=headers, **kwargs)

    def plan_of(self, client_id, token=None) -> dict:
        reply = self.call(
            "GET", f"/v1/plans?client_id={client_id}", token or self.token(role="org_admin")
        )
        return reply.get_json()["items"][0]

    def checkin(self, plan_id, starts_at, token=None, **record) -> dict:
        token = token or self.token(role="org_admin")
        made = self.call(
            "POST",
            f"/v1/plans/{plan_id}/checkins",
            token,
            json={"starts_at": starts_at.isoformat(), "duration_minutes": 45, "mode": "phone"},
        )
        assert made.status_code == 201, made.get_json()
        if record:
            recorded = self.call(
                "POST", f"/v1/checkins/{made.get_json()['id']}/record", token, json=record
            )
            assert recorded.status_code == 200, recorded.get_json()
        return made.get_json()


@pytest.fixture
def org(system, settings):
    system.runtimes["plans"].clock = FrozenClock(NOW)
    return Org(system, settings)


def _caseload(org, token, query=""):
    reply = org.call("GET", f"/v1/caseload{query}", token)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


# -- caseload -----------------------------------------------------------------------------


def test_caseload_puts_the_flagged_client_first_and_shows_each_coach_only_theirs(org):
    avery, blake = org.staff("Avery Coach"), org.staff("Blake Coach")
    seen_lately = org.client(avery, given="Ari", family="Stone")
    flagged = org.client(avery, given="Bo", family="Reed")
    never_seen = org.client(blake, given="Cy", family="Moss")
    admin = org.token(role="org_admin")
    org.checkin(org.plan_of(seen_lately)["id"], NOW - timedelta(days=3), attended=True, wellbeing=7)
    org.checkin(org.plan_of(flagged)["id"], NOW - timedelta(days=1), attended=True, wellbeing=2)
    upcoming = org.checkin(org.plan_of(never_seen)["id"], NOW + timedelta(days=2))

    as_avery = _caseload(org, org.token(avery))["items"]
    assert [row["client_id"] for row in as_avery] == [flagged, seen_lately]
    first = as_avery[0]
    assert first["risk_flagged"] is True and first["display_name"] == "Bo Reed"
    assert first["coach_name"] == "Avery Coach"
    assert first["latest_wellbeing"]["value"] == 2
    assert first["latest_wellbeing"]["source"] == "checkin"
    assert first["last_contact_at"].startswith((NOW - timedelta(days=1)).date().isoformat())

    as_blake = _caseload(org, org.token(blake))["items"]
    assert [row["client_id"] for row in as_blake] == [never_seen]
    assert as_blake[0]["last_contact_at"] is None
    assert as_blake[0]["next_checkin_at"] == upcoming["starts_at"]

    # the admin sees all: flagged, then the longest without contact (never, then 3 days)
    everyone = _caseload(org, admin)["items"]
    assert [row["client_id"] for row in everyone] == [flagged, never_seen, seen_lately]
    only_blake = _caseload(org, admin, f"?coach_id={blake}")["items"]
    assert [row["client_id"] for row in only_blake] == [never_seen]
    # a coach cannot widen their view by naming another coach
    assert _caseload(org, org.token(avery), f"?coach_id={blake}")["items"] == []

    # cursor pagination walks the same order
    walked, cursor = [], None
    while True:
        page = _caseload(org, admin, "?limit=1" + (f"&cursor={cursor}" if cursor else ""))
        walked += [row["client_id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert walked == [flagged, never_seen, seen_lately]

    # another organisation sees none of them
    other = Org(org.system, org.settings, name="Elsewhere")
    assert _caseload(other, other.token(role="org_admin"))["items"] == []


def test_caseload_counts_overdue_steps_and_the_past_weeks_completion(org):
    runtime = org.system.runtimes["plans"]
    runtime.clock = FrozenClock(NOW - timedelta(days=9))  # the step began nine days ago
    coach = org.staff("Avery Coach")
    client = org.client(coach, aspirations=[{"domain": "daily_living", "text": "Walk daily"}])
    plan = org.plan_of(client)
    token = org.token(coach)
    step = org.call(
        "POST",
        f"/v1/goals/{plan['goals'][0]['id']}/actions",
        token,
        json={
            "title": "Walk",
            "frequency": "daily",
            "local_time": "08:00",
            "start_date": (NOW - timedelta(days=9)).date().isoformat(),
        },
    ).get_json()
    activated = org.call("PATCH", f"/v1/plans/{plan['id']}", token, json={"status": "active"})
    assert activated.status_code == 200
    PlansScheduler(runtime).tick()
    runtime.clock = FrozenClock(NOW)
    PlansScheduler(runtime).tick()
    occurrences = org.call("GET", f"/v1/actions/{step['id']}", token).get_json()["occurrences"]
    past = [o for o in occurrences if o["due_at"] < NOW.isoformat()]
    assert len(past) >= 5
    done = org.call(
        "POST",
        f"/v1/actions/{step['id']}/complete",
        token,
        json={"occurrence_key": past[-1]["occurrence_key"]},
    )
    assert done.status_code == 200, done.get_json()

    row = _caseload(org, token)["items"][0]
    assert row["overdue_actions"] == len(past) - 1
    # the past seven days only
    in_week = [o for o in past if o["due_at"] >= (NOW - timedelta(days=7)).isoformat()]
    assert 0 < len(in_week) < len(past)
    assert row["week_completion"]["due"] == len(in_week)
    assert row["week_completion"]["completed"] == 1


def test_a_page_of_fifty_costs_one_statement_whatever_its_size(org):
    coach = org.staff("Avery Coach")
    clients = [org.client(coach, given=f"Client{n}") for n in range(55)]
    for client in clients[:10]:
        org.checkin(org.plan_of(client)["id"], NOW - timedelta(days=2), attended=True, wellbeing=6)
    runtime = org.system.runtimes["plans"]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    token = org.token(coach)
    _caseload(org, token, "?limit=5")  # connections opened, dialect initialised
    engines = {runtime.engine, runtime.autocommit_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        costs = {}
        for limit in (5, 50):
            statements.clear()
            page = _caseload(org, token, f"?limit={limit}")
            assert len(page["items"]) == limit
            costs[limit] = len(statements)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    assert costs == {5: 1, 50: 1}, costs


def test_caseload_refuses_a_forged_cursor_and_a_bad_coach_id(org):
    token = org.token(role="org_admin")
    for query, field in (("?cursor=bm90LWEtY3Vyc29y", "cursor"), ("?coach_id=nope", "coach_id")):
        reply = org.call("GET", f"/v1/caseload{query}", token)
        assert reply.status_code == 422
        assert reply.content_type == "application/problem+json"
        assert field in reply.get_json()["errors"]


# -- the plan-review report ---------------------------------------------------------------


def _report_setup(org):
    coach = org.staff("Avery Coach")
    client = org.client(
        coach,
        given="Jordan",
        family="Rivers",
        reference="NDIS-430012345",
        aspirations=[
            {"domain": "social_connection", "text": "Join a community garden group"},
            {"domain": "daily_living", "text": "<script>alert('x')</script> & routine"},
        ],
    )
    plan = org.plan_of(client)
    garden, routine = plan["goals"]
    token = org.token(coach)
    january, february = datetime(2027, 1, 12, 0, tzinfo=UTC), datetime(2027, 2, 9, 0, tzinfo=UTC)
    org.checkin(
        plan["id"],
        january,
        token,
        attended=True,
        wellbeing=4,
        notes="Visited the garden open day",
        goals_discussed=[garden["id"]],
    )
    org.checkin(plan["id"], january + timedelta(days=14), token, attended=False)
    org.checkin(
        plan["id"],
        february,
        token,
        attended=True,
        wellbeing=7,
        notes="Went twice <b>on her own</b>",
        goals_discussed=[garden["id"], routine["id"]],
    )
    notes = org.call(
        "PUT",
        f"/v1/plans/{plan['id']}/report-notes",
        token,
        json={
            "summary": "Jordan has re-engaged with her community.",
            "recommendations": "Continue fortnightly coaching for 12 weeks.",
        },
    )
    assert notes.status_code == 200, notes.get_json()
    return coach, client, plan, token


def _pdf_text(body: bytes) -> str:
    """The PDF's text, its lines and table cells joined by single spaces."""
    pages = PdfReader(io.BytesIO(body)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_the_report_shows_participant_goals_attendance_and_summary_in_html_and_pdf(org):
    _coach, _client, plan, token = _report_setup(org)

    html = org.call("GET", f"/v1/plans/{plan['id']}/report.html", token)
    assert html.status_code == 200 and html.mimetype == "text/html"
    page = html.get_data(as_text=True)
    pdf = org.call("GET", f"/v1/plans/{plan['id']}/report.pdf", token)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    text = _pdf_text(pdf.data)

    for shown in (page, text):
        for expected in (
            "Jordan Rivers",
            "NDIS-430012345",
            "Avery Coach",
            "Harbour Recovery Services",
            "Join a community garden group",
            "Visited the garden open day",
            "Jordan has re-engaged with her community.",
            "Continue fortnightly coaching for 12 weeks.",
            "31 (very high)",  # K10 with its band
        ):
            assert expected in shown, expected
    assert "Check-ins attended</th><td>2</td>" in page
    assert "Check-ins missed</th><td>1</td>" in page
    assert "Check-ins attended 2" in text and "Check-ins missed 1" in text
    assert "<script>alert('x')</script> & routine" in text

    # everything the coach or client wrote is escaped, never markup
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; routine" in page
    assert "&lt;b&gt;on her own&lt;/b&gt;" in page
    assert 'src="data:image/svg+xml;base64,' in page  # the wellbeing chart
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]  # no script runs


def test_from_and_to_narrow_what_the_report_counts(org):
    _coach, _client, plan, token = _report_setup(org)
    february = org.call(
        "GET", f"/v1/plans/{plan['id']}/report.html?from=2027-02-01&to=2027-02-28", token
    ).get_data(as_text=True)
    assert "Check-ins attended</th><td>1</td>" in february
    assert "Check-ins missed</th><td>0</td>" in february
    assert "Visited the garden open day" not in february  # a January note
    assert "Went twice" in february
    assert "1 February 2027 to 28 February 2027" in february
    pdf = org.call("GET", f"/v1/plans/{plan['id']}/report.pdf?from=2027-01-01&to=2027-01-31", token)
    text = _pdf_text(pdf.data)
    assert "Check-ins attended 1" in text and "Check-ins missed 1" in text
    assert "Went twice" not in text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=2027-13-01", "from"),
        ("?to=yesterday", "to"),
        ("?from=2027-02-01&to=2027-01-01", "to"),
        ("?from=1899-12-31", "from"),
        ("?to=9999-12-31", "to"),
        ("?to=2001-01-01", "to"),  # before the plan began
    ],
)
def test_a_bad_period_is_a_422_naming_the_field(org, query, field):
    coach = org.staff("Avery Coach")
    plan = org.plan_of(org.client(coach))
    for suffix in ("html", "pdf"):
        reply = org.call("GET", f"/v1/plans/{plan['id']}/report.{suffix}{query}", org.token(coach))
        assert reply.status_code == 422, reply.data[:200]
        assert reply.content_type == "application/problem+json"
        assert field in reply.get_json()["errors"]


def test_report_notes_honour_if_match(org):
    coach = org.staff("Avery Coach")
    plan = org.plan_of(org.client(coach))
    token, path = org.token(coach), f"/v1/plans/{plan['id']}/report-notes"
    empty = org.call("GET", path, token)
    assert empty.get_json()["summary"] is None
    body = {"summary": "First draft", "recommendations": None}
    first = org.call("PUT", path, token, json=body, headers={"If-Match": empty.headers["ETag"]})
    assert first.status_code == 200 and first.headers["ETag"] != empty.headers["ETag"]
    stale = org.call(
        "PUT",
        path,
        token,
        json=body | {"summary": "Lost"},
        headers={"If-Match": empty.headers["ETag"]},
    )
    assert stale.status_code == 412
    # the plan's own ETag is not the notes' ETag
    plan_etag = org.call("GET", f"/v1/plans/{plan['id']}", token).headers["ETag"]
    assert (
        org.call("PUT", path, token, json=body, headers={"If-Match": plan_etag}).status_code == 412
    )
    assert org.call("GET", path, token).get_json()["summary"] == "First draft"
    missing = org.call("PUT", path, token, json={"summary": "x"})
    assert missing.status_code == 422 and "recommendations" in missing.get_json()["errors"]
    for bad in ("x" * 10_001, "nul \x00 inside"):
        refused = org.call("PUT", path, token, json=body | {"summary": bad})
        assert refused.status_code == 422 and "summary" in refused.get_json()["errors"]
    # the history says the notes changed, never what they say
    revisions = org.call("GET", f"/v1/plans/{plan['id']}/history", token).get_json()["items"]
    assert revisions[-1]["entity"] == "report_notes"
    assert "First draft" not in str(revisions)


def test_another_coach_and_another_organisation_get_404_for_report_and_notes(org):
    _coach, _client, plan, _token = _report_setup(org)
    other_coach = org.token(org.staff("Blake Coach"))
    other = Org(org.system, org.settings, name="Elsewhere")
    other_admin = other.token(role="org_admin")
    for token in (other_coach, other_admin):
        for method, path, body in (
            ("GET", "report.html", None),
            ("GET", "report.pdf", None),
            ("GET", "report-notes", None),
            ("PUT", "report-notes", {"summary": "mine", "recommendations": None}),
            ("GET", "progress.png", None),
        ):
            reply = org.call(method, f"/v1/plans/{plan['id']}/{path}", token, json=body)
            assert reply.status_code == 404, (method, path, reply.status_code)
    # and nothing they tried changed the notes
    admin = org.token(role="org_admin")
    notes = org.call("GET", f"/v1/plans/{plan['id']}/report-notes", admin).get_json()
    assert notes["summary"] == "Jordan has re-engaged with her community."


def test_progress_png_is_a_png(org):
    _coach, _client, plan, token = _report_setup(org)
    reply = org.call("GET", f"/v1/plans/{plan['id']}/progress.png", token)
    assert reply.status_code == 200 and reply.mimetype == "image/png"
    assert reply.data.startswith(b"\x89PNG\r\n\x1a\n")


# -- who is who: names and references from intake's events ---------------------------------


def _report_page(org, plan_id) -> str:
    reply = org.call("GET", f"/v1/plans/{plan_id}/report.html", org.token(role="org_admin"))
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def test_the_participant_follows_client_updated_and_a_late_older_event_changes_nothing(org):
    coach = org.staff("Avery Coach")
    client = org.client(coach, given="Jordan", family="Rivers", reference="NDIS-1")
    plan_id = org.plan_of(client)["id"]

    def updated(occurred_at, **fields):
        deliver(
            org.system,
            "client.updated",
            org.tenant_id,
            {
                "client_id": client,
                "changed": sorted(fields) or ["timezone"],
                "coach_id": str(coach),
                "contact": {
                    "given_name": "Jordan",
                    "preferred_name": "Jo",
                    "timezone": "Australia/Sydney",
                    "consent": {"email": False, "sms": False},
                },
            }
            | fields,
            occurred_at=occurred_at,
        )

    later = datetime.now(UTC) + timedelta(minutes=5)
    updated(later, family_name="Rivers-Lee", external_reference="NDIS-2")
    page = _report_page(org, plan_id)
    assert "Jordan Rivers-Lee" in page and "NDIS-2" in page and "(prefers Jo)" in page
    # an event from an older producer, without the new fields, keeps what plans knows
    updated(later + timedelta(minutes=1))
    assert "NDIS-2" in _report_page(org, plan_id)
    # an older event delivered late changes nothing
    updated(later - timedelta(days=1), family_name="Old", external_reference="NDIS-0")
    page = _report_page(org, plan_id)
    assert "NDIS-2" in page and "NDIS-0" not in page
    row = _caseload(org, org.token(coach))["items"][0]
    assert row["display_name"] == "Jo Rivers-Lee"


PHONE, NEW_PHONE = "+61412345678", "+61400111222"
CONFIRMED_AT = NOW - timedelta(days=2)


def _phone_confirmed(org, client_id, *, confirmed=True, at=CONFIRMED_AT, phone=PHONE, tenant=None):
    """Notifications says whether the person with ``phone`` confirmed the client's record."""
    tenant = tenant or org.tenant_id
    data = {
        "client_id": client_id,
        "confirmed": confirmed,
        "changed_at": at.isoformat(),
        "phone_hash": phone_hash(tenant, phone),
    }
    deliver(org.system, "contact.phone_confirmed", tenant, data, producer="notifications")


def _phone_changed(org, client_id, coach_id, phone):
    contact = {"given_name": "Sam", "timezone": "Australia/Sydney", "phone": phone}
    deliver(
        org.system,
        "client.updated",
        org.tenant_id,
        {
            "client_id": client_id,
            "changed": ["phone"],
            "coach_id": str(coach_id),
            "contact": contact | {"consent": {"email": False, "sms": False}},
        },
    )


def _phone_confirmed_on_caseload(org) -> dict[str, bool]:
    rows = _caseload(org, org.token(role="org_admin"))["items"]
    return {row["client_id"]: row["phone_confirmed"] for row in rows}


def _profile(org, client_id) -> ClientProfile | None:
    with org.system.runtimes["plans"].session_factory() as session:
        return session.get(ClientProfile, (org.tenant_id, uuid.UUID(client_id)))


def test_the_caseload_shows_a_confirmed_phone_until_the_number_changes(org):
    coach = org.staff("Avery Coach")
    client = org.client(coach, phone=PHONE)
    no_phone = org.client(coach, given="Cy")
    assert _phone_confirmed_on_caseload(org) == {client: False, no_phone: False}

    _phone_confirmed(org, client)
    assert _phone_confirmed_on_caseload(org) == {client: True, no_phone: False}
    # an older event delivered late (the person chose another record before) changes nothing
    _phone_confirmed(org, client, confirmed=False, at=CONFIRMED_AT - timedelta(hours=1))
    assert _phone_confirmed_on_caseload(org)[client] is True
    # plans keeps the number's digest, never the number
    assert not [t for t in text_values(org.system, "plans") if "412345678" in t[2]]

    # a new number is not confirmed, and a confirmation of the old one is not one of it
    _phone_changed(org, client, coach, NEW_PHONE)
    assert _phone_confirmed_on_caseload(org)[client] is False
    _phone_confirmed(org, client, at=CONFIRMED_AT + timedelta(hours=1))
    assert _phone_confirmed_on_caseload(org)[client] is False
    _phone_confirmed(org, client, phone=NEW_PHONE, at=CONFIRMED_AT + timedelta(hours=2))
    assert _phone_confirmed_on_caseload(org)[client] is True
    # the person then confirmed another record for the number
    _phone_confirmed(
        org, client, phone=NEW_PHONE, confirmed=False, at=CONFIRMED_AT + timedelta(hours=3)
    )
    assert _phone_confirmed_on_caseload(org)[client] is False

    # the same client id under another organisation changes nothing here, nor there
    other = Org(org.system, org.settings, name="Elsewhere")
    _phone_confirmed(
        org, client, phone=NEW_PHONE, at=CONFIRMED_AT + timedelta(hours=4), tenant=other.tenant_id
    )
    assert _phone_confirmed_on_caseload(org)[client] is False
    assert _caseload(other, other.token(role="org_admin"))["items"] == []


def test_a_phone_confirmed_before_onboarding_reaches_the_caseload_with_the_onboarding(org):
    coach = org.staff("Avery Coach")
    early, unconfirmed = str(uuid.uuid4()), str(uuid.uuid4())
    # confirmed while only referred: plans has no profile yet, and makes none for it
    _phone_confirmed(org, early)
    assert _profile(org, early) is None

    org.client(coach, client_id=early, phone=PHONE, phone_confirmed_at=CONFIRMED_AT.isoformat())
    org.client(coach, client_id=unconfirmed, phone=PHONE, phone_confirmed_at=None)
    assert _phone_confirmed_on_caseload(org) == {early: True, unconfirmed: False}
    # a later event, older than what intake told, changes nothing
    _phone_confirmed(org, early, confirmed=False, at=CONFIRMED_AT - timedelta(minutes=1))
    assert _phone_confirmed_on_caseload(org)[early] is True


def test_a_confirmation_arriving_after_erasure_brings_nothing_back(org):
    coach = org.staff("Avery Coach")
    client = org.client(coach, phone=PHONE)
    _phone_confirmed(org, client)
    assert _profile(org, client).phone_confirmed_at is not None

    deliver(org.system, "client.erased", org.tenant_id, {"client_id": client})
    assert _profile(org, client) is None
    _phone_confirmed(org, client, at=CONFIRMED_AT + timedelta(hours=1))
    assert _profile(org, client) is None
    assert _caseload(org, org.token(role="org_admin"))["items"] == []


def test_a_renamed_coach_is_named_in_the_report_and_an_unknown_one_by_id(org):
    coach = org.staff("Avery Coach")
    plan_id = org.plan_of(org.client(coach))["id"]
    deliver(
        org.system,
        "staff.updated",
        org.tenant_id,
        {
            "staff_id": str(coach),
            "name": "Avery Nguyen",
            "email": "avery@example.org",
            "role": "coach",
            "organisation_name": "Harbour Recovery",
        },
        occurred_at=datetime.now(UTC) + timedelta(minutes=1),
    )
    page = _report_page(org, plan_id)
    assert "Avery Nguyen" in page and "Harbour Recovery" in page
    stranger = uuid.uuid4()  # a coach plans never heard of (created before it listened)
    unknown = org.plan_of(org.client(stranger))["id"]
    assert f"Staff member {stranger}" in _report_page(org, unknown)


def test_k10_and_wemwbs_travel_from_intakes_assessment_to_the_report(api, tenant, system):
    token = tenant["token"]
    client = api.refer_client(token, external_reference="NDIS-5150")
    assessed = api.call(
        "intake",
        "PUT",
        f"/v1/clients/{client['id']}/assessment",
        token,
        json={
            "domain_ratings": {"mental_health": 3},
            "k10": {"items": [2] * 10},
            "wemwbs": {"items": [4] * 14},
        },
    )
    assert assessed.status == 200, assessed.body
    assert api.onboard(token, client["id"], tenant["staff_id"]).status == 200
    system.settle()
    plan = api.plans_of(token, client["id"])[0]
    page = (
        system.apps["plans"]
        .test_client()
        .get(f"/v1/plans/{plan['id']}/report.html", headers={"Authorization": f"Bearer {token}"})
        .get_data(as_text=True)
    )
    assert "20 (moderate)" in page  # K10 total and band, as intake scored them
    assert "56 (moderate)" in page  # WEMWBS
    assert "NDIS-5150" in page and "Jordan Rivers" in page
    assert "Avery Admin" in page and "Harbour Recovery Services" in page


# -- names, not ids -----------------------------------------------------------------------


def _a_step_done_by_reply(org, coach) -> tuple[str, dict]:
    """A plan whose coach added a step the client then said they did; (plan id, step)."""
    client = org.client(coach, aspirations=[{"domain": "daily_living", "text": "Walk daily"}])
    plan = org.plan_of(client)
    made = org.call(
        "POST",
        f"/v1/goals/{plan['goals'][0]['id']}/actions",
        org.token(coach),
        json={
            "title": "Morning walk",
            "frequency": "once",
            "due_at": (NOW + timedelta(days=1)).isoformat(),
        },
    )
    assert made.status_code == 201, made.get_json()
    step = made.get_json()
    deliver(
        org.system,
        "client.replied",
        org.tenant_id,
        {
            "reply_id": str(uuid.uuid4()),
            "client_id": client,
            "channel": "sms",
            "received_at": NOW.isoformat(),
            "intent": "done",
            "action_id": step["id"],
            "occurrence_key": None,
        },
        producer="notifications",
    )
    return plan["id"], step


def test_the_journal_names_the_step_a_reply_is_about(org):
    plan_id, step = _a_step_done_by_reply(org, org.staff("Avery Coach"))
    reply = org.call("GET", f"/v1/plans/{plan_id}/journal", org.token(role="org_admin"))
    [entry] = reply.get_json()["items"]
    assert (entry["action_id"], entry["action_title"]) == (step["id"], "Morning walk")


def test_history_and_timeline_name_the_coach_the_system_and_the_client(org):
    coach = org.staff("Avery Coach")
    plan_id, step = _a_step_done_by_reply(org, coach)
    admin = org.token(role="org_admin")

    history = org.call("GET", f"/v1/plans/{plan_id}/history", admin).get_json()["items"]
    by_coach = [r for r in history if r["actor"] == "staff"]
    assert by_coach and {(r["actor_id"], r["actor_name"]) for r in by_coach} == {
        (str(coach), "Avery Coach")
    }
    assert {r["actor_name"] for r in history if r["actor"] == "system"} <= {"system"}

    timeline = org.call("GET", f"/v1/plans/{plan_id}/timeline", admin).get_json()["items"]
    names = {(item["type"], item["actor_name"]) for item in timeline}
    assert ("revision", "Avery Coach") in names
    assert ("reply", "client") in names
    coach_items = [i for i in timeline if i["actor_name"] == "Avery Coach"]
    assert {i["detail"]["actor_id"] for i in coach_items} == {str(coach)}


def test_a_member_plans_has_not_heard_of_is_unnamed_but_keeps_their_id(org):
    stranger = uuid.uuid4()  # created in intake before plans listened
    plan_id, _step = _a_step_done_by_reply(org, stranger)
    history = org.call("GET", f"/v1/plans/{plan_id}/history", org.token(role="org_admin"))
    [created] = [r for r in history.get_json()["items"] if r["actor"] == "staff"]
    assert (created["actor_id"], created["actor_name"]) == (str(stranger), None)
