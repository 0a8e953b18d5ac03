"""The journey with every service running as its own processes, and crashes injected."""

from __future__ import annotations

import signal
import sys

from sqlalchemy import create_engine, text

from tests.support.infra import queue_depths
from tests.support.processes import ROLES
from tests.support.waiting import wait_for


def _scalar(url: str, sql: str, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def _settled(env) -> bool:
    pending = sum(
        _scalar(env[f"{s}_DATABASE_URL"], "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        for s in ("INTAKE", "PLANS", "NOTIFICATIONS")
    )
    depths = queue_depths(env["BROKER_URL"])
    return (
        pending == 0 and depths.get("plans.events") == 0 and depths.get("notifications.events") == 0
    )


def test_journey_across_service_processes_sends_exactly_one_welcome(processes, http_api, smtp, env):
    processes.start()
    organisation, token = http_api.new_tenant()
    coach_id = organisation["admin"]["id"]
    client = http_api.onboarded_client(token, coach_id)

    plans = wait_for(lambda: http_api.plans_of(token, client["id"]), what="the draft plan")
    assert [g["title"] for g in plans[0]["goals"]] == [
        "Join a community garden group",
        "Keep a regular morning routine",
    ]
    wait_for(lambda: smtp.messages, what="the welcome email")
    nudges = wait_for(
        lambda: [n for n in http_api.nudges_of(token, client["id"]) if n["state"] == "sent"],
        what="the welcome listed as sent",
    )
    wait_for(lambda: _settled(env), what="every outbox and queue to drain")

    assert len(smtp.messages) == 1
    assert smtp.messages[0]["To"] == "jo.rivers@example.net"
    assert [(n["kind"], n["channel"]) for n in nudges] == [("welcome", "email")]
    assert len(http_api.plans_of(token, client["id"])) == 1


def test_relay_killed_between_publish_and_mark_causes_no_second_plan_or_email(
    processes, http_api, smtp, env
):
    processes.start(*(role for role in ROLES if role != "intake-relay"))
    organisation, token = http_api.new_tenant()
    client = http_api.onboarded_client(token, organisation["admin"]["id"])

    crashing = processes.spawn(
        "crashing-relay", [sys.executable, "-m", "tests.e2e.crashing_relay", "intake"]
    )
    assert crashing.wait(timeout=60) == -signal.SIGKILL
    unmarked = _scalar(
        env["INTAKE_DATABASE_URL"],
        "SELECT count(*) FROM outbox WHERE routing_key = 'client.onboarded' "
        "AND published_at IS NULL",
    )
    assert unmarked == 1  # published, but the relay died before recording it

    wait_for(lambda: http_api.plans_of(token, client["id"]), what="the plan from the first copy")
    wait_for(lambda: smtp.messages, what="the welcome from the first copy")

    processes.start("intake-relay")  # publishes the onboarding again
    wait_for(lambda: _settled(env), what="the second copy to be consumed")

    assert len(http_api.plans_of(token, client["id"])) == 1
    assert len(smtp.messages) == 1
    kinds = sorted(n["kind"] for n in http_api.nudges_of(token, client["id"]))
    assert kinds == ["weekly_digest", "welcome"]
