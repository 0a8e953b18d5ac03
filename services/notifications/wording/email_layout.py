"""How a client's email looks: one centred column of at most 600 px in the reader's
system font, real buttons (at least 44 px high, to tap) for "I did it" and the 1-10
ratings (two rows of five, which fit a 375 px phone), light or dark as the reader's mail
app is. Inline CSS only: mail apps drop style sheets and never load anything.

Text and link colours are left to the mail app (``color-scheme: light dark``), so they
read on its background either way; the buttons carry their own background and white text,
a mid blue that stands out on white and on black alike.
"""

from __future__ import annotations

HTML_LANGUAGE = "en"  # the language of the default wording

FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
BUTTON_COLOUR = "#2b5c9e"  # white text on it: 6.6:1; against black or white: over 3:1
_BUTTON = (
    f"display:block;background-color:{BUTTON_COLOUR};color:#ffffff;text-decoration:none;"
    "font-weight:600;font-size:18px;line-height:24px;padding:10px 0;min-height:24px;"
    f"border:2px solid {BUTTON_COLOUR};border-radius:8px;text-align:center"
)
_COLUMN = (
    "max-width:600px;box-sizing:border-box;margin:0 auto;padding:16px;"
    f"font-family:{FONT};font-size:16px;line-height:1.5"
)


def html_document(body: str, lang: str = HTML_LANGUAGE) -> str:
    """An HTML email part: the language and the character set declared, light or dark as
    the reader's mail app is, ``body`` in one centred column."""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n'
        '<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        '<meta name="supported-color-schemes" content="light dark"></head>\n'
        '<body style="margin:0;padding:0;-webkit-text-size-adjust:100%">'
        f'<div style="{_COLUMN}">{body}</div></body>\n</html>\n'
    )


def button(url: str, label: str) -> str:
    """One button (a link that looks like one), the width of a thumb-friendly column."""
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
        'style="margin:16px 0;border-collapse:separate"><tr>'
        f'<td style="width:200px"><a href="{url}" style="{_BUTTON}">{label}</a></td>'
        "</tr></table>"
    )


def rating_buttons(urls: str, per_row: int = 5, out_of: str = "{{ loop.index }} out of 10") -> str:
    """The ten 1-10 buttons as a Jinja loop over ``urls`` (the template's variable name),
    ``per_row`` to a row. Each link's text is its number alone."""
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
        'style="width:100%;max-width:400px;margin:16px 0;border-collapse:separate;'
        'border-spacing:6px;table-layout:fixed">'
        f"{{% for url in {urls} %}}"
        f"{{% if loop.index0 % {per_row} == 0 %}}<tr>{{% endif %}}"
        '<td style="width:20%"><a href="{{ url }}" aria-label="' + out_of + '" '
        f'style="{_BUTTON}">{{{{ loop.index }}}}</a></td>'
        f"{{% if loop.index % {per_row} == 0 or loop.last %}}</tr>{{% endif %}}"
        "{% endfor %}</table>"
    )


def small_print(html: str) -> str:
    return f'<p style="font-size:14px;opacity:.8">{html}</p>'
