"""The client on the web: answers from signed links, their own page, and leaving.

Owns: the signed, expiring links in a client's emails and texts (``links``: "I did it",
the 1-10 ratings, the page), the pages they open (``pages``, phone-sized, no JavaScript;
``view``: what the page shows; ``page_wording``: what the pages say; templates in
``templates/client``), recording an answer from a link as a reply (``answers``, through
``replies.record_reply``), the client's own ratings kept for their page (``ratings``),
phone numbers made tappable (``phone_links``), the language the pages speak (``speaking``:
the client's, else the browser's), and the one-click unsubscribe (RFC 8058:
``unsubscribe_tokens``, ``unsubscribe_page``). What its pages read and change, each in
the unit of work it owns, is in ``use_cases``. Its table is in ``models``.

Entry points: ``blueprints()`` (the pages' routes), ``email_link_variables`` and
``page_url`` (the links a message carries), ``unsubscribe_url``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.notifications.client_web.links import email_link_variables, page_url
    from services.notifications.client_web.unsubscribe_tokens import unsubscribe_url

__all__ = ["blueprints", "email_link_variables", "page_url", "unsubscribe_url"]


def blueprints() -> tuple:
    from services.notifications.client_web.pages import client_pages
    from services.notifications.client_web.unsubscribe_page import unsubscribe

    return (unsubscribe, client_pages)


def __getattr__(name: str):
    # Loaded on first use, so that one module of the package imports without the rest.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from services.notifications.client_web.links import email_link_variables, page_url
    from services.notifications.client_web.unsubscribe_tokens import unsubscribe_url

    return {
        "email_link_variables": email_link_variables,
        "page_url": page_url,
        "unsubscribe_url": unsubscribe_url,
    }[name]
