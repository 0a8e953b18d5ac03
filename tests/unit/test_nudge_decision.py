"""The decision for one due nudge to one client, and for one coach alert: send now, and on
which channel, or why not (cancel, suppress, defer until when, expire). No database: the
contact, organisation and nudge are built in memory, the time is fixed, and the
suppression list and the day's count are plain functions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.notifications.dispatcher.rules import (
    Decision,
    channel_it_would_use,
    decide_for_client,
    decide_for_coach,
)
from services.notifications.models import Contact, Nudge, Organisation, StaffMember

LONDON = ZoneInfo("Europe/London")
EMAIL, PHONE = "sam@example.org", "+447700900123"
# Midday in London on a summer Wednesday (BST): no quiet hours in the way.
MIDDAY = datetime(2026, 7, 1, 11, 0, tzinfo=UTC)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


def client(**overrides) -> Contact:
    """A London client with both consents, email preferred, quiet 21:00-08:00, cap 3."""
    values = {
        "tenant_id": uuid.uuid4(),
        "client_id": uuid.uuid4(),
        "given_name": "Sam",
        "email": EMAIL,
        "phone": PHONE,
        "timezone": "Europe/London",
        "consent_email": True,
        "consent_sms": True,
        "status": "active",
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "daily_cap": 3,
        "paused_until": None,
        "preferred_channel": "email",
    }
    return Contact(**(values | overrides))


def nudge(kind: str = "plan_ready", **overrides) -> Nudge:
    return Nudge(**({"kind": kind, "channel": None, "event_at": None} | overrides))


def organisation(floor: tuple[str | None, str | None] = (None, None)) -> Organisation:
    return Organisation(quiet_floor_start=floor[0], quiet_floor_end=floor[1])


def nothing_suppressed(channel: str, to: str) -> str | None:
    return None


def suppressed_on(**reasons: str):
    """The suppression list: e.g. ``suppressed_on(sms="stop")``."""
    return lambda channel, to: reasons.get(channel)


def decide(
    the_nudge: Nudge,
    contact: Contact | None,
    *,
    now: datetime = MIDDAY,
    org: Organisation | None = None,
    suppressed=nothing_suppressed,
    sent_today: int = 0,
) -> Decision:
    return decide_for_client(
        the_nudge, contact, org, now=now, suppressed=suppressed, sent_today=lambda: sent_today
    )


# -- who is there to send to ----------------------------------------------------------------


def test_a_due_nudge_goes_now_by_the_preferred_channel():
    assert decide(nudge(), client()) == Decision("send", channel="email", to=EMAIL)


def test_a_nudge_for_a_client_we_do_not_know_is_cancelled():
    assert decide(nudge(), None) == Decision("cancel", reason="unknown_client")


def test_an_erased_client_gets_nothing_not_even_an_answer():
    erased = client(status="erased")
    assert decide(nudge(), erased) == Decision("cancel", reason="client_erased")
    answer = nudge("crisis_text", channel="sms")
    assert decide(answer, erased) == Decision("cancel", reason="client_erased")


def test_a_discharged_client_gets_no_more_nudges():
    assert decide(nudge(), client(status="discharged")) == Decision(
        "cancel", reason="client_discharged"
    )


# -- 1. consent, preferred channel first ---------------------------------------------------


def test_sms_preferred_goes_by_sms():
    assert decide(nudge(), client(preferred_channel="sms")) == Decision(
        "send", channel="sms", to=PHONE
    )


def test_without_consent_for_the_preferred_channel_it_falls_back_to_the_other():
    no_sms = client(preferred_channel="sms", consent_sms=False)
    assert decide(nudge(), no_sms) == Decision("send", channel="email", to=EMAIL)
    no_email = client(consent_email=False)
    assert decide(nudge(), no_email) == Decision("send", channel="sms", to=PHONE)


def test_consent_without_an_address_is_no_channel_at_all():
    no_phone = client(preferred_channel="sms", phone=None)
    assert decide(nudge(), no_phone) == Decision("send", channel="email", to=EMAIL)
    assert decide(nudge(), client(consent_email=False, phone=None)) == Decision(
        "suppress", reason="no_consent"
    )


def test_without_any_consent_the_nudge_is_suppressed():
    nobody = client(consent_email=False, consent_sms=False)
    assert decide(nudge(), nobody) == Decision("suppress", reason="no_consent")


# -- 2. the suppression list ---------------------------------------------------------------


def test_a_suppressed_preferred_channel_falls_back_to_the_other():
    sms_first = client(preferred_channel="sms")
    assert decide(nudge(), sms_first, suppressed=suppressed_on(sms="stop")) == Decision(
        "send", channel="email", to=EMAIL
    )


def test_with_every_channel_suppressed_the_reason_is_the_preferred_ones():
    both = suppressed_on(email="hard_bounce", sms="stop")
    assert decide(nudge(), client(preferred_channel="sms"), suppressed=both) == Decision(
        "suppress", channel="sms", reason="suppressed:stop"
    )
    only_sms = client(consent_email=False)
    assert decide(nudge(), only_sms, suppressed=suppressed_on(sms="stop")) == Decision(
        "suppress", channel="sms", reason="suppressed:stop"
    )


def test_the_suppression_list_is_asked_about_the_address_it_would_go_to():
    asked = []

    def suppressed(channel, to):
        asked.append((channel, to))
        return None

    decide(nudge(), client(preferred_channel="sms"), suppressed=suppressed)
    assert asked[0] == ("sms", PHONE)


# -- 3. a pause ------------------------------------------------------------------------------


def test_a_paused_client_is_deferred_to_the_end_of_the_pause():
    until = MIDDAY + timedelta(days=7)
    assert decide(nudge(), client(paused_until=until)) == Decision(
        "defer", channel="email", reason="paused", until=until
    )


def test_a_pause_that_has_ended_holds_nothing_back():
    assert decide(nudge(), client(paused_until=MIDDAY)).action == "send"
    assert decide(nudge(), client(paused_until=MIDDAY - timedelta(days=1))).action == "send"


def test_a_pause_is_the_reason_even_at_night_and_over_the_cap():
    until = MIDDAY + timedelta(days=7)
    decision = decide(
        nudge(), client(paused_until=until), now=local("2026-07-01T23:00"), sent_today=3
    )
    assert (decision.action, decision.reason, decision.until) == ("defer", "paused", until)


def test_consent_is_checked_before_the_pause():
    paused_nobody = client(
        consent_email=False, consent_sms=False, paused_until=MIDDAY + timedelta(days=1)
    )
    assert decide(nudge(), paused_nobody).reason == "no_consent"


# -- 4. quiet hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "night", ["2026-07-01T21:00", "2026-07-01T23:30", "2026-07-02T02:00", "2026-07-02T07:59"]
)
def test_at_night_a_nudge_waits_for_the_first_allowed_minute_of_the_morning(night):
    assert decide(nudge(), client(), now=local(night)) == Decision(
        "defer", channel="email", reason="quiet_hours", until=local("2026-07-02T08:00")
    )


def test_the_first_allowed_minute_itself_sends():
    assert decide(nudge(), client(), now=local("2026-07-02T08:00")).action == "send"


def test_the_night_the_clocks_go_forward_ends_at_eight_summer_time():
    decision = decide(nudge(), client(), now=local("2026-03-28T22:00"))
    assert (decision.reason, decision.until) == (
        "quiet_hours",
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),
    )


def test_quiet_hours_are_the_clients_own_not_the_servers():
    new_yorker = client(timezone="America/New_York")
    # 23:00 in London is 18:00 in New York: an evening, not the night.
    assert decide(nudge(), new_yorker, now=local("2026-07-01T23:00")).action == "send"


def test_a_client_without_quiet_hours_is_sent_to_at_night():
    always = client(quiet_start="00:00", quiet_end="00:00")
    assert decide(nudge(), always, now=local("2026-07-01T03:00")).action == "send"


def test_the_organisation_floor_holds_where_the_clients_own_hours_would_not():
    night_owl = client(quiet_start="23:30", quiet_end="06:00")
    at_ten = local("2026-07-01T22:00")
    assert decide(nudge(), night_owl, now=at_ten).action == "send"
    decision = decide(nudge(), night_owl, now=at_ten, org=organisation(("21:00", "08:00")))
    assert (decision.reason, decision.until) == ("quiet_hours", local("2026-07-02T08:00"))


def test_a_half_set_organisation_floor_is_no_floor():
    night_owl = client(quiet_start="23:30", quiet_end="06:00")
    half = organisation(("21:00", None))
    assert decide(nudge(), night_owl, now=local("2026-07-01T22:00"), org=half).action == "send"


# -- 5. the daily cap ------------------------------------------------------------------------


def test_below_the_daily_cap_a_nudge_goes():
    assert decide(nudge("goal_celebration"), client(daily_cap=3), sent_today=2).action == "send"


def test_at_the_daily_cap_a_nudge_waits_for_the_first_allowed_minute_of_tomorrow():
    assert decide(nudge("goal_celebration"), client(daily_cap=3), sent_today=3) == Decision(
        "defer", channel="email", reason="daily_cap", until=local("2026-07-02T08:00")
    )


def test_quiet_hours_are_the_reason_at_night_even_over_the_cap():
    decision = decide(nudge(), client(), now=local("2026-07-01T22:00"), sent_today=5)
    assert decision.reason == "quiet_hours"


def test_a_cap_of_nought_holds_every_nudge():
    assert (
        decide(nudge("goal_celebration"), client(daily_cap=0), sent_today=0).reason == "daily_cap"
    )


@pytest.mark.parametrize("kind", ["welcome", "plan_ready"])
def test_setting_up_is_never_held_by_the_cap(kind):
    assert decide(nudge(kind), client(daily_cap=1), sent_today=1).action == "send"


# -- 6. reminders whose moment has passed ----------------------------------------------------


def test_a_reminder_before_its_moment_goes():
    reminder = nudge("action_reminder", event_at=MIDDAY + timedelta(hours=1))
    assert decide(reminder, client()).action == "send"


@pytest.mark.parametrize("late_by", [timedelta(0), timedelta(minutes=5)])
def test_a_reminder_at_or_after_its_moment_expires(late_by):
    reminder = nudge("action_reminder", event_at=MIDDAY - late_by)
    assert decide(reminder, client()) == Decision("expire", channel="email", reason="moment_passed")


def test_a_reminder_deferred_past_its_moment_by_the_night_expires_instead():
    at_ten_tonight = local("2026-07-01T22:00")
    reminder = nudge("action_reminder", event_at=local("2026-07-01T22:30"))
    assert decide(reminder, client(), now=at_ten_tonight) == Decision(
        "expire", channel="email", reason="moment_passed:quiet_hours"
    )


def test_a_reminder_whose_moment_is_after_the_night_is_deferred_to_the_morning():
    reminder = nudge("action_reminder", event_at=local("2026-07-02T10:00"))
    decision = decide(reminder, client(), now=local("2026-07-01T22:00"))
    assert (decision.action, decision.until) == ("defer", local("2026-07-02T08:00"))


def test_a_reminder_deferred_past_its_moment_by_the_cap_expires_instead():
    reminder = nudge("checkin_reminder", event_at=MIDDAY + timedelta(hours=2))
    assert decide(reminder, client(daily_cap=1), sent_today=1) == Decision(
        "expire", channel="email", reason="moment_passed:daily_cap"
    )


def test_a_weekly_digest_may_go_up_to_two_days_late():
    sunday_five = MIDDAY - timedelta(days=1)
    assert decide(nudge("weekly_digest", event_at=sunday_five), client()).action == "send"
    two_days = MIDDAY - timedelta(days=2)
    assert decide(nudge("weekly_digest", event_at=two_days), client()).reason == "moment_passed"


def test_a_mood_prompt_held_to_tomorrow_by_the_cap_expires_but_one_held_an_hour_waits():
    prompt = nudge("mood_prompt", event_at=local("2026-07-01T18:00"))
    capped = decide(prompt, client(daily_cap=1), now=local("2026-07-01T18:00"), sent_today=1)
    assert capped.reason == "moment_passed:daily_cap"
    # Quiet from 19:00 to 20:00: an hour late is within its three hours.
    evening = client(quiet_start="19:00", quiet_end="20:00")
    prompt = nudge("mood_prompt", event_at=local("2026-07-01T19:00"))
    held = decide(prompt, evening, now=local("2026-07-01T19:00"))
    assert (held.action, held.until) == ("defer", local("2026-07-01T20:00"))


def test_a_nudge_that_is_not_a_reminder_never_expires():
    celebration = nudge("goal_celebration", event_at=MIDDAY - timedelta(days=30))
    assert decide(celebration, client()).action == "send"


# -- replies and answers to the client's own message -----------------------------------------


def test_a_reply_to_the_clients_text_goes_back_by_sms_whatever_else_holds():
    everything_against = client(
        status="discharged",
        consent_sms=False,
        preferred_channel="email",
        paused_until=MIDDAY + timedelta(days=7),
        daily_cap=0,
    )
    reply = nudge("opt_out_confirmation", channel="sms")
    assert decide(
        reply,
        everything_against,
        now=local("2026-07-01T23:00"),
        suppressed=suppressed_on(sms="stop"),
        sent_today=9,
    ) == Decision("send", channel="sms", to=PHONE)


def test_a_reply_needs_a_number_to_reply_to():
    assert decide(nudge("help_reply", channel="sms"), client(phone=None)) == Decision(
        "suppress", reason="no_consent"
    )


def test_an_answer_goes_at_once_at_night_while_paused_and_over_the_cap():
    held_back_every_way = client(paused_until=MIDDAY + timedelta(days=7), daily_cap=1)
    answer = nudge("mood_ack", channel="sms")
    assert decide(
        answer, held_back_every_way, now=local("2026-07-01T23:00"), sent_today=1
    ) == Decision("send", channel="sms", to=PHONE)


def test_an_answer_goes_by_the_channel_the_reply_came_by():
    by_email = nudge("crisis_text", channel="email")
    assert decide(by_email, client(preferred_channel="sms")) == Decision(
        "send", channel="email", to=EMAIL
    )


def test_a_discharged_client_who_writes_still_gets_an_answer():
    assert decide(nudge("crisis_text", channel="sms"), client(status="discharged")).action == (
        "send"
    )


def test_an_answer_is_never_sent_to_a_suppressed_address():
    answer = nudge("journal_ack", channel="sms")
    assert decide(answer, client(), suppressed=suppressed_on(sms="stop")) == Decision(
        "suppress", channel="sms", reason="suppressed:stop"
    )


def test_an_answer_without_an_address_is_suppressed():
    assert decide(nudge("done_ack", channel="sms"), client(phone=None)) == Decision(
        "suppress", channel="sms", reason="no_address"
    )


# -- coach alerts ----------------------------------------------------------------------------


def coach(**overrides) -> StaffMember:
    values = {"name": "Casey", "email": "casey@harbour.example", "phone": "+447700900456"}
    return StaffMember(**(values | {"active": True, "role": "coach"} | overrides))


def test_a_coach_alert_goes_by_email():
    assert decide_for_coach(coach()) == Decision(
        "send", channel="email", to="casey@harbour.example"
    )
    assert decide_for_coach(coach(), None) == Decision(
        "send", channel="email", to="casey@harbour.example"
    )


def test_a_coach_alert_that_asks_for_sms_goes_to_the_coachs_phone():
    assert decide_for_coach(coach(), "sms") == Decision("send", channel="sms", to="+447700900456")


@pytest.mark.parametrize(
    ("staff", "channel"),
    [(None, "email"), (coach(active=False), "email"), (coach(phone=None), "sms")],
)
def test_a_coach_alert_with_nobody_to_reach_is_suppressed(staff, channel):
    assert decide_for_coach(staff, channel) == Decision(
        "suppress", channel=channel, reason="no_coach_contact"
    )


# -- the channel a pending nudge would use now (shown in the list) -------------------------


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        ({}, "email"),
        ({"preferred_channel": "sms"}, "sms"),
        ({"consent_email": False}, "sms"),
        ({"preferred_channel": "sms", "consent_sms": False}, "email"),
        ({"preferred_channel": "sms", "phone": None}, "email"),
        ({"consent_email": False, "consent_sms": False}, None),
    ],
)
def test_a_pending_nudge_would_use_the_preferred_consented_channel(contact, expected):
    for state in ("scheduled", "deferred"):
        pending = nudge("welcome", state=state, audience="client")
        assert channel_it_would_use(pending, client(**contact)) == expected


def test_a_nudge_no_longer_pending_would_use_no_channel():
    for state in ("sending", "sent", "failed", "suppressed", "expired", "cancelled", "skipped"):
        done = nudge("welcome", state=state, audience="client", channel="email")
        assert channel_it_would_use(done, client()) is None


def test_a_kind_with_one_channel_would_use_it_only_with_its_consent():
    prompt = nudge("mood_prompt", state="scheduled", audience="client")
    assert channel_it_would_use(prompt, client(preferred_channel="sms")) == "sms"
    assert (
        channel_it_would_use(
            nudge("journal_ack", state="scheduled", audience="client", channel="sms"),
            client(consent_sms=False),
        )
        == "sms"
    )  # an answer goes by the channel the client wrote on


def test_a_coach_alert_would_use_its_own_channel():
    alert = nudge("risk_alert", state="scheduled", audience="coach", channel="email")
    assert channel_it_would_use(alert, None) == "email"
