"""The email sent is the email package's own rendering of the message, byte for byte."""

from __future__ import annotations

import uuid

import pytest

from services.notifications.channels import email
from services.notifications.channels.base import OutgoingMessage

LONG_URL = "<https://notify.example/unsubscribe/" + "x" * 1200 + ">"
MESSAGES = [
    OutgoingMessage("<n1@coaching.nudges>", "to@example.net", "Hi", "Hello"),
    OutgoingMessage("<n2@coaching.nudges>", "to@example.net", "", ""),
    OutgoingMessage(
        "<n3@coaching.nudges>",
        "Ārohā <aroha@example.net>",
        "Kia ora Ārohā — welcome to Whānau Recovery, a long subject that needs folding",
        "Kia ora Ārohā,\r\n\r\n.A line that starts with a dot \nand one\rafter a lone CR=\n"
        + "a long line " * 20,
        "<p>Kia ora Ārohā</p>\n<p>--=_ not a boundary</p>",
        {"List-Unsubscribe": LONG_URL, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        sender_name='Ngā Whare, "Harbour" Services\r\nBcc: someone@example.net',
    ),
    OutgoingMessage(
        "<n4@coaching.nudges>",
        "to@example.net",
        "Welcome, Jo\r\nBcc: everyone@example.net",
        "trailing space \n\ttab\t\nFrom here\n",
        "<p>=?utf-8?q?looks_encoded?=</p>",
        sender_name="=?utf-8?q?looks_encoded?=",
    ),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.message_id)
@pytest.mark.parametrize("policy", [email.WIRE_POLICY, email.FILE_POLICY], ids=["wire", "file"])
@pytest.mark.parametrize("sender", ["coach@harbour.example", "Whānau <coach@whanau.example>"])
def test_the_bytes_sent_are_the_email_packages_rendering_of_the_message(
    monkeypatch, message, policy, sender
):
    boundary = uuid.uuid4()
    monkeypatch.setattr(email.uuid, "uuid4", lambda: boundary)
    monkeypatch.setattr(email, "formatdate", lambda usegmt: "Mon, 30 Nov 2026 08:00:00 GMT")

    rendered = email.build_email(message, sender).as_bytes(policy=policy)

    assert email.email_bytes(message, sender, policy) == rendered
