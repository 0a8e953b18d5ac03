"""The drawing slots' share per organisation and the kept drawings' bounds, as plain
objects (``services/plans/reports/drawing``); the service's wiring is in
``tests/integration/test_plans_drawing.py``."""

from __future__ import annotations

import threading
import uuid
from contextlib import ExitStack
from datetime import UTC, date, datetime

import pytest

from services.plans.reports.drawing.cache import DrawnCache, DrawnKey, fingerprint
from services.plans.reports.drawing.slots import DrawingBusy, OrganisationSlots
from tests.support.waiting import wait_for

A, B, C = (uuid.uuid4() for _ in range(3))


@pytest.mark.parametrize("total", [2, 3, 4, 5, 8])
def test_an_organisation_holds_at_most_half_the_slots_and_leaves_the_rest_to_others(total):
    slots = OrganisationSlots(total, share_wait=0, busy_wait=0)
    assert 1 <= slots.share <= total / 2
    with ExitStack() as held:
        for _ in range(slots.share):
            held.enter_context(slots.slot(A))
        with pytest.raises(DrawingBusy) as refused, slots.slot(A):
            pass
        assert refused.value.over_share
        # every other slot is still there for the others
        for number in range(total - slots.share):
            held.enter_context(slots.slot(B if number < slots.share else C))
        assert slots.in_use() == total
        with pytest.raises(DrawingBusy) as full, slots.slot(uuid.uuid4()):
            pass
        assert not full.value.over_share
    assert slots.in_use() == 0


def test_fewer_than_two_slots_cannot_be_shared():
    with pytest.raises(ValueError):
        OrganisationSlots(1, share_wait=0, busy_wait=0)


def test_a_slot_is_given_back_when_drawing_fails():
    slots = OrganisationSlots(2, share_wait=0, busy_wait=0)
    with pytest.raises(RuntimeError), slots.slot(A):
        raise RuntimeError("the drawer broke")
    assert slots.in_use() == 0 and slots.held(A) == 0


def test_a_waiting_request_takes_its_organisations_slot_and_no_more_may_wait():
    slots = OrganisationSlots(2, share_wait=60, busy_wait=60)
    taken = threading.Event()
    finish = threading.Event()

    def second_request():
        with slots.slot(A):
            taken.set()
            finish.wait(timeout=60)

    with slots.slot(A):
        waiter = threading.Thread(target=second_request)
        waiter.start()
        wait_for(lambda: slots.waiting(A) == 1, what="the second request to wait")
        with pytest.raises(DrawingBusy) as refused, slots.slot(A):
            pass  # as many waiting as it may hold: refused without waiting
        assert refused.value.over_share
        with slots.slot(B):  # another organisation is not held up
            assert slots.in_use() == 2
        assert not taken.is_set()
    assert taken.wait(timeout=60) and slots.held(A) == 1 and slots.waiting(A) == 0
    finish.set()
    waiter.join(timeout=60)
    assert slots.in_use() == 0


# -- kept drawings --------------------------------------------------------------------------


def _key(organisation=A, plan=None, kind="report.pdf", parameters=()):
    return DrawnKey(organisation, plan or uuid.UUID(int=1), kind, parameters)


def test_a_drawing_is_given_only_for_the_same_organisation_plan_kind_period_and_values():
    kept = DrawnCache(max_entries=8, max_bytes=1000, ttl_seconds=600)
    kept.put(_key(), "v1", b"%PDF one")
    assert kept.get(_key(), "v1") == b"%PDF one"
    assert kept.get(_key(organisation=B), "v1") is None
    assert kept.get(_key(plan=uuid.UUID(int=2)), "v1") is None
    assert kept.get(_key(kind="report.html"), "v1") is None
    assert kept.get(_key(parameters=(date(2027, 1, 1), None)), "v1") is None
    assert kept.get(_key(), "v2") is None  # what it shows changed
    assert len(kept) == 0  # and the stale drawing is gone


def test_kept_drawings_are_bounded_by_count_and_bytes_least_recently_used_first():
    kept = DrawnCache(max_entries=3, max_bytes=100, ttl_seconds=600)
    for number in range(3):
        kept.put(_key(kind=str(number)), "v", b"x" * 10)
    kept.get(_key(kind="0"), "v")  # used: kept over the others
    kept.put(_key(kind="3"), "v", b"x" * 10)
    assert len(kept) == 3 and kept.get(_key(kind="1"), "v") is None
    kept.put(_key(kind="4"), "v", b"x" * 25)
    kept.put(_key(kind="5"), "v", b"x" * 25)
    kept.put(_key(kind="6"), "v", b"x" * 25)
    assert kept.size_in_bytes <= 100 and len(kept) <= 3
    kept.put(_key(kind="big"), "v", b"x" * 26)  # over a quarter of the room: not kept
    assert kept.get(_key(kind="big"), "v") is None


def test_a_newer_drawing_replaces_the_kept_one_and_an_old_one_expires():
    kept = DrawnCache(max_entries=8, max_bytes=1000, ttl_seconds=600)
    kept.put(_key(), "v1", b"old")
    kept.put(_key(), "v2", b"newer")
    assert len(kept) == 1 and kept.size_in_bytes == len(b"newer")
    expiring = DrawnCache(max_entries=8, max_bytes=1000, ttl_seconds=0)
    expiring.put(_key(), "v1", b"gone")
    assert expiring.get(_key(), "v1") is None


def test_the_fingerprint_follows_every_value_and_not_the_order_of_keys():
    plan, moment = uuid.uuid4(), datetime(2027, 3, 1, 9, tzinfo=UTC)
    inputs = {"plan_id": plan, "at": moment, "goals": [{"title": "Garden", "progress": 40}]}
    same = {"goals": [{"progress": 40, "title": "Garden"}], "at": moment, "plan_id": plan}
    assert fingerprint(inputs) == fingerprint(same)
    changed = inputs | {"goals": [{"title": "Garden", "progress": 41}]}
    assert fingerprint(changed) != fingerprint(inputs)
    with pytest.raises(TypeError):
        fingerprint({"value": object()})
