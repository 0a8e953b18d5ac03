"""A plan as FHIR R4 resources: pure functions over the rows its use case read.

The mapping (docs/fhir.md): the plan is a ``CarePlan`` whose status follows the plan's
lifecycle; each goal a ``Goal`` (life domain as its category); each action step an
``activity.detail`` with its schedule as a ``Timing`` in the client's timezone; each
completed occurrence a ``Task`` based on the CarePlan; each recorded check-in wellbeing
and each mood the client sent an ``Observation`` (told apart by code and performer); the
client's journal and crisis replies ``Communication``s marked restricted, only when asked
for. Check-in notes never leave plans.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from services.plans.models import (
    ActionStep,
    CheckIn,
    ClientProfile,
    Goal,
    JournalEntry,
    RecoveryPlan,
)
from shared import fhir
from shared.domains import LIFE_DOMAINS
from shared.localtime import WEEKDAYS

CAREPLAN_STATUS = {
    "draft": "draft",
    "active": "active",
    # a review is part of an active plan's life: it stays in force meanwhile
    "under_review": "active",
    "completed": "completed",
    "closed": "revoked",
}
GOAL_LIFECYCLE = {
    "proposed": "proposed",
    "active": "active",
    "on_hold": "on-hold",
    "achieved": "completed",
    "cancelled": "cancelled",
}
GOAL_ACHIEVEMENT = {"achieved": "achieved", "cancelled": "not-achieved"}
GOAL_PRIORITY = {"high": "high-priority", "medium": "medium-priority", "low": "low-priority"}
ACTIVITY_STATUS = {"open": "scheduled", "completed": "completed", "cancelled": "cancelled"}
# v3 ParticipationMode: how the client's words reached us.
MEDIUM = {
    "sms": ("ELECTRONIC", "electronic data", "SMS"),
    "email": ("EMAILWRIT", "email", "Email"),
    "web": ("ONLINEWRIT", "online written", "The client's page"),
}
PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
GOAL_ACHIEVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/goal-achievement"
GOAL_PRIORITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/goal-priority"
COMMUNICATED_INTENTS = ("journal", "crisis")
# Completions exported at most, the most recent: years of daily steps.
TASKS_EXPORTED = 2000
DOMAIN_WORDS = {domain: domain.replace("_", " ").capitalize() for domain in LIFE_DOMAINS}


@dataclass(frozen=True)
class CareRecord:
    """What one plan's export holds, as read in its use case."""

    plan: RecoveryPlan
    goals: list[Goal]
    steps: list[ActionStep]
    checkins: list[CheckIn]
    replies: list[JournalEntry]
    profile: ClientProfile | None
    coach_name: str | None
    organisation_name: str | None
    include_communications: bool


class _Ids:
    """Stable ids of one organisation's resources."""

    def __init__(self, tenant_id: uuid.UUID):
        self.tenant_id = tenant_id

    def __call__(self, resource_type: str, key: object) -> str:
        return fhir.resource_id(self.tenant_id, resource_type, key)


def care_record_bundle(record: CareRecord, now: datetime) -> dict:
    """The plan's care record as a FHIR R4 Bundle of type ``collection``."""
    plan = record.plan
    ids = _Ids(plan.tenant_id)
    organisation = _organisation(ids, plan, record.organisation_name)
    patient = _patient(ids, plan, record.profile, organisation)
    coach = _practitioner(ids, plan, record.coach_name)
    team = _care_team(ids, plan, patient, coach, organisation)
    goals = [_goal(ids, plan, goal, patient, coach) for goal in record.goals]
    goal_refs = {
        goal.id: fhir.reference(resource)
        for goal, resource in zip(record.goals, goals, strict=True)
    }
    care_plan = _care_plan(ids, plan, record.steps, goal_refs, patient, coach, team)
    tasks = [
        _task(ids, plan, step, occurrence, care_plan, patient)
        for step, occurrence in _completions(record.steps)
    ]
    observations = [
        _checkin_wellbeing(ids, plan, checkin, patient, coach, care_plan)
        for checkin in record.checkins
        if checkin.wellbeing is not None
    ] + [
        _client_mood(ids, plan, reply, patient, care_plan)
        for reply in record.replies
        if reply.intent == "mood" and reply.rating is not None
    ]
    communications = []
    if record.include_communications:
        communications = [
            _communication(ids, plan, reply, patient, coach)
            for reply in record.replies
            if reply.intent in COMMUNICATED_INTENTS and reply.text
        ]
    resources = [
        care_plan,
        patient,
        coach,
        organisation,
        team,
        *goals,
        *tasks,
        *observations,
        *communications,
    ]
    bundle = fhir.collection(plan.tenant_id, f"plan/{plan.id}", now, resources)
    if communications:
        bundle["meta"]["security"] = [fhir.RESTRICTED]
    return bundle


def _completions(steps: list[ActionStep]) -> list[tuple]:
    """The completed occurrences, the :data:`TASKS_EXPORTED` most recent, in the order
    they were done."""
    done = [
        (step, occurrence)
        for step in steps
        for occurrence in step.occurrences
        if occurrence.status == "completed"
    ]
    done.sort(key=lambda pair: (pair[1].completed_at or pair[1].due_at, pair[1].occurrence_key))
    return done[-TASKS_EXPORTED:]


# -- who ----------------------------------------------------------------------------------


def _identifier(name: str, value: object) -> dict:
    return {"system": fhir.identifier_system(name), "value": str(value)}


def _organisation(ids: _Ids, plan: RecoveryPlan, name: str | None) -> dict:
    resource = {
        "resourceType": "Organization",
        "id": ids("Organization", plan.tenant_id),
        "identifier": [_identifier("organisation-id", plan.tenant_id)],
        "active": True,
    }
    if name:
        resource["name"] = name
    return resource


def _patient(
    ids: _Ids, plan: RecoveryPlan, profile: ClientProfile | None, organisation: dict
) -> dict:
    identifiers = [_identifier("client-id", plan.client_id)]
    names = []
    if profile is not None:
        if profile.external_reference:
            identifiers.append(_identifier("external-reference", profile.external_reference))
        official = {"use": "official"}
        if profile.family_name:
            official["family"] = profile.family_name
        if profile.given_name:
            official["given"] = [profile.given_name]
        if len(official) > 1:
            names.append(official)
        if profile.preferred_name:
            names.append({"use": "usual", "given": [profile.preferred_name]})
    resource = {
        "resourceType": "Patient",
        "id": ids("Patient", plan.client_id),
        "identifier": identifiers,
        "active": plan.status != "closed",
        "managingOrganization": fhir.reference(organisation),
    }
    if names:
        resource["name"] = names
    return resource


def _practitioner(ids: _Ids, plan: RecoveryPlan, name: str | None) -> dict:
    resource = {
        "resourceType": "Practitioner",
        "id": ids("Practitioner", plan.coach_id),
        "identifier": [_identifier("staff-id", plan.coach_id)],
    }
    if name:
        resource["name"] = [{"text": name}]
    return resource


def _care_team(
    ids: _Ids, plan: RecoveryPlan, patient: dict, coach: dict, organisation: dict
) -> dict:
    return {
        "resourceType": "CareTeam",
        "id": ids("CareTeam", plan.id),
        "status": "active" if plan.status in ("draft", "active", "under_review") else "inactive",
        "name": "Recovery coaching",
        "subject": fhir.reference(patient),
        "participant": [
            {
                "role": [fhir.platform_concept("care-team-role", "coach", "Recovery coach")],
                "member": fhir.reference(coach),
                "onBehalfOf": fhir.reference(organisation),
            }
        ],
        "managingOrganization": [fhir.reference(organisation)],
    }


# -- the plan -----------------------------------------------------------------------------


def _local_day(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()


def _care_plan(
    ids: _Ids,
    plan: RecoveryPlan,
    steps: list[ActionStep],
    goal_refs: dict,
    patient: dict,
    coach: dict,
    team: dict,
) -> dict:
    period = {"start": _local_day(plan.created_at, plan.timezone)}
    if plan.status in ("completed", "closed"):
        period["end"] = _local_day(plan.updated_at, plan.timezone)
    resource = {
        "resourceType": "CarePlan",
        "id": ids("CarePlan", plan.id),
        "identifier": [_identifier("plan-id", plan.id)],
        "status": CAREPLAN_STATUS.get(plan.status, "unknown"),
        "intent": "plan",
        "category": [fhir.platform_concept("care-plan-category", "recovery-coaching",
                                           "Psychosocial recovery coaching plan")],
        "title": "Recovery plan",
        "subject": fhir.reference(patient),
        "period": period,
        "created": fhir.instant(plan.created_at),
        "author": fhir.reference(coach),
        "careTeam": [fhir.reference(team)],
    }  # fmt: skip
    if goal_refs:
        resource["goal"] = list(goal_refs.values())
    activities = [_activity(step, plan, goal_refs) for step in steps]
    if activities:
        resource["activity"] = activities
    return resource


def _activity(step: ActionStep, plan: RecoveryPlan, goal_refs: dict) -> dict:
    detail = {
        "kind": "Task",
        "code": {"text": step.title},
        "status": ACTIVITY_STATUS.get(step.status, "unknown"),
        "scheduledTiming": _timing(step, plan.timezone),
        "description": step.title,
    }
    if step.goal_id in goal_refs:
        detail["goal"] = [goal_refs[step.goal_id]]
    return {"detail": detail}


def _timing(step: ActionStep, timezone: str) -> dict:
    """When a step happens: a one-off's instant, or a daily / weekly recurrence at a local
    time of the client's timezone (the standard timezone extension says which)."""
    zone = {"url": fhir.TIMEZONE_EXTENSION, "valueCode": timezone}
    if step.frequency == "once":
        timing = {"event": [fhir.instant(step.due_at)]} if step.due_at else {}
        return {"extension": [zone], **timing}
    repeat: dict = {}
    if step.start_date:
        bounds = {"start": step.start_date.isoformat()}
        if step.end_date:
            bounds["end"] = step.end_date.isoformat()
        repeat["boundsPeriod"] = bounds
    if step.frequency == "daily":
        repeat |= {"frequency": 1, "period": 1, "periodUnit": "d"}
    else:  # weekly: on these days of the week, once each
        days = [WEEKDAYS[d] for d in sorted(step.weekdays or ())]
        repeat |= {"frequency": max(len(days), 1), "period": 1, "periodUnit": "wk"}
        repeat["dayOfWeek"] = days
    if step.local_time:
        repeat["timeOfDay"] = [f"{step.local_time}:00"]
    return {"extension": [zone], "repeat": repeat}


def _goal(ids: _Ids, plan: RecoveryPlan, goal: Goal, patient: dict, coach: dict) -> dict:
    resource = {
        "resourceType": "Goal",
        "id": ids("Goal", goal.id),
        "identifier": [_identifier("goal-id", goal.id)],
        "lifecycleStatus": GOAL_LIFECYCLE[goal.status],
        "category": [
            fhir.platform_concept("life-domain", goal.domain, DOMAIN_WORDS.get(goal.domain,
                                                                                 goal.domain))
        ],
        "priority": {
            "coding": [{"system": GOAL_PRIORITY_SYSTEM, "code": GOAL_PRIORITY[goal.priority]}],
            "text": goal.priority,
        },
        "description": {"text": goal.title},
        "subject": fhir.reference(patient),
        "startDate": _local_day(goal.created_at, plan.timezone),
        "expressedBy": fhir.reference(coach),
    }  # fmt: skip
    achievement = GOAL_ACHIEVEMENT.get(goal.status, "in-progress" if goal.status != "proposed"
                                       else None)  # fmt: skip
    if achievement:
        resource["achievementStatus"] = {
            "coding": [{"system": GOAL_ACHIEVEMENT_SYSTEM, "code": achievement}],
            "text": f"{achievement.replace('-', ' ').capitalize()} ({goal.progress}%)",
        }
    if goal.achieved_at is not None:
        resource["statusDate"] = _local_day(goal.achieved_at, plan.timezone)
    if goal.target_date is not None:
        resource["target"] = [
            {
                "measure": fhir.platform_concept("observation", "goal-progress",
                                                 "Progress towards the goal"),
                "detailQuantity": {"value": 100, "unit": "%", "system": fhir.UCUM, "code": "%"},
                "dueDate": goal.target_date.isoformat(),
            }
        ]  # fmt: skip
    notes = [text for text in (goal.description, goal.measure_of_success) if text]
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


def _task(
    ids: _Ids, plan: RecoveryPlan, step: ActionStep, occurrence, care_plan: dict, patient: dict
) -> dict:
    done = fhir.instant(occurrence.completed_at or occurrence.due_at)
    # (done when it was done, early or late: when it was due is the restriction's end)
    return {
        "resourceType": "Task",
        "id": ids("Task", occurrence.id),
        "identifier": [_identifier("occurrence", f"{step.id}/{occurrence.occurrence_key}")],
        "basedOn": [fhir.reference(care_plan)],
        "status": "completed",
        "intent": "plan",
        "description": step.title,
        "for": fhir.reference(patient),
        "restriction": {"period": {"end": fhir.instant(occurrence.due_at)}},
        "executionPeriod": {"end": done},
        "lastModified": done,
        "owner": fhir.reference(patient),
    }


# -- what was measured and said -----------------------------------------------------------


def _survey() -> list[dict]:
    return [
        {
            "coding": [{"system": fhir.OBSERVATION_CATEGORY, "code": "survey",
                        "display": "Survey"}],
            "text": "Survey",
        }
    ]  # fmt: skip


def _checkin_wellbeing(
    ids: _Ids, plan: RecoveryPlan, checkin: CheckIn, patient: dict, coach: dict, care_plan: dict
) -> dict:
    resource = {
        "resourceType": "Observation",
        "id": ids("Observation", f"checkin/{checkin.id}"),
        "basedOn": [fhir.reference(care_plan)],
        "status": "final",
        "category": _survey(),
        "code": fhir.platform_concept(
            "observation", "checkin-wellbeing", "Wellbeing rated at a check-in (1-10)"
        ),
        "subject": fhir.reference(patient),
        "effectiveDateTime": fhir.instant(checkin.starts_at),
        "performer": [fhir.reference(coach)],
        "valueInteger": checkin.wellbeing,
    }
    if checkin.recorded_at is not None:
        resource["issued"] = fhir.instant(checkin.recorded_at)
    return resource


def _client_mood(
    ids: _Ids, plan: RecoveryPlan, reply: JournalEntry, patient: dict, care_plan: dict
) -> dict:
    return {
        "resourceType": "Observation",
        "id": ids("Observation", f"reply/{reply.id}"),
        "basedOn": [fhir.reference(care_plan)],
        "status": "final",
        "category": _survey(),
        "code": fhir.platform_concept(
            "observation", "client-mood", "Mood the client rated themselves (1-10)"
        ),
        "subject": fhir.reference(patient),
        "effectiveDateTime": fhir.instant(reply.received_at),
        "performer": [fhir.reference(patient)],
        "valueInteger": reply.rating,
        "method": _medium(reply.channel),
    }


def _medium(channel: str) -> dict:
    code, display, text = MEDIUM.get(channel, ("ELECTRONIC", "electronic data", channel))
    return {"coding": [{"system": PARTICIPATION_MODE, "code": code, "display": display}],
            "text": text}  # fmt: skip


def _communication(
    ids: _Ids, plan: RecoveryPlan, reply: JournalEntry, patient: dict, coach: dict
) -> dict:
    words = {"journal": "Journal entry", "crisis": "Crisis message"}[reply.intent]
    resource = {
        "resourceType": "Communication",
        "id": ids("Communication", reply.id),
        "meta": {"security": [fhir.RESTRICTED]},
        "status": "completed",
        "category": [fhir.platform_concept("reply-intent", reply.intent, words)],
        "medium": [_medium(reply.channel)],
        "subject": fhir.reference(patient),
        "received": fhir.instant(reply.received_at),
        "recipient": [fhir.reference(coach)],
        "sender": fhir.reference(patient),
        "payload": [{"contentString": reply.text}],
    }
    if reply.intent == "crisis":
        resource["priority"] = "urgent"
    return resource
