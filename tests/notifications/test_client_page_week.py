"""The client's own page as the client lives their week: today's and earlier steps can be
marked done, later ones are shown but refused; the latest Done can be undone for ten
minutes (and plans is told, to reopen the step); a new rating replaces today's; their
last four weeks of ratings, their open goals with their progress, their coach and where
to get help are on the page; a rating link lets them pick another number."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from services.notifications.client_web.models import ClientRating
from services.notifications.digest.models import ClientGoal
from services.notifications.models import Nudge
from tests.support.client_links import (
    assert_private_page,
    links,
    received_replies,
    replied,
    send_mood_prompt,
)

HELP_CONTACT = "02 9999 0000"
# The harness's clock: Wed 1 July 2026, 12:00 in Sydney.


def _client(n, smtp):
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
    [page] = links(smtp.messages[-1], "/me/")
    return tenant, client, page


def _step(n, tenant, client, title, due_in: timedelta):
    action_id, key = n.schedule_step(tenant, client, title=title, due_in=due_in)
    return {"action_id": action_id, "occurrence_key": key}


def _shown(n, page) -> str:
    reply = n.http.get(page)
    assert reply.status_code == 200
    assert_private_page(reply)
    return reply.get_data(as_text=True)


def _done_buttons(html: str) -> list[str]:
    return re.findall(r'aria-label="Mark (.+?) done"', html)


def _rate(n, page, rating: int):
    posted = n.http.post(page + "/mood", data={"rating": str(rating), "form_id": uuid.uuid4()})
    assert posted.status_code == 303, posted.get_data(as_text=True)


def test_a_later_days_step_is_shown_but_cannot_be_marked_done(notifications, smtp):
    n = notifications
    tenant, client, page = _client(n, smtp)
    _step(n, tenant, client, "Morning walk", timedelta(hours=-2))  # today, 10:00
    tomorrow = _step(n, tenant, client, "Call my sister", timedelta(days=1))

    shown = _shown(n, page)
    assert "Call my sister" in shown
    assert _done_buttons(shown) == ["Morning walk (Wed 01 Jul, 10:00)"]
    assert "Coming up: you can mark it done on the day." in shown

    refused = n.http.post(page + "/done", data=tomorrow)
    assert refused.status_code == 422
    assert "That step is not due yet" in refused.get_data(as_text=True)
    assert received_replies(n) == 0 and replied(n) == []


def test_the_latest_done_can_be_undone_for_ten_minutes_and_plans_is_told(notifications, smtp):
    n = notifications
    tenant, client, page = _client(n, smtp)
    walk = _step(n, tenant, client, "Morning walk", timedelta(hours=-2))
    assert n.http.post(page + "/done", data=walk).status_code == 303
    shown = _shown(n, page)
    assert _done_buttons(shown) == []
    assert 'aria-label="Undo Done for Morning walk (Wed 01 Jul, 10:00)"' in shown

    n.clock.advance(minutes=9)
    undone = n.http.post(page + "/undo", data=walk)
    assert undone.status_code == 303 and undone.headers["Location"].endswith("noted=undone")
    shown = _shown(n, undone.headers["Location"])
    assert "Undone - that step is no longer marked done." in shown
    assert "your coach" not in shown.split("Undone")[1].split("</p>")[0]
    assert _done_buttons(shown) == ["Morning walk (Wed 01 Jul, 10:00)"]
    assert received_replies(n) == 0
    [done] = replied(n)
    [withdrawn] = [e["data"] for e in n.outbox_events("action.completion_withdrawn")]
    assert withdrawn == {
        "reply_id": done["reply_id"],
        "client_id": str(client),
        "action_id": str(walk["action_id"]),
        "occurrence_key": walk["occurrence_key"],
        "withdrawn_at": n.clock().isoformat(),
    }


def test_a_done_older_than_ten_minutes_cannot_be_undone(notifications, smtp):
    n = notifications
    tenant, client, page = _client(n, smtp)
    walk = _step(n, tenant, client, "Morning walk", timedelta(hours=-2))
    assert n.http.post(page + "/done", data=walk).status_code == 303
    n.clock.advance(minutes=11)
    assert "Undo Done" not in _shown(n, page)

    refused = n.http.post(page + "/undo", data=walk)
    assert refused.status_code == 409
    assert received_replies(n) == 1
    assert n.outbox_events("action.completion_withdrawn") == []
    assert _done_buttons(_shown(n, page)) == []


def test_only_the_latest_done_can_be_undone(notifications, smtp):
    n = notifications
    tenant, client, page = _client(n, smtp)
    walk = _step(n, tenant, client, "Morning walk", timedelta(hours=-2))
    tea = _step(n, tenant, client, "Tea with a friend", timedelta(hours=-1))
    assert n.http.post(page + "/done", data=walk).status_code == 303
    n.clock.advance(minutes=1)
    assert n.http.post(page + "/done", data=tea).status_code == 303

    assert n.http.post(page + "/undo", data=walk).status_code == 409
    assert n.http.post(page + "/undo", data=tea).status_code == 303
    assert received_replies(n) == 1


def test_a_new_rating_replaces_todays_as_a_new_mood_reply(notifications, smtp):
    n = notifications
    _tenant, _client_id, page = _client(n, smtp)
    _rate(n, page, 4)
    n.clock.advance(hours=1)
    _rate(n, page, 7)

    shown = _shown(n, page)
    assert "Today you said 7 out of 10. A new number replaces it." in shown
    assert '<option value="7" selected>' in shown
    rows = re.findall(r'<th scope="row">(.+?)</th>.*?</span> (\d+)</td>', shown)
    assert rows == [("Wed 01 Jul", "7")]
    assert [(r["intent"], r["rating"]) for r in replied(n)] == [("mood", 4), ("mood", 7)]


def test_the_page_shows_the_last_four_weeks_of_ratings_newest_first(notifications, smtp):
    n = notifications
    _tenant, _client_id, page = _client(n, smtp)
    for days_ago, rating in [(30, 2), (27, 3), (8, 5), (1, 6)]:
        n.clock.advance(days=-days_ago)
        _rate(n, page, rating)
        n.clock.advance(days=days_ago)

    shown = _shown(n, page)
    assert "<caption>Your ratings, last four weeks</caption>" in shown
    rows = re.findall(r'<th scope="row">(.+?)</th>.*?</span> (\d+)</td>', shown)
    assert rows == [("Tue 30 Jun", "6"), ("Tue 23 Jun", "5"), ("Thu 04 Jun", "3")]
    assert "Today you said" not in shown


def test_the_page_names_the_coach_the_progress_and_where_to_get_help(notifications, smtp):
    n = notifications
    tenant, client, page = _client(n, smtp)
    walk = _step(n, tenant, client, "Morning walk", timedelta(hours=-2))
    _step(n, tenant, client, "Call my sister", timedelta(days=1))
    n.event(
        "goal.achieved",
        tenant,
        {
            "goal_id": uuid.uuid4(),
            "plan_id": uuid.uuid4(),
            "client_id": client,
            "title": "Sleep through the night",
            "domain": "physical_health",
        },
    )
    assert n.http.post(page + "/done", data=walk).status_code == 303

    shown = _shown(n, page)
    assert "Your coach is Casey Coach." in shown
    assert "This week: 1 of 2 steps done." in shown
    assert "<li>Sleep through the night</li>" in shown
    assert 'Harbour Recovery Services: <a href="tel:0299990000">02 9999 0000</a>' in shown
    assert '<a href="tel:131114">13 11 14</a>' in shown


def test_a_rating_link_offers_all_ten_numbers_and_records_the_one_chosen(notifications, smtp):
    n = notifications
    tenant, client, _page = _client(n, smtp)
    send_mood_prompt(n, tenant, client)
    five = links(smtp.messages[-1], "/r/")[4]

    shown = n.http.get(five).get_data(as_text=True)
    buttons = re.findall(r'<button type="submit" name="rating" value="(\d+)"([^>]*)>', shown)
    assert [int(value) for value, _ in buttons] == list(range(1, 11))
    assert [value for value, attrs in buttons if 'aria-current="true"' in attrs] == ["5"]
    assert received_replies(n) == 0

    chosen = n.http.post(five, data={"rating": "8"})
    assert "Noted: 8 out of 10." in chosen.get_data(as_text=True)
    assert [(r["intent"], r["rating"]) for r in replied(n)] == [("mood", 8)]


def test_erasing_the_client_deletes_their_ratings(notifications, smtp):
    n = notifications
    tenant, client, page = _client(n, smtp)
    _rate(n, page, 6)
    n.event("client.erased", tenant, {"client_id": client})
    with n.runtime.session_factory() as session:
        kept = session.scalar(
            select(func.count()).select_from(ClientRating).where(ClientRating.client_id == client)
        )
    assert kept == 0


def test_ratings_older_than_the_page_shows_are_let_go_as_a_new_one_comes(notifications, smtp):
    n = notifications
    _tenant, client, page = _client(n, smtp)
    n.clock.advance(days=-29)
    _rate(n, page, 3)
    n.clock.advance(days=29)
    _rate(n, page, 8)
    with n.runtime.session_factory() as session:
        kept = session.scalars(select(ClientRating.rating).where(ClientRating.client_id == client))
        assert list(kept) == [8]


def _goal(n, tenant, client, goal_id, event_type="goal.updated", **changes):
    n.event(
        event_type,
        tenant,
        {
            "goal_id": goal_id,
            "plan_id": uuid.uuid4(),
            "client_id": client,
            "title": "Walk to the shops",
            "domain": "physical_health",
            "status": "active",
            "progress": 0,
        }
        | changes,
    )


def test_the_page_shows_each_open_goal_with_its_progress(notifications, smtp):
    n = notifications
    tenant, client, page = _client(n, smtp)
    shops, garden, sleep = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    _goal(n, tenant, client, shops, "goal.created", status="proposed")
    _goal(n, tenant, client, garden, "goal.created", title="Join a garden group")
    _goal(n, tenant, client, sleep, "goal.created", title="Sleep through the night")
    n.clock.advance(minutes=1)
    _goal(n, tenant, client, shops, progress=40)
    _goal(n, tenant, client, garden, title="Join the garden group", status="on_hold", progress=10)
    _goal(n, tenant, client, sleep, title="Sleep through the night", status="cancelled")

    shown = _shown(n, page)
    assert "Goals you are working on:" in shown
    goals = re.findall(
        r'<span id="(goal-\d+)">(.+?)</span>(.*?):\s*'
        r'<progress aria-labelledby="(goal-\d+)" max="100" value="(\d+)">\d+%</progress>\s*'
        r"(\d+)% of the way",
        shown,
    )
    assert [(title, note, value, text) for _, title, note, _, value, text in goals] == [
        ("Walk to the shops", "", "40", "40"),
        ("Join the garden group", " (on hold)", "10", "10"),
    ]
    assert all(label == labelled for label, _, _, labelled, _, _ in goals)
    assert "Sleep through the night" not in shown


def test_a_late_goal_event_does_not_undo_a_newer_one(notifications, smtp):
    n = notifications
    tenant, client, page = _client(n, smtp)
    shops = uuid.uuid4()
    n.clock.advance(minutes=5)
    _goal(n, tenant, client, shops, progress=60)
    n.clock.advance(minutes=-10)
    _goal(n, tenant, client, shops, progress=20)  # sent earlier, delivered later
    n.clock.advance(minutes=5)

    assert '<progress aria-labelledby="goal-1" max="100" value="60">' in _shown(n, page)


def test_a_reached_goal_leaves_the_open_goals_for_the_goals_reached(notifications, smtp):
    n = notifications
    tenant, client, page = _client(n, smtp)
    shops = uuid.uuid4()
    _goal(n, tenant, client, shops, progress=80)
    n.clock.advance(minutes=1)
    _goal(n, tenant, client, shops, status="achieved", progress=100)
    _goal(n, tenant, client, shops, "goal.achieved", status="achieved", progress=100)

    shown = _shown(n, page)
    assert "Goals you are working on:" not in shown
    assert "<li>Walk to the shops</li>" in shown


def test_erasing_the_client_deletes_their_goals_and_a_late_goal_event_brings_none_back(
    notifications, smtp
):
    n = notifications
    tenant, client, _page = _client(n, smtp)
    shops = uuid.uuid4()
    _goal(n, tenant, client, shops, progress=40)
    n.event("client.erased", tenant, {"client_id": client})
    n.clock.advance(minutes=1)
    _goal(n, tenant, client, shops, progress=50)
    with n.runtime.session_factory() as session:
        kept = session.scalar(
            select(func.count()).select_from(ClientGoal).where(ClientGoal.client_id == client)
        )
    assert kept == 0


def test_a_step_reopened_by_plans_gets_its_reminder_back_if_still_ahead(notifications, smtp):
    n = notifications
    tenant, client, _page = _client(n, smtp)
    action_id, due_at = uuid.uuid4(), n.clock() + timedelta(hours=6)  # 18:00 today
    occurrence = {
        "action_id": action_id,
        "goal_id": uuid.uuid4(),
        "plan_id": uuid.uuid4(),
        "client_id": client,
        "title": "Evening walk",
        "occurrence_key": "2026-07-01T18:00",
        "due_at": due_at,
        "timezone": "Australia/Sydney",
        "reminder_lead_minutes": 60,
    }
    n.event("action.scheduled", tenant, occurrence)
    n.event("action.completed", tenant, occurrence)
    assert _reminder_state(n, action_id) == "cancelled"

    n.event("action.scheduled", tenant, occurrence)  # plans reopened it: the client's undo
    assert _reminder_state(n, action_id) == "scheduled"


def _reminder_state(n, action_id) -> str:
    with n.runtime.session_factory() as session:
        return session.scalar(
            select(Nudge.state).where(
                Nudge.kind == "action_reminder", Nudge.subject_id == action_id
            )
        )
