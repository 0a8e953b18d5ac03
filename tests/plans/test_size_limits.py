"""How big a plan may grow (``services/plans/limits.py``): goals per plan, steps per
goal, check-ins per plan and the length of every text are refused beyond their limit
with a 422 naming it; a plan that grew larger before the limits still reports, and the
report says what it leaves out."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.plans import limits
from services.plans.models import CheckIn, Goal
from tests.plans.test_coach_view import NOW, ONBOARDED, Org, _pdf_text


@pytest.fixture
def org(plans):
    plans.clock.set(NOW)
    return Org(plans, plans.settings)


@pytest.fixture
def coached(org):
    """A coach's token and their client's plan (drafted with no goals)."""
    coach = org.staff("Avery Coach")
    return org.token(coach), org.plan_of(org.client(coach))


def _refused(reply, field: str, limit: int) -> None:
    assert reply.status_code == 422, reply.data[:300]
    assert reply.content_type == "application/problem+json"
    assert str(limit) in reply.get_json()["errors"][field][0]


def _goal(org, token, plan_id, title="Walk to the shops", **fields):
    body = {"title": title, "domain": "daily_living"} | fields
    return org.call("POST", f"/v1/plans/{plan_id}/goals", token, json=body)


def test_a_plan_takes_its_limit_of_goals_and_refuses_the_next_naming_goals(org, coached):
    token, plan = coached
    for number in range(limits.GOALS_PER_PLAN):
        assert _goal(org, token, plan["id"], f"Goal {number}").status_code == 201
    _refused(_goal(org, token, plan["id"], "One too many"), "goals", limits.GOALS_PER_PLAN)
    goals = org.call("GET", f"/v1/plans/{plan['id']}", token).get_json()["goals"]
    assert len(goals) == limits.GOALS_PER_PLAN


def test_a_goal_takes_its_limit_of_steps_and_refuses_the_next_naming_actions(org, coached):
    token, plan = coached
    first, second = (_goal(org, token, plan["id"]).get_json()["id"] for _ in range(2))
    step = {"title": "Ring the library", "frequency": "once", "due_at": NOW.isoformat()}
    for _ in range(limits.STEPS_PER_GOAL):
        assert org.call("POST", f"/v1/goals/{first}/actions", token, json=step).status_code == 201
    refused = org.call("POST", f"/v1/goals/{first}/actions", token, json=step)
    _refused(refused, "actions", limits.STEPS_PER_GOAL)
    # the limit is per goal: the plan's other goal still takes steps
    assert org.call("POST", f"/v1/goals/{second}/actions", token, json=step).status_code == 201


def test_a_plan_takes_its_limit_of_checkins_and_refuses_the_next_naming_checkins(org, coached):
    token, plan = coached
    _insert_checkins(org, plan, limits.CHECKINS_PER_PLAN - 1)
    body = {"starts_at": NOW.isoformat(), "duration_minutes": 45, "mode": "phone"}
    path = f"/v1/plans/{plan['id']}/checkins"
    assert org.call("POST", path, token, json=body).status_code == 201
    _refused(org.call("POST", path, token, json=body), "checkins", limits.CHECKINS_PER_PLAN)


@pytest.mark.parametrize(
    ("what", "field", "limit"),
    [
        ("goal", "title", limits.TITLE_LENGTH),
        ("goal", "description", limits.TEXT_LENGTH),
        ("goal", "measure_of_success", limits.TEXT_LENGTH),
        ("step", "title", limits.TITLE_LENGTH),
        ("record", "notes", limits.TEXT_LENGTH),
        ("record", "next_steps", limits.TEXT_LENGTH),
    ],
)
def test_each_text_is_taken_up_to_its_limit_and_refused_beyond_naming_the_field(
    org, coached, what, field, limit
):
    token, plan = coached

    def write(text: str):
        if what == "goal":
            return _goal(org, token, plan["id"], **{field: text})
        goal = _goal(org, token, plan["id"]).get_json()["id"]
        if what == "step":
            step = {"title": text, "frequency": "once", "due_at": NOW.isoformat()}
            return org.call("POST", f"/v1/goals/{goal}/actions", token, json=step)
        checkin = org.checkin(plan["id"], NOW - timedelta(days=1), token)
        record = {"attended": True, field: text}
        return org.call("POST", f"/v1/checkins/{checkin['id']}/record", token, json=record)

    assert write("a" * limit).status_code in (200, 201)
    refused = write("a" * (limit + 1))
    assert refused.status_code == 422 and field in refused.get_json()["errors"]


def test_onboarding_drafts_at_most_the_goal_limit_from_intakes_aspirations(org, plans):
    aspirations = [
        {"domain": "social_connection", "text": f"Aspiration {n}"}
        for n in range(limits.GOALS_PER_PLAN + 5)
    ]
    plan = org.plan_of(org.client(org.staff("Avery Coach"), aspirations=aspirations))
    assert [g["title"] for g in plan["goals"]] == [
        f"Aspiration {n}" for n in range(limits.GOALS_PER_PLAN)
    ]
    created = plans.published("plan.created")[-1]
    assert created["data"]["goal_count"] == limits.GOALS_PER_PLAN


# -- a plan that grew larger before the limits ---------------------------------------------


def _insert_goals(org, plan, count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    with org.system.runtimes["plans"].session_factory() as session:
        session.add_all(
            Goal(
                id=goal_id,
                tenant_id=org.tenant_id,
                plan_id=plan["id"],
                position=position,
                title=f"Goal #{position}.",
                domain="housing",
                status="active",
                priority="medium",
                progress=10,
            )
            for position, goal_id in enumerate(ids, start=1)
        )
        session.commit()
    return ids


def _insert_checkins(org, plan, count: int, notes_about=None) -> None:
    """``count`` attended check-ins, an hour apart; check-in ``k`` noting
    ``notes_about(k)`` (a goal id) when given."""
    with org.system.runtimes["plans"].session_factory() as session:
        session.add_all(
            CheckIn(
                tenant_id=org.tenant_id,
                plan_id=plan["id"],
                starts_at=ONBOARDED + timedelta(days=1, hours=k),
                duration_minutes=45,
                mode="phone",
                status="recorded",
                attended=True,
                notes=f"Session note #{k}." if notes_about else None,
                goals_discussed=[str(notes_about(k))] if notes_about else None,
            )
            for k in range(count)
        )
        session.commit()


def test_a_report_of_a_plan_over_the_limits_draws_the_first_goals_and_the_newest_notes(
    org, coached
):
    token, plan = coached
    goals = _insert_goals(org, plan, limits.GOALS_PER_PLAN + 5)
    # check-in k < 30 notes goal k; the twenty after it all note the first goal
    _insert_checkins(org, plan, 50, notes_about=lambda k: goals[k] if k < 30 else goals[0])
    # shown: the 40 newest notes (check-ins 10..49), each once, whatever goals they noted
    assert limits.NOTES_PER_REPORT == 40

    page = org.call("GET", f"/v1/plans/{plan['id']}/report.html", token).get_data(as_text=True)
    pdf = _pdf_text(org.call("GET", f"/v1/plans/{plan['id']}/report.pdf", token).data)
    for shown in (page, pdf):
        assert "Goal #30." in shown and "Goal #31." not in shown
        assert "5 more goals are not shown" in shown
        assert shown.count("Session note #") == limits.NOTES_PER_REPORT
        assert "Session note #9." not in shown and "Session note #10." in shown
        assert "Session note #49." in shown
        assert "10 earlier notes not shown" in shown
        assert "Discussed at 21 check-ins in the period" in shown  # the first goal


def test_the_plans_api_documents_its_limits(org):
    described = org.web.get("/openapi.json").get_json()["info"]["description"]
    for limit in (
        f"at most {limits.GOALS_PER_PLAN} goals",
        f"a goal at most {limits.STEPS_PER_GOAL} action steps",
        f"at most {limits.CHECKINS_PER_PLAN} check-ins",
        f"at most {limits.TITLE_LENGTH} characters",
        "half of those slots",
    ):
        assert limit in described, limit
