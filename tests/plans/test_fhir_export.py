"""The care record as FHIR R4 (``GET /v1/plans/{id}/fhir``): a Bundle every validator
accepts (the R4B models, the official JSON Schema, the FHIRPath invariants, references
resolving), the same on every export, each resource type as its golden file; the client's
words only when asked for; scoped like every endpoint."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.plans.fhir.care_record import CAREPLAN_STATUS
from shared import fhir
from tests.plans.test_coach_view import NOW, Org
from tests.support import builders
from tests.support.fhir import (
    assert_matches_golden,
    assert_valid_bundle,
    invariant_failures,
    resources_of,
    schema_errors,
)
from tests.support.plans import deliver

JOURNAL_WORDS = "Went to the garden group on my own today"
CRISIS_WORDS = "I can't keep going, tonight is too much"


@pytest.fixture
def org(plans):
    plans.clock.set(NOW)
    return Org(plans, plans.settings)


def _ok(reply, status=200) -> dict:
    assert reply.status_code == status, reply.get_json()
    return reply.get_json()


def _reply(org, client_id, at: datetime, intent: str, channel="sms", **fields) -> None:
    deliver(
        org.system,
        "client.replied",
        org.tenant_id,
        builders.client_replied(client_id, at, intent, channel=channel, **fields),
        producer="notifications",
    )


def _care_record(org):
    """A coach's client with an active plan: two goals (one dated, one achieved), a daily,
    a weekly and a one-off step (the one-off done), a check-in rated 7, and the client's
    mood, journal entry and crisis message."""
    clock = org.system.runtimes["plans"].clock
    coach = org.staff("Avery Coach")
    client = org.client(
        coach,
        given="Jordan",
        family="Rivers",
        reference="NDIS-430012345",
        aspirations=[
            {"domain": "social_connection", "text": "Join a community garden group"},
            {"domain": "daily_living", "text": "A steady morning routine"},
        ],
    )
    token = org.token(coach)
    plan = org.plan_of(client, token)
    garden, routine = plan["goals"]
    _ok(org.call("PATCH", f"/v1/plans/{plan['id']}", token, json={"status": "active"}))
    _ok(org.call("PATCH", f"/v1/goals/{garden['id']}", token, json={
        "status": "active", "target_date": "2027-06-30", "priority": "high", "progress": 40,
        "measure_of_success": "Goes to the group twice a month",
    }))  # fmt: skip
    _ok(org.call("PATCH", f"/v1/goals/{routine['id']}", token, json={"status": "active"}))
    _ok(org.call("PATCH", f"/v1/goals/{routine['id']}", token, json={"status": "achieved"}))
    steps = [
        {"title": "Water the seedlings", "frequency": "daily", "local_time": "08:00",
         "start_date": "2027-03-02", "end_date": "2027-05-31"},
        {"title": "Garden group", "frequency": "weekly", "weekdays": ["thu", "mon"],
         "local_time": "10:30", "start_date": "2027-03-02"},
        {"title": "Call the garden coordinator", "frequency": "once",
         "due_at": "2027-03-03T23:00:00Z"},
    ]  # fmt: skip
    made = []
    for minutes, step in enumerate(steps, start=1):
        clock.set(NOW + timedelta(minutes=minutes))  # created in this order
        made.append(
            _ok(org.call("POST", f"/v1/goals/{garden['id']}/actions", token, json=step), 201)
        )
    clock.set(datetime(2027, 3, 4, 1, 0, tzinfo=UTC))
    _ok(org.call("POST", f"/v1/actions/{made[2]['id']}/complete", token, json={}))
    org.checkin(plan["id"], datetime(2027, 3, 3, 0, tzinfo=UTC), token, attended=True,
                wellbeing=7, notes="Talked about the garden group")  # fmt: skip
    _reply(org, client, datetime(2027, 3, 4, 9, tzinfo=UTC), "mood", rating=6)
    _reply(org, client, datetime(2027, 3, 5, 9, tzinfo=UTC), "journal", "email", text=JOURNAL_WORDS)
    _reply(org, client, datetime(2027, 3, 6, 11, tzinfo=UTC), "crisis", text=CRISIS_WORDS)
    clock.set(datetime(2027, 3, 7, 9, 0, tzinfo=UTC))
    return coach, client, plan, token


def _export(org, plan_id, token, query="") -> dict:
    reply = org.call("GET", f"/v1/plans/{plan_id}/fhir{query}", token)
    assert reply.status_code == 200, reply.get_json()
    assert reply.mimetype == "application/fhir+json"
    assert reply.headers["Cache-Control"] == "no-store"
    return reply.get_json(force=True)


def test_the_care_record_passes_every_validator_and_matches_its_golden_files(org):
    _coach, _client, plan, token = _care_record(org)
    bundle = _export(org, plan["id"], token, "?include=communications")

    assert_valid_bundle(bundle)
    assert bundle["type"] == "collection"
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {
        "CarePlan", "Goal", "Task", "Observation", "Communication", "Patient", "Practitioner",
        "Organization", "CareTeam",
    }  # fmt: skip
    assert_matches_golden(bundle, "plans")


def test_the_same_record_exported_twice_has_the_same_full_urls(org):
    _coach, _client, plan, token = _care_record(org)
    first = _export(org, plan["id"], token, "?include=communications")
    org.system.runtimes["plans"].clock.set(datetime(2027, 3, 8, 9, 0, tzinfo=UTC))
    again = _export(org, plan["id"], token, "?include=communications")
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in again["entry"]]
    assert first["id"] == again["id"]


def test_the_plan_its_goals_and_steps_say_what_the_coach_set(org):
    _coach, client, plan, token = _care_record(org)
    bundle = _export(org, plan["id"], token)
    [care_plan] = resources_of(bundle, "CarePlan")
    assert (care_plan["status"], care_plan["intent"]) == ("active", "plan")
    assert care_plan["period"] == {"start": "2026-12-31"}  # drafted 31 Dec in Sydney
    daily, weekly, once = (a["detail"] for a in care_plan["activity"])
    zone = [{"url": fhir.TIMEZONE_EXTENSION, "valueCode": "Australia/Sydney"}]
    assert daily["scheduledTiming"] == {"extension": zone, "repeat": {
        "boundsPeriod": {"start": "2027-03-02", "end": "2027-05-31"},
        "frequency": 1, "period": 1, "periodUnit": "d", "timeOfDay": ["08:00:00"]}}  # fmt: skip
    assert weekly["scheduledTiming"]["repeat"]["dayOfWeek"] == ["mon", "thu"]
    assert weekly["scheduledTiming"]["repeat"]["timeOfDay"] == ["10:30:00"]
    assert once["scheduledTiming"] == {"extension": zone, "event": ["2027-03-03T23:00:00Z"]}
    assert (daily["status"], once["status"]) == ("scheduled", "completed")
    goals = resources_of(bundle, "Goal")
    assert [g["lifecycleStatus"] for g in goals] == ["active", "completed"]
    assert goals[0]["target"][0]["dueDate"] == "2027-06-30"
    assert goals[0]["category"][0]["coding"][0] == {
        "system": fhir.code_system("life-domain"), "code": "social_connection",
        "display": "Social connection",
    }  # fmt: skip
    assert goals[1]["achievementStatus"]["coding"][0]["code"] == "achieved"
    assert {g["description"]["text"] for g in goals} == {
        "Join a community garden group",
        "A steady morning routine",
    }
    [task] = resources_of(bundle, "Task")
    assert task["basedOn"] == [fhir.reference(care_plan)]
    assert (task["status"], task["description"]) == ("completed", "Call the garden coordinator")
    [patient] = resources_of(bundle, "Patient")
    assert {"system": fhir.identifier_system("client-id"), "value": client} in patient["identifier"]
    assert patient["name"][0] == {"use": "official", "family": "Rivers", "given": ["Jordan"]}


def test_wellbeing_from_a_check_in_and_the_clients_own_rating_are_told_apart(org):
    _coach, _client, plan, token = _care_record(org)
    bundle = _export(org, plan["id"], token)
    coach = fhir.reference(resources_of(bundle, "Practitioner")[0])
    patient = fhir.reference(resources_of(bundle, "Patient")[0])
    observed = {o["code"]["coding"][0]["code"]: o for o in resources_of(bundle, "Observation")}
    assert set(observed) == {"checkin-wellbeing", "client-mood"}
    for observation in observed.values():
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert observation["code"]["text"]
    checkin, mood = observed["checkin-wellbeing"], observed["client-mood"]
    assert (checkin["valueInteger"], checkin["performer"]) == (7, [coach])
    assert checkin["effectiveDateTime"] == "2027-03-03T00:00:00Z"
    assert (mood["valueInteger"], mood["performer"]) == (6, [patient])
    assert mood["effectiveDateTime"] == "2027-03-04T09:00:00Z"
    # the check-in's notes never leave plans
    assert "Talked about the garden group" not in str(bundle)


def test_the_clients_words_only_when_asked_for_and_marked_restricted(org):
    _coach, _client, plan, token = _care_record(org)
    plain = _export(org, plan["id"], token)
    assert resources_of(plain, "Communication") == []
    assert JOURNAL_WORDS not in str(plain) and CRISIS_WORDS not in str(plain)

    bundle = _export(org, plan["id"], token, "?include=communications")
    said = {c["category"][0]["coding"][0]["code"]: c for c in resources_of(bundle, "Communication")}
    assert set(said) == {"journal", "crisis"}
    assert said["journal"]["payload"] == [{"contentString": JOURNAL_WORDS}]
    assert said["crisis"]["payload"] == [{"contentString": CRISIS_WORDS}]
    assert said["crisis"]["priority"] == "urgent"
    assert said["journal"]["medium"][0]["coding"][0]["code"] == "EMAILWRIT"
    for communication in said.values():
        assert communication["meta"]["security"] == [fhir.RESTRICTED]
    assert bundle["meta"]["security"] == [fhir.RESTRICTED]
    # an org admin reads the journal too
    admin = org.token(role="org_admin")
    assert len(resources_of(_export(org, plan["id"], admin, "?include=communications"),
                            "Communication")) == 2  # fmt: skip


@pytest.mark.parametrize("plan_status", sorted(CAREPLAN_STATUS))
def test_every_plan_status_maps_to_a_care_plan_status_the_schema_accepts(org, plan_status):
    coach = org.staff("Avery Coach")
    client = org.client(coach)
    token = org.token(coach)
    plan = org.plan_of(client, token)
    for status in {
        "draft": [], "active": ["active"], "under_review": ["active", "under_review"],
        "completed": ["active", "under_review", "completed"], "closed": [],
    }[plan_status]:  # fmt: skip
        _ok(org.call("PATCH", f"/v1/plans/{plan['id']}", token, json={"status": status}))
    if plan_status == "closed":
        deliver(org.system, "client.discharged", org.tenant_id,
                builders.client_discharged(client, NOW))  # fmt: skip
    bundle = _export(org, plan["id"], token)
    [care_plan] = resources_of(bundle, "CarePlan")
    assert care_plan["status"] == CAREPLAN_STATUS[plan_status]
    assert schema_errors(bundle) == [] and invariant_failures(bundle) == []


# -- the validators catch what they are meant to -------------------------------------------


def test_the_validators_refuse_a_broken_bundle(org):
    _coach, _client, plan, token = _care_record(org)
    bundle = _export(org, plan["id"], token)
    [care_plan] = resources_of(bundle, "CarePlan")
    care_plan["activity"][0]["reference"] = {"reference": "urn:uuid:" + str(uuid.uuid4())}
    bundle["entry"].append(dict(bundle["entry"][1]))
    failures = invariant_failures(bundle)
    assert any("cpl-3" in f for f in failures)
    assert any("bdl-7" in f for f in failures)
    assert any("resolves to no entry" in f for f in failures)
    del care_plan["subject"]
    care_plan["created"] = "yesterday"
    errors = schema_errors(bundle)
    assert any("'subject' is a required property" in e for e in errors), errors
    assert any(e.startswith("CarePlan/created") for e in errors), errors


# -- who may export -----------------------------------------------------------------------


def test_another_coach_another_organisation_and_an_erased_client_get_404(org, plans):
    _coach, client, plan, token = _care_record(org)
    path = f"/v1/plans/{plan['id']}/fhir"
    colleague = org.token(org.staff("Blake Coach"))
    assert org.call("GET", path, colleague).status_code == 404
    other = Org(plans, plans.settings, name="Elsewhere")
    assert other.call("GET", path, other.token(role="org_admin")).status_code == 404
    assert org.web.get(path).status_code == 401
    bad = org.call("GET", path + "?include=everything", token)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert "include" in str(bad.get_json())

    deliver(org.system, "client.erased", org.tenant_id,
            {"client_id": client})  # fmt: skip
    for who in (token, org.token(role="org_admin")):
        gone = org.call("GET", path + "?include=communications", who)
        assert gone.status_code == 404 and gone.mimetype == "application/problem+json"


def test_an_unknown_plan_is_404(org):
    token = org.token(role="org_admin")
    assert org.call("GET", f"/v1/plans/{uuid.uuid4()}/fhir", token).status_code == 404


def test_a_plan_without_names_or_steps_still_validates(org):
    coach = uuid.uuid4()  # a coach plans has not heard of: no name
    client = org.client(coach)
    bundle = _export(org, org.plan_of(client)["id"], org.token(role="org_admin"))
    assert_valid_bundle(bundle)
    assert "name" not in resources_of(bundle, "Practitioner")[0]
    assert date.fromisoformat(resources_of(bundle, "CarePlan")[0]["period"]["start"])
