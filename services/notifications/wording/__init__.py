"""What every message says, and the limits on what an organisation may make it say.

Owns: the kinds of nudge (``kinds``: who receives each, how much it matters, the variables
its templates may use), the platform's default wording of each kind on each channel
(``defaults``, Jinja2, translated through gettext catalogs), the languages a client is
written to in and their catalogs, dates and fallback chain (``locales``; the ``.po``
files under ``locale/``), an organisation's own templates (``templates``: checked, then
rendered in a bounded sandbox, ``sandbox``: a time and a size budget for each render),
SMS segments (``segments``, GSM 03.38 and UCS-2), the email layout (``email_layout``),
and a nudge's state in words a coach reads (``nudge_reasons``). Its table (an
organisation's template overrides, per kind, channel and locale) is in ``models``.

Entry points: ``KINDS``, ``render`` (a kind's message, with the organisation's template or
the default), ``sms_segments``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.notifications.wording.kinds import KINDS
    from services.notifications.wording.segments import sms_segments
    from services.notifications.wording.templates import render

__all__ = ["KINDS", "render", "sms_segments"]


def __getattr__(name: str):
    # Loaded on first use, so that one module of the package imports without the rest.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from services.notifications.wording.kinds import KINDS
    from services.notifications.wording.segments import sms_segments
    from services.notifications.wording.templates import render

    return {"KINDS": KINDS, "render": render, "sms_segments": sms_segments}[name]
