"""The six sections of a safety plan (Stanley and Brown), in their order, with their
bounds and their headings as the client reads them; and the plan as text, for the client's
phone: the crisis line first, then the sections in order, in texts of a few SMS segments.

Pure rules: no database, no web. What a plan says is health data: none of it is logged.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping

from services.notifications.wording.segments import sms_segments


def N_(message: str) -> str:
    """Marks a message for the catalogs (``make messages``); translated where shown."""
    return message


def _same(message: str) -> str:
    return message


# In the order the plan is read and sent.
SECTIONS = (
    "warning_signs",
    "coping_strategies",
    "distractions",
    "help_contacts",
    "professionals",
    "safe_environment",
)
# Sections whose items are people or services to call: a name and an optional phone.
CONTACT_SECTIONS = frozenset({"help_contacts", "professionals"})
HEADINGS = {
    "warning_signs": N_("Warning signs"),
    "coping_strategies": N_("Things I can do on my own"),
    "distractions": N_("People and places that take my mind off things"),
    "help_contacts": N_("People I can ask for help"),
    "professionals": N_("Professionals and services"),
    "safe_environment": N_("Making my surroundings safe"),
}
MAX_ITEMS = 10  # per section
MAX_ITEM_LENGTH = 200  # characters of one item (a contact's name: MAX_NAME_LENGTH)
MAX_NAME_LENGTH = 100
MAX_PHONE_LENGTH = 32
# A text of the plan is at most this many SMS segments (the phone joins them, in order;
# 10 GSM-7 segments are 1,530 characters, within what providers take in one message).
MAX_SEGMENTS_PER_TEXT = 10


def empty_sections() -> dict[str, list]:
    return {name: [] for name in SECTIONS}


def normalised(sections: Mapping[str, list]) -> dict[str, list]:
    """The six sections, each a list (missing ones empty), text stripped; contacts as
    ``{"name", "phone"}`` (``phone`` None when not given; a help contact that is one of
    the client's supporters has their ``supporter_id`` too). The values were checked by the
    schema (bounds, one line of text)."""
    plan = empty_sections()
    for name in SECTIONS:
        for item in sections.get(name) or ():
            if name in CONTACT_SECTIONS:
                phone = (item.get("phone") or "").strip() or None
                entry = {"name": item["name"].strip(), "phone": phone}
                if name == "help_contacts" and item.get("supporter_id"):
                    entry["supporter_id"] = str(item["supporter_id"])
                plan[name].append(entry)
            else:
                plan[name].append(item.strip())
    return plan


def has_content(sections: Mapping[str, list]) -> bool:
    return any(sections.get(name) for name in SECTIONS)


def item_text(section: str, item) -> str:
    """One item as the client reads it: a contact is its name and phone."""
    if section in CONTACT_SECTIONS:
        return f"{item['name']} {item['phone']}" if item.get("phone") else item["name"]
    return item


def readable(
    sections: Mapping[str, list], crisis_line: str, _: Callable[[str], str] = _same
) -> list[tuple[str, str, list[str]]]:
    """The sections in order as ``(name, heading, items)``, each item in words and each
    heading in the language of ``_`` (the catalog's ``gettext``); the professionals and
    services open with the crisis line."""
    shown = []
    for name in SECTIONS:
        items = [item_text(name, item) for item in sections.get(name) or ()]
        if name == "professionals":
            items = [crisis_line, *items]
        shown.append((name, _(HEADINGS[name]), items))
    return shown


# -- the plan by SMS ---------------------------------------------------------------------------


def plan_texts(
    sections: Mapping[str, list], crisis_line: str, _: Callable[[str], str] = _same
) -> list[str]:
    """The plan as SMS texts, in order: the first starts with the crisis line (so it is in
    the first segment), then each section's heading and items; a section with nothing in
    it is left out. Each text is at most ``MAX_SEGMENTS_PER_TEXT`` segments; several are
    numbered ("1/3 ") so that the client can read them in order however they arrive. The
    fixed words are in the language of ``_`` (the catalog's ``gettext``)."""
    lines = [_("Your safety plan. Help now: {crisis_line}").replace("{crisis_line}", crisis_line)]
    for number, name in enumerate(SECTIONS, start=1):
        items = [item_text(name, item) for item in sections.get(name) or ()]
        if name == "professionals" and items:
            items = [_("the crisis line above"), *items]
        if items:
            lines.append(
                _("{number}. {heading}:")
                .replace("{number}", str(number))
                .replace("{heading}", _(HEADINGS[name]))
            )
            lines.extend(f"- {item}" for item in items)
    texts = _packed(lines, numbered=False)
    if len(texts) > 1:
        texts = _packed(lines, numbered=True)
    return texts


def _packed(lines: list[str], *, numbered: bool) -> list[str]:
    """``lines`` joined into as few texts as fit, a line never split between two."""
    texts: list[list[str]] = [[]]
    # Room for the "10/10 " prefix when numbered.
    prefix = "00/00 " if numbered else ""
    for line in lines:
        candidate = "\n".join([*texts[-1], line])
        if texts[-1] and sms_segments(prefix + candidate).segments > MAX_SEGMENTS_PER_TEXT:
            texts.append([line])
        else:
            texts[-1].append(line)
    joined = ["\n".join(text) for text in texts]
    if not numbered:
        return joined
    return [f"{i}/{len(joined)} {text}" for i, text in enumerate(joined, start=1)]


# The words asking for the plan, in every shipped language, without spaces or accents.
PLAN_WORDS = ("PLAN", "SAFETYPLAN", "PLANDESEGURIDAD", "MIPLAN", "MIPLANDESEGURIDAD")


def asks_for_plan(body: str) -> bool:
    """``PLAN``, ``SAFETY PLAN`` or ``PLAN DE SEGURIDAD`` (``MI PLAN``), whatever the
    case, accents and spaces (a full stop, an exclamation or question mark around it
    too), as the other keywords are read."""
    bare = unicodedata.normalize("NFKD", body or "")
    bare = "".join(c for c in bare if not unicodedata.combining(c))
    word = "".join(bare.split()).upper().strip(".!?¡¿")
    return word in PLAN_WORDS
