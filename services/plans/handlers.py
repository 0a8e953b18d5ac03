"""Events plans consumes, and the domain module each one goes to: onboarding drafts a
plan; client changes, discharge and erasure keep plans right; notification outcomes fill
the plan's nudge timeline; the client's replies fill its journal (and a Done they take
back reopens its step); a confirmed phone shows on the caseload, and so does a crisis
alert nobody has resolved (first); the client's supporters go into the plan's history.

Handlers that read a client's plans are marked ``with_prefetch``: in a batch of events,
the plans (and profiles) of every client it names are read in one query first."""

from __future__ import annotations

from services.plans import (
    client_changes,
    crisis_alerts,
    discharge,
    erasure,
    escalation,
    journal,
    onboarding,
    profiles,
    timeline,
)
from services.plans.client_plans import (
    load_clients_and_plans,
    load_plans_of_clients,
    plans_of_client,
)
from services.plans.models import StaffAccess
from shared.db import UnitOfWork
from shared.db.staff_access import record_access_change
from shared.events import Event
from shared.events.data import (
    ClientDischargedV1,
    ClientErasedV1,
    ClientOnboardedV1,
    ClientRepliedV1,
    ClientUpdatedV1,
    CompletionWithdrawnV1,
    CrisisAlertV1,
    NotificationOutcomeV1,
    PhoneConfirmedV1,
    StaffAccessChangedV1,
)
from shared.messaging.inbox import subscriptions, with_prefetch


@with_prefetch(load_clients_and_plans)
def on_client_onboarded(event: Event[ClientOnboardedV1], uow: UnitOfWork) -> None:
    onboarding.start_plan(uow, event)


@with_prefetch(load_clients_and_plans)
def on_client_updated(event: Event[ClientUpdatedV1], uow: UnitOfWork) -> None:
    client_changes.follow_client(uow, event)


@with_prefetch(load_plans_of_clients)
def on_client_discharged(event: Event[ClientDischargedV1], uow: UnitOfWork) -> None:
    discharge.close_plans(uow, event)


@with_prefetch(load_plans_of_clients)
def on_client_erased(event: Event[ClientErasedV1], uow: UnitOfWork) -> None:
    erasure.erase_client(uow, event)


def on_notification_outcome(event: Event[NotificationOutcomeV1], uow: UnitOfWork) -> None:
    timeline.record_notification_outcome(uow, event)


def on_staff_access_changed(event: Event[StaffAccessChangedV1], uow: UnitOfWork) -> None:
    """A key revoked, a member deactivated or given another role: their tokens follow."""
    record_access_change(uow.session, StaffAccess, event)


@with_prefetch(profiles.load_client_profiles)
def on_phone_confirmed(event: Event[PhoneConfirmedV1], uow: UnitOfWork) -> None:
    profiles.remember_phone_confirmation(uow, event)


@with_prefetch(load_plans_of_clients)
def on_client_replied(event: Event[ClientRepliedV1], uow: UnitOfWork) -> None:
    journal.record_reply(uow, event.tenant_id, event.data, plans_of_client(uow, event))


@with_prefetch(load_plans_of_clients)
def on_completion_withdrawn(event: Event[CompletionWithdrawnV1], uow: UnitOfWork) -> None:
    journal.withdraw_done(uow, event.tenant_id, event.data, plans_of_client(uow, event))


@with_prefetch(load_plans_of_clients)
def on_supporter_event(event: Event, uow: UnitOfWork) -> None:
    """The client's supporters, in the plan's history (ids and scopes only)."""
    escalation.record_supporter_event(uow, event, plans_of_client(uow, event))


def on_crisis_alert(event: Event[CrisisAlertV1], uow: UnitOfWork) -> None:
    crisis_alerts.follow_crisis_alert(uow, event)


HANDLERS = subscriptions(
    ("client.onboarded", on_client_onboarded),
    ("client.updated", on_client_updated),
    ("client.discharged", on_client_discharged),
    ("client.erased", on_client_erased),
    ("staff.created", profiles.on_staff_changed),
    ("staff.updated", profiles.on_staff_changed),
    ("notification.sent", on_notification_outcome),
    ("notification.failed", on_notification_outcome),
    ("staff.access_changed", on_staff_access_changed),
    ("client.replied", on_client_replied),
    ("action.completion_withdrawn", on_completion_withdrawn),
    ("contact.phone_confirmed", on_phone_confirmed),
    ("supporter.invited", on_supporter_event),
    ("supporter.confirmed", on_supporter_event),
    ("supporter.removed", on_supporter_event),
    ("supporter.alerted", on_supporter_event),
    ("supporter.all_clear", on_supporter_event),
    ("crisis_alert.opened", on_crisis_alert),
    ("crisis_alert.acknowledged", on_crisis_alert),
    ("crisis_alert.resolved", on_crisis_alert),
)
