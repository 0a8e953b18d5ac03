"""Phone numbers become tap-to-call links, and nothing else in the text is trusted."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from services.notifications.client_web.phone_links import linked_phone_numbers


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("call 000 now", 'call <a href="tel:000">000</a> now'),
        ("Lifeline on 13 11 14.", 'Lifeline on <a href="tel:131114">13 11 14</a>.'),
        ("Samaritans: 116 123", 'Samaritans: <a href="tel:116123">116 123</a>'),
        ("or +44 116 123,", 'or <a href="tel:+44116123">+44 116 123</a>,'),
        ("(02) 9999 9999", '<a href="tel:0299999999">(02) 9999 9999</a>'),
        ("1800-000-111", '<a href="tel:1800000111">1800-000-111</a>'),
    ],
)
def test_a_phone_number_becomes_a_tel_link(text, linked):
    assert linked_phone_numbers(text) == Markup(linked)


@pytest.mark.parametrize(
    "text",
    ["24/7", "7/10", "rated 12 today", "1.5 hours", "1,000 people", "room B123", "x 13 11 14x"],
)
def test_what_is_not_a_phone_number_stays_text(text):
    assert "<a" not in linked_phone_numbers(text)


def test_everything_but_the_link_is_escaped():
    linked = linked_phone_numbers('<script>alert("x")</script> & call 000')
    assert linked == Markup(
        '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; call <a href="tel:000">000</a>'
    )
    assert isinstance(linked, Markup)
