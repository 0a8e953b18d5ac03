"""The plan-review report a funder expects: risk and safety (counted and dated, never a
crisis message's words unless the coach quotes them), the participant's own words the
coach chose, hours of support, the next period's plan and sign-off; the HTML and the PDF
saying the same, section by section, with no heading left alone at a page's foot and
each check-in note printed once."""

from __future__ import annotations

import html as markup
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from services.plans.reports import rendering as report_rendering
from services.plans.reports.wording import CHECKIN_NOTES, CHECKINS_TABLE, SECTIONS
from tests.plans.test_coach_view import NOW, Org, _pdf_text, _report_setup
from tests.support import builders
from tests.support.plans import deliver

CRISIS_WORDS = "I cannot do this any more, tonight is the night"


@pytest.fixture
def org(plans):
    plans.clock.set(NOW)
    return Org(plans, plans.settings)


def _reply(org, client_id, at: datetime, intent: str, text=None, rating=None) -> str:
    reply_id = str(uuid.uuid4())
    deliver(
        org.system,
        "client.replied",
        org.tenant_id,
        builders.client_replied(
            client_id, at, intent, reply_id=reply_id, channel="sms", text=text, rating=rating
        ),
        producer="notifications",
    )
    return reply_id


def _sent(org, client_id, kind: str, at: datetime) -> None:
    deliver(
        org.system,
        "notification.sent",
        org.tenant_id,
        {"nudge_id": str(uuid.uuid4()), "client_id": client_id, "kind": kind, "channel": "sms"},
        producer="notifications",
        occurred_at=at,
    )


def _report(org, plan_id, token, query="") -> tuple[str, str]:
    html = org.call("GET", f"/v1/plans/{plan_id}/report.html{query}", token)
    pdf = org.call("GET", f"/v1/plans/{plan_id}/report.pdf{query}", token)
    assert html.status_code == 200 and pdf.status_code == 200
    return html.get_data(as_text=True), _pdf_text(pdf.data)


def _texts(org, plan_id, token, query="") -> tuple[str, str]:
    """The report's HTML, its entities read, and its PDF's text."""
    page, pdf = _report(org, plan_id, token, query)
    return markup.unescape(page), pdf


def _quote(org, plan_id, token, entries, **notes):
    body = {"summary": None, "recommendations": None, "quoted_entries": entries} | notes
    return org.call("PUT", f"/v1/plans/{plan_id}/report-notes", token, json=body)


# -- risk and safety ----------------------------------------------------------------------


def _a_crisis_and_low_ratings(org):
    """The report's plan, with in February a check-in rated 2, a crisis message answered
    and alerted, a mood rating of 2; the coach acknowledges the flag on 1 March."""
    coach, client, plan, token = _report_setup(org)
    org.checkin(plan["id"], datetime(2027, 2, 16, 0, tzinfo=UTC), token, attended=True, wellbeing=2)
    crisis_at = datetime(2027, 2, 20, 10, 0, tzinfo=UTC)  # 21:00 in Sydney
    crisis = _reply(org, client, crisis_at, "crisis", text=CRISIS_WORDS)
    _sent(org, client, "crisis_text", crisis_at + timedelta(minutes=1))
    _sent(org, client, "crisis_alert", crisis_at + timedelta(minutes=2))
    _reply(org, client, datetime(2027, 2, 22, 1, 0, tzinfo=UTC), "mood", rating=2)
    org.system.runtimes["plans"].clock.set(NOW + timedelta(hours=2))  # 22:00 in Sydney
    cleared = org.call("PATCH", f"/v1/plans/{plan['id']}", token, json={"risk_flagged": False})
    assert cleared.status_code == 200, cleared.get_json()
    return coach, client, plan, token, crisis


def test_the_risk_section_counts_and_dates_the_crisis_and_low_ratings_without_its_words(org):
    _coach, _client, plan, token, crisis = _a_crisis_and_low_ratings(org)

    for shown in _texts(org, plan["id"], token):
        assert (
            "Risk flags raised: 3. Crisis messages: 1. Low wellbeing ratings (3 or less): 2."
            in shown
        )
        # the flags, raised on the service's clock, all acknowledged by the coach
        assert shown.count("acknowledged 1 March 2027, 22:00") == 4  # 3 flags, 1 message
        assert "crisis message; acknowledged" in shown
        assert (
            "Received 20 February 2027, 21:00 by sms; crisis line details sent to the "
            "participant 20 February 2027, 21:01; coach alerted 20 February 2027, 21:02"
        ) in shown
        assert "16 February 2027: 2/10 (check-in)" in shown
        assert "22 February 2027: 2/10 (participant's own rating)" in shown
        assert "The plan is not flagged at risk now." in shown
        assert "tonight is the night" not in shown  # never quoted unless chosen

    # the coach chooses to quote it: then, and only then, the words are in the report
    assert _quote(org, plan["id"], token, [crisis]).status_code == 200
    for shown in _texts(org, plan["id"], token):
        assert shown.count(CRISIS_WORDS) == 1


def test_a_period_before_the_crisis_reports_no_risk(org):
    _coach, _client, plan, token, _crisis = _a_crisis_and_low_ratings(org)
    for shown in _texts(org, plan["id"], token, "?from=2027-01-01&to=2027-01-31"):
        assert (
            "Risk flags raised: 0. Crisis messages: 0. Low wellbeing ratings (3 or less): 0."
            in shown
        )


# -- the participant's own words ----------------------------------------------------------


def test_the_report_quotes_only_the_entries_the_coach_chose_with_their_date(org):
    _coach, client, plan, token = _report_setup(org)
    chosen = _reply(
        org, client, datetime(2027, 2, 3, 8, tzinfo=UTC), "journal", text="I planted tomatoes!"
    )
    _reply(org, client, datetime(2027, 2, 4, 8, tzinfo=UTC), "journal", text="Bad day at home")
    for shown in _texts(org, plan["id"], token):
        assert "The coach has not chosen journal entries to quote." in shown
        assert "I planted tomatoes!" not in shown

    saved = _quote(org, plan["id"], token, [chosen], summary="Going well.")
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["quoted_entries"] == [chosen]
    got = org.call("GET", f"/v1/plans/{plan['id']}/report-notes", token).get_json()
    assert got["quoted_entries"] == [chosen]
    for shown in _texts(org, plan["id"], token):
        assert "3 February 2027 (sms) I planted tomatoes!" in " ".join(
            re.sub(r"<[^>]+>", " ", shown).split()
        )
        assert "Bad day at home" not in shown

    # a PUT without the field keeps the choice; an empty list clears it
    body = {"summary": "Still going well.", "recommendations": None}
    kept = org.call("PUT", f"/v1/plans/{plan['id']}/report-notes", token, json=body)
    assert kept.get_json()["quoted_entries"] == [chosen]
    assert _quote(org, plan["id"], token, []).get_json()["quoted_entries"] == []


def test_quoted_entries_must_be_this_plans_own_entries_with_words(org):
    coach, client, plan, token = _report_setup(org)
    mine = _reply(org, client, datetime(2027, 2, 3, 8, tzinfo=UTC), "journal", text="Mine")
    rating_only = _reply(org, client, datetime(2027, 2, 3, 9, tzinfo=UTC), "mood", rating=6)
    another_client = org.client(coach, given="Ari", family="Stone")
    theirs = _reply(org, another_client, datetime(2027, 2, 3, 8, tzinfo=UTC), "journal", text="x")
    elsewhere = Org(org.system, org.settings, name="Elsewhere")
    stranger = elsewhere.client(elsewhere.staff("Other Coach"))
    foreign = _reply(elsewhere, stranger, datetime(2027, 2, 3, 8, tzinfo=UTC), "journal", text="y")
    many = [
        _reply(org, client, datetime(2027, 2, 5, k, tzinfo=UTC), "journal", text=f"Entry {k}")
        for k in range(11)
    ]

    for refused in (
        [theirs],  # another plan's
        [foreign],  # another organisation's
        [str(uuid.uuid4())],  # unknown
        [rating_only],  # no words to quote
        [mine, mine],
        many,  # more than ten
    ):
        reply = _quote(org, plan["id"], token, refused)
        assert reply.status_code == 422, refused
        assert "quoted_entries" in reply.get_json()["errors"]
    assert _quote(org, plan["id"], token, many[:10]).status_code == 200

    # another coach of the organisation cannot choose quotes for this plan at all
    other_token = org.token(org.staff("Blake Coach"))
    assert _quote(org, plan["id"], other_token, [mine]).status_code == 404


# -- hours, the next period, sign-off -----------------------------------------------------


def test_hours_of_support_count_only_attended_check_ins(org):
    _coach, _client, plan, token = _report_setup(org)  # 45 minutes: two attended, one missed
    html, pdf = _report(org, plan["id"], token)
    assert "Hours of support delivered</th><td>1.5 hours</td>" in html
    assert "Hours of support delivered 1.5 hours" in pdf
    html, pdf = _report(org, plan["id"], token, "?from=2027-02-01&to=2027-02-28")
    assert "Hours of support delivered 0.75 hours" in pdf


def test_the_next_period_lists_open_goals_and_what_is_scheduled_in_the_next_four_weeks(org):
    _coach, _client, plan, token = _report_setup(org)
    garden, routine = plan["goals"]
    patched = org.call(
        "PATCH", f"/v1/goals/{garden['id']}", token, json={"target_date": "2027-06-30"}
    )
    assert patched.status_code == 200, patched.get_json()
    org.checkin(plan["id"], NOW + timedelta(days=10), token)  # 11 March, 20:00 in Sydney
    org.checkin(plan["id"], NOW + timedelta(days=40), token)  # beyond four weeks
    step = org.call(
        "POST",
        f"/v1/goals/{routine['id']}/actions",
        token,
        json={
            "title": "Morning walk",
            "frequency": "weekly",
            "weekdays": ["mon"],
            "local_time": "08:00",
            "start_date": "2027-03-01",
        },
    )
    assert step.status_code == 201, step.get_json()

    for shown in _texts(org, plan["id"], token):
        assert "The 4 weeks from 1 March 2027." in shown
        assert "Join a community garden group (proposed; target 30 June 2027)" in shown
        assert "11 March 2027, 20:00, phone, 45 minutes" in shown
        assert "10 April 2027" not in shown
        # Mondays 8, 15, 22 March (1 March, 08:00 in Sydney, is before the report) and 29
        assert "Morning walk (goal: " in shown and "4 times, first 8 March 2027, 08:00" in shown
        assert "Sign-off" in shown and "Coach: Avery Coach" in shown
        assert "Participant: Jordan Rivers" in shown


# -- the HTML and the PDF say the same ----------------------------------------------------


class _Sections(HTMLParser):
    """The page's text under each ``<h2>``, in order."""

    def __init__(self):
        super().__init__()
        self.sections: list[tuple[str, list[str]]] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        self._in_h2 = self._in_h2 or tag == "h2"
        if tag == "h2":
            self.sections.append(("", []))
        if tag == "footer":  # after the last section
            self.sections.append(("(footer)", []))

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if not self.sections:
            return
        title, texts = self.sections[-1]
        if self._in_h2:
            self.sections[-1] = (title + data, texts)
        else:
            texts.append(data)


FOOTER = re.compile(r"Plan review: .*? Confidential\.|Page \d+")


def _pdf_sections(text: str) -> list[tuple[str, str]]:
    """The PDF's text split at the section headings, found in order."""
    text = FOOTER.sub(" ", text)
    starts = []
    for title in SECTIONS:
        at = text.find(title, starts[-1] + 1 if starts else 0)
        assert at != -1, title
        starts.append(at)
    ends = [*starts[1:], len(text)]
    return [(t, text[s + len(t) : e]) for t, s, e in zip(SECTIONS, starts, ends, strict=True)]


def _figures(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


def test_html_and_pdf_have_the_same_sections_in_order_with_the_same_figures(org):
    _coach, client, plan, token, crisis = _a_crisis_and_low_ratings(org)
    assert (
        _quote(org, plan["id"], token, [crisis], summary="Summary for 12 weeks.").status_code == 200
    )
    html = org.call("GET", f"/v1/plans/{plan['id']}/report.html", token).get_data(as_text=True)
    pdf = org.call("GET", f"/v1/plans/{plan['id']}/report.pdf", token).data

    parser = _Sections()
    parser.feed(html)
    html_sections = [
        (t, " ".join(" ".join(x).split())) for t, x in parser.sections if t != "(footer)"
    ]
    pdf_sections = _pdf_sections(_pdf_text(pdf))
    assert [t for t, _ in html_sections] == list(SECTIONS)
    for (title, in_html), (_, in_pdf) in zip(html_sections, pdf_sections, strict=True):
        assert _figures(in_html) == _figures(in_pdf), title
    checkins = dict(pdf_sections)["Check-ins and steps"]
    assert CHECKINS_TABLE in checkins and CHECKIN_NOTES in checkins
    assert "Date Mode Minutes Outcome Wellbeing" in checkins  # the PDF has the table


def test_each_check_in_note_is_printed_once_naming_the_goals_it_discussed(org):
    _coach, _client, plan, token = _report_setup(org)
    html, pdf = _report(org, plan["id"], token)
    for shown in (html, pdf):
        assert shown.count("Went twice") == 1  # a note about both goals
        assert shown.count("Visited the garden open day") == 1
        assert "Discussed at 2 check-ins in the period" in shown  # the garden goal
    assert "(goals discussed: Join a community garden group; <script>" in pdf
    assert "(goals discussed: Join a community garden group; &lt;script&gt;" in html


HEADINGS = {*SECTIONS, CHECKINS_TABLE, CHECKIN_NOTES, "Risk flags", "Open goals"}


def test_no_heading_is_left_alone_at_the_foot_of_a_pdf_page(org, monkeypatch):
    _coach, _client, plan, token, crisis = _a_crisis_and_low_ratings(org)
    drawn = []
    real = report_rendering.report_pdf
    monkeypatch.setattr(report_rendering, "report_pdf", lambda r: drawn.append(r) or real(r))
    org.call("GET", f"/v1/plans/{plan['id']}/report.pdf", token)
    [report] = drawn
    first_page = PdfReader(io.BytesIO(real(report))).pages[0].extract_text()
    assert "Goals" in first_page  # kept with what follows, not pushed to a page of its own

    # a summary of every length from none to two pages moves each later heading past
    # every point of a page
    for lines in range(0, 80, 6):
        summary = "\n".join(f"Summary line {k}." for k in range(lines)) or None
        pdf = real(report | {"notes": report["notes"] | {"summary": summary}})
        for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, start=1):
            body = [
                line.strip()
                for line in page.extract_text().splitlines()
                if line.strip()
                and not FOOTER.fullmatch(line.strip())
                and not line.startswith("Plan review: ")
            ]
            assert body and body[-1] not in HEADINGS, (lines, number, body[-3:])
