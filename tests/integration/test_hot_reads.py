"""The two most frequent reads (GET a client, GET a plan) skip the ORM and the pool's
ping: they must show exactly what the ORM paths show, and survive a database that
dropped every connection."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import BACKEND
from tests.support.plans import ASPIRATIONS, onboard, token_for


def test_a_client_read_by_id_shows_what_the_list_and_a_change_show(api, tenant):
    token = tenant["token"]
    client = api.onboarded_client(token, tenant["staff_id"], given_name="Ngaio")
    read = api.call("intake", "GET", f"/v1/clients/{client['id']}", token)
    listed = api.call("intake", "GET", "/v1/clients", token).body["items"]
    assert read.status == 200 and read.body == next(c for c in listed if c["id"] == client["id"])

    changed = api.call(
        "intake",
        "PATCH",
        f"/v1/clients/{client['id']}",
        token,
        json={"preferred_name": "Ngai"},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert changed.status == 200
    again = api.call("intake", "GET", f"/v1/clients/{client['id']}", token)
    assert again.body == changed.body and again.headers["ETag"] == changed.headers["ETag"]


def test_a_plan_read_by_id_shows_its_goals_in_order_as_the_list_does(api, tenant, system, settings):
    organisation = tenant["organisation"]["organisation"]["id"]
    coach = token_for(settings, organisation, tenant["staff_id"])
    with_goals = onboard(system, organisation, tenant["staff_id"])
    without_goals = onboard(system, organisation, tenant["staff_id"], aspirations=())
    plan = api.plans_of(coach, with_goals["client_id"])[0]
    added = api.call(
        "plans",
        "POST",
        f"/v1/plans/{plan['id']}/goals",
        coach,
        json={"title": "Walk to the shops", "domain": "physical_health"},
    )
    assert added.status == 201
    assert api.plans_of(coach, without_goals["client_id"])[0]["goals"] == []

    for client_id in (with_goals["client_id"], without_goals["client_id"]):
        listed = api.plans_of(coach, client_id)[0]
        read = api.call("plans", "GET", f"/v1/plans/{listed['id']}", coach)
        assert read.status == 200 and read.body == listed
    read = api.call("plans", "GET", f"/v1/plans/{plan['id']}", coach).body
    drafted = [aspiration["text"] for aspiration in ASPIRATIONS]
    assert [g["title"] for g in read["goals"]] == [*drafted, "Walk to the shops"]
    # another coach of the organisation does not see it; its admin does
    other = token_for(settings, organisation)
    assert api.call("plans", "GET", f"/v1/plans/{plan['id']}", other).status == 404
    admin = token_for(settings, organisation, role="org_admin")
    assert api.call("plans", "GET", f"/v1/plans/{plan['id']}", admin).body == read


@pytest.mark.skipif(not BACKEND.startswith("rabbitmq"), reason="drops PostgreSQL connections")
def test_reads_are_answered_after_the_database_dropped_every_connection(
    api, tenant, system, settings
):
    token = tenant["token"]
    client = api.onboarded_client(token, tenant["staff_id"])
    system.settle()
    plan = api.plans_of(token, client["id"])[0]
    paths = {"intake": f"/v1/clients/{client['id']}", "plans": f"/v1/plans/{plan['id']}"}
    for service, path in paths.items():  # the read pools now hold open connections
        assert api.call(service, "GET", path, token).status == 200

    for service in paths:
        _drop_every_connection(settings.database_url(service))

    for service, path in paths.items():
        reply = api.call(service, "GET", path, token)
        assert reply.status == 200, reply.body


def _drop_every_connection(url: str) -> None:
    """What a database restart does to a pool: each of its connections is closed."""
    engine = create_engine(url)
    with engine.connect() as connection:
        dropped = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    engine.dispose()
    assert dropped >= 1
