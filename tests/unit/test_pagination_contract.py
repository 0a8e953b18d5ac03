"""The contract every list keeps, written once in shared/pagination.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError, fields

from shared.pagination import PageQuerySchema, encode_position, page_of, paged, read_position
from shared.validation import Schema


@paged
class _FilteredQuery(Schema):
    status = fields.String()


class _Item(Schema):
    id = fields.UUID()


def test_a_list_query_takes_its_filters_then_limit_and_cursor():
    assert list(_FilteredQuery().fields) == ["status", "limit", "cursor"]
    assert _FilteredQuery().load({}) == {"limit": 50, "cursor": None}
    assert PageQuerySchema().load({"limit": "200", "cursor": "abc"}) == {
        "limit": 200,
        "cursor": "abc",
    }


@pytest.mark.parametrize("limit", ["0", "201", "-1"])
def test_a_limit_outside_1_to_200_is_a_field_error(limit):
    with pytest.raises(ValidationError) as caught:
        PageQuerySchema().load({"limit": limit})
    assert set(caught.value.messages) == {"limit"}


def test_a_page_answers_its_items_then_the_next_cursor():
    page = page_of(_Item, "ItemPageSchema")
    assert page.__name__ == "ItemPageSchema"
    item = uuid.uuid4()
    dumped = page().dump({"items": [{"id": item}], "next_cursor": None})
    assert list(dumped) == ["items", "next_cursor"]
    assert dumped == {"items": [{"id": str(item)}], "next_cursor": None}


def test_a_position_round_trips_through_an_opaque_cursor():
    at = datetime(2026, 9, 1, 8, 30, tzinfo=UTC).isoformat()
    cursor = encode_position([1, at, "9f1c2d34-5e6f-4a7b-8c9d-0e1f2a3b4c5d"])
    assert "=" not in cursor and at not in cursor
    assert read_position(cursor) == [1, at, "9f1c2d34-5e6f-4a7b-8c9d-0e1f2a3b4c5d"]
