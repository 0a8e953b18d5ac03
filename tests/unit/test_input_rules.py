"""The rules every input meets, without infrastructure: text fields are one line unless
declared free text, in every schema; cursors of any shape; JSON bodies within limits;
configuration defaults that follow the ports; the local outbox forgets a client."""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import marshmallow
import pytest
from marshmallow import ValidationError, fields

from coaching.registry import SERVICES
from shared.errors import Malformed
from shared.pagination import decode_cursor, encode_cursor
from shared.validation import MultilineText, Schema
from shared.web.request_input import MAX_DEPTH, parse_json_body

SCHEMA_MODULES = (
    "services.intake.schemas",
    "services.plans.schemas",
    "services.notifications.schemas",
    "shared.web.schemas",
)


def test_every_api_schema_derives_from_the_shared_base():
    """So a field added tomorrow is one line of plain text unless it says otherwise."""
    strays = [
        f"{module}.{name}"
        for module in SCHEMA_MODULES
        for name, cls in inspect.getmembers(importlib.import_module(module), inspect.isclass)
        if issubclass(cls, marshmallow.Schema) and not issubclass(cls, Schema)
    ]
    assert strays == []


class _NewBody(Schema):
    """A body written without a thought for control characters."""

    title = fields.String()
    tags = fields.List(fields.String())
    labels = fields.Dict(keys=fields.String(), values=fields.String())
    pair = fields.Tuple((fields.String(), fields.Integer()))
    notes = MultilineText()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"title": "Walk\ndaily"}, "title"),
        ({"title": "Walk\x00"}, "title"),
        ({"title": "\u202eklaW"}, "title"),
        ({"tags": ["ok", "not\tok"]}, "tags"),
        ({"labels": {"ok": "bad\r"}}, "labels"),
        ({"labels": {"bad\x1b": "ok"}}, "labels"),
        ({"pair": ["bad\u2028", 1]}, "pair"),
        ({"notes": "Fine\x00"}, "notes"),
        ({"notes": "Bell\x07"}, "notes"),
    ],
)
def test_a_plain_string_field_is_one_line_by_default_at_any_depth(body, where):
    with pytest.raises(ValidationError) as refused:
        _NewBody().load(body)
    assert list(refused.value.messages) == [where]


def test_a_local_time_with_a_trailing_newline_is_refused_as_not_hh_mm():
    from services.plans.schemas import ScheduleFieldsSchema

    assert ScheduleFieldsSchema().validate({"local_time": "08:00"}) == {}
    errors = ScheduleFieldsSchema().validate({"local_time": "08:00\n"})
    assert "A local time as HH:MM (24-hour)." in errors["local_time"]


def test_a_region_with_a_trailing_newline_is_refused_as_not_a_two_letter_code():
    from services.intake.schemas import OrganisationCreateSchema

    body = {"name": "Harbour", "admin": {"name": "Ana", "email": "ana@harbour.example"}}
    assert OrganisationCreateSchema().validate(body | {"default_region": "AU"}) == {}
    errors = OrganisationCreateSchema().validate(body | {"default_region": "AU\n"})
    assert "Use a two-letter ISO 3166 region code." in errors["default_region"]


def test_free_text_keeps_newlines_and_tabs_and_reads_crlf_as_lf():
    loaded = _NewBody().load({"notes": "One\r\ntwo\rthree\n\tfour", "title": "Café Ōtautahi"})
    assert loaded == {"notes": "One\ntwo\nthree\n\tfour", "title": "Café Ōtautahi"}


def test_binding_a_schema_again_adds_its_rule_once():
    _NewBody(), _NewBody()
    assert len(_NewBody().fields["title"].validators) == 1


def _cursor(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(["2026-01-01T00:00:00", "9f1c2d34-5e6f-4a7b-8c9d-0e1f2a3b4c5d"]),
        _cursor(["0001-01-01T00:00:00+14:00", "9f1c2d34-5e6f-4a7b-8c9d-0e1f2a3b4c5d"]),
        _cursor(["2026-01-01T00:00:00+00:00", 7]),
        _cursor([1, 2]),
        _cursor({"a": "2026-01-01T00:00:00+00:00", "b": "9f1c2d34-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}),
        _cursor("x"),
        _cursor(b"\xff"),
        "é",
        "",
        "A" * 201,
    ],
)
def test_a_cursor_of_any_other_shape_is_a_400_naming_cursor(cursor):
    with pytest.raises(Malformed) as refused:
        decode_cursor(cursor)
    assert refused.value.status == 400
    assert refused.value.errors == {"cursor": ["Not a valid cursor."]}


def test_a_cursor_round_trips_in_utc():
    row_id = uuid.uuid4()
    at = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=11)))
    assert decode_cursor(encode_cursor(at, row_id)) == (at.astimezone(UTC), row_id)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b'{"n": ' + b"9" * 5_000 + b"}",
        b'{"n": -' + b"9" * 101 + b"}",
        b'{"n": NaN}',
        b"[-Infinity]",
        b'{"n": ',
        b"\xff\xfe",
    ],
)
def test_bodies_beyond_the_parser_limits_are_malformed(body):
    with pytest.raises(Malformed):
        parse_json_body(body)


def test_bodies_within_the_limits_parse():
    nested = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert parse_json_body(nested) is not None
    assert parse_json_body(b'{"n": ' + b"9" * 100 + b', "x": 1.5e300}')["x"] == 1.5e300


def test_public_base_url_follows_the_notifications_port(monkeypatch, tmp_path):
    from coaching.registry import load_settings

    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("NOTIFICATIONS_PORT", "9103")
    assert load_settings().public_base_url == "http://127.0.0.1:9103"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://notify.example.org/")
    assert load_settings().public_base_url == "https://notify.example.org"


def test_the_local_outbox_forgets_one_client_and_keeps_the_others(tmp_path):
    from services.notifications.channels.base import OutgoingMessage
    from services.notifications.channels.file_outbox import FileOutboxChannel, forget_client

    erased, kept = uuid.uuid4(), uuid.uuid4()
    email = FileOutboxChannel("email", tmp_path, "coach@example.org")
    sms = FileOutboxChannel("sms", tmp_path, "coach@example.org")
    for client, channel in ((erased, email), (erased, sms), (kept, email)):
        channel.send(
            OutgoingMessage(
                message_id=f"<{uuid.uuid4()}@coaching.nudges>",
                to="+61400000000" if channel is sms else "jo@example.net",
                subject="Welcome",
                text="Hello",
                client_id=str(client),
            )
        )
    assert forget_client(tmp_path, erased) == 2
    assert [path.name.split(".")[0] for path in tmp_path.iterdir()] == [str(kept)]


def test_an_email_header_never_carries_a_line_break_from_stored_text():
    """Text stored before the API refused line breaks must not forge a header."""
    from services.notifications.channels.base import OutgoingMessage
    from services.notifications.channels.email import FILE_POLICY, email_bytes

    message = OutgoingMessage(
        message_id="<n@coaching.nudges>",
        to="jo@example.net",
        subject="Welcome, Jo\r\nBcc: everyone@example.net",
        text="Hello",
    )
    raw = email_bytes(message, "coach@example.org", FILE_POLICY)
    assert b"\nBcc:" not in raw
    assert b"Subject: Welcome, Jo  Bcc: everyone@example.net" in raw


def test_metrics_name_one_charset(monkeypatch, tmp_path):
    from coaching.registry import load_settings

    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    settings = load_settings()
    for service in SERVICES.values():
        reply = service.build_runtime(settings).create_app().test_client().get("/metrics")
        assert reply.status_code == 200
        assert reply.content_type.startswith("text/plain; version="), reply.content_type
        assert reply.content_type.count("charset") == 1, reply.content_type
