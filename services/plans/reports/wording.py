"""The report's sentences, written once for both its HTML and its PDF, so that the two
say the same: section headings in order, dates and times in the client's calendar, and
the lines of the risk, hours, next-period and sign-off sections."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# The report's sections, in the order both renderings show them.
SECTIONS = (
    "Goals",
    "Check-ins and steps",
    "Risk and safety",
    "In the participant's own words",
    "Wellbeing and progress chart",
    "Life domains: baseline and latest",
    "Outcome measures",
    "Coach's summary",
    "Recommendations",
    "Plan for the next period",
    "Sign-off",
)
CHECKINS_TABLE = "Check-ins in the period"
CHECKIN_NOTES = "Check-in notes"
CHECKIN_COLUMNS = ("Date", "Mode", "Minutes", "Outcome", "Wellbeing")


def day(value) -> str:
    if isinstance(value, datetime | date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def local_day(moment: datetime, timezone: str) -> str:
    return day(moment.astimezone(ZoneInfo(timezone)))


def local_moment(moment: datetime | None, timezone: str) -> str:
    """``9 February 2027, 14:05``, in the client's timezone."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{day(local)}, {local:%H:%M}"


def words(value) -> str:
    return str(value).replace("_", " ")


def measure(value) -> str:
    if not value:
        return "not recorded"
    band = f" ({words(value['band'])})" if value.get("band") else ""
    return f"{value['total']}{band}"


def hours(value: float) -> str:
    shown = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{shown} hour" if shown == "1" else f"{shown} hours"


def flag_line(flag: dict, timezone: str) -> str:
    line = f"Raised {local_moment(flag['raised_at'], timezone)}: {flag['reason']}; "
    if flag["acknowledged_at"] is None:
        return line + "not acknowledged yet."
    return line + f"acknowledged {local_moment(flag['acknowledged_at'], timezone)}."


def crisis_line(message: dict, timezone: str) -> str:
    """How a crisis message was handled; never its words."""
    parts = [f"Received {local_moment(message['at'], timezone)} by {words(message['channel'])}"]
    if message["answered_at"] is not None:
        sent = local_moment(message["answered_at"], timezone)
        parts.append(f"crisis line details sent to the participant {sent}")
    else:
        parts.append("no record of the crisis line details being sent")
    if message["coach_alerted_at"] is not None:
        parts.append(f"coach alerted {local_moment(message['coach_alerted_at'], timezone)}")
    else:
        parts.append("no record of a coach alert")
    if message["acknowledged_at"] is not None:
        parts.append(f"acknowledged {local_moment(message['acknowledged_at'], timezone)}")
    else:
        parts.append("not acknowledged yet")
    return "; ".join(parts) + "."


def low_rating_line(rating: dict, timezone: str) -> str:
    return f"{local_day(rating['at'], timezone)}: {rating['rating']}/10 ({rating['source']})"


def risk_counts(risk: dict) -> str:
    return (
        f"Risk flags raised: {len(risk['flags'])}. "
        f"Crisis messages: {len(risk['crisis_messages'])}. "
        f"Low wellbeing ratings (3 or less): {len(risk['low_ratings'])}."
    )


def next_checkin_line(checkin: dict, timezone: str) -> str:
    at = local_moment(checkin["at"], timezone)
    return f"{at}, {words(checkin['mode'])}, {checkin['duration_minutes']} minutes"


def next_step_line(step: dict, timezone: str) -> str:
    times = "once" if step["times"] == 1 else f"{step['times']} times"
    return (
        f"{step['title']} (goal: {step['goal']}): {times}, "
        f"first {local_moment(step['first'], timezone)}"
    )


def open_goal_line(goal: dict) -> str:
    target = f"target {day(goal['target_date'])}" if goal["target_date"] else "no target date"
    return f"{goal['title']} ({words(goal['status'])}; {target})"


def quote_line(entry: dict, timezone: str) -> str:
    return f"{local_day(entry['at'], timezone)} ({words(entry['channel'])})"


def sign_off_lines(report: dict) -> list[str]:
    participant, coach = report["participant"], report["coach"]
    who = participant["name"] or f"Client {participant['client_id']}"
    return [
        f"Coach: {coach['name'] or 'Staff member ' + str(coach['id'])}",
        "Signature: ____________________  Date: ____________",
        f"Participant: {who}",
        "Signature: ____________________  Date: ____________",
    ]
