"""The client's safety plan on their own page (``/me/{token}/safety-plan``, the same
signed link as the page): phone-sized, printable, no JavaScript. The client reads the six
sections (the crisis line first among professionals), edits their own coping steps (a new
version, written by the client) and confirms the plan (``client_acknowledged_at``). It
speaks the client's language (``client_web.speaking``), as their page does.

Each form posts and comes back to the plan (Post/Redirect/Get). A link that opens
nothing shows nothing of the client, as every page of ``client_web``. What the page says
is here; nothing of the plan is logged.
"""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, ValidationError, fields, validate

from services.notifications.client_web.links import read_page_link
from services.notifications.client_web.page_wording import (
    invalid_form_page,
)
from services.notifications.client_web.pages import LINK_DOC, TOKEN, guard_link_pages
from services.notifications.client_web.speaking import N_, html_lang, speak_to
from services.notifications.client_web.speaking import gettext as _
from services.notifications.safety_plans import use_cases
from services.notifications.safety_plans.sections import MAX_ITEM_LENGTH, MAX_ITEMS
from shared.runtime import current_runtime
from shared.validation import MultilineText, Schema

safety_plan_pages = Blueprint(
    "safety_plan_pages",
    __name__,
    template_folder="templates",
    description="The client's safety plan on their own page (HTML, from the page's signed "
    "link; no staff token).",
)

# Translated where shown (the client's language).
NOTES = {
    "saved": N_("Your steps are saved. Your coach will see them."),
    "confirmed": N_("Thank you. Your coach can see that you confirmed your plan."),
    "changed": N_(
        "Your plan changed while you had it open, so nothing was saved. Here it is "
        "as it is now: please try again."
    ),
}
# The coping steps' box: one step a line.
MAX_COPING_TEXT = MAX_ITEMS * (MAX_ITEM_LENGTH + 2)


class CopingForm(Schema):
    version = fields.Integer(required=True, strict=False, validate=validate.Range(1, 2**31 - 1))
    coping_strategies = MultilineText(
        load_default="", validate=validate.Length(max=MAX_COPING_TEXT)
    )


class ConfirmForm(Schema):
    version = fields.Integer(required=True, strict=False, validate=validate.Range(1, 2**31 - 1))


def _form_doc(schema: type[Schema]) -> dict:
    return LINK_DOC | {
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        }
    }


PLAN_DOC = LINK_DOC | {
    "parameters": [
        TOKEN,
        {
            "name": "noted",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": sorted(NOTES)},
        },
    ]
}


guard_link_pages(safety_plan_pages)


def _link(token: str):
    runtime = current_runtime()
    link = read_page_link(runtime.settings.jwt_secret, token, runtime.clock())
    speak_to(link.tenant_id, link.client_id)
    return link


def _back(token: str, noted: str) -> Response:
    return redirect(url_for("safety_plan_pages.plan", token=token, noted=noted), code=303)


def coping_steps(text: str) -> list[str]:
    """One step a line, blank lines left out; more than ``MAX_ITEMS`` steps or a step
    longer than ``MAX_ITEM_LENGTH`` is refused, naming the field."""
    steps = [" ".join(line.split()) for line in text.splitlines()]
    steps = [step for step in steps if step]
    if len(steps) > MAX_ITEMS:
        raise ValidationError(
            {"coping_strategies": [_("At most {number} steps.").format(number=MAX_ITEMS)]}
        )
    if any(len(step) > MAX_ITEM_LENGTH for step in steps):
        raise ValidationError(
            {
                "coping_strategies": [
                    _("Each step at most {number} characters.").format(number=MAX_ITEM_LENGTH)
                ]
            }
        )
    return steps


@safety_plan_pages.route("/me/<token>/safety-plan", methods=["GET"])
@safety_plan_pages.doc(**PLAN_DOC)
def plan(token: str):
    """The client's safety plan: the crisis line first, the six sections in order, a form
    to edit their own coping steps and a button to confirm the plan."""
    runtime = current_runtime()
    link = _link(token)
    page = use_cases.plan_page(runtime.unit_of_work(), runtime.settings.jwt_secret, link)
    html = render_template(
        "safety_plan/page.html",
        lang=html_lang(),
        title=_("Your safety plan"),
        page=page,
        sections=[(name, _(heading), items) for name, heading, items in page.sections],
        note=_(NOTES[noted]) if (noted := request.args.get("noted") or "") in NOTES else None,
        coping_text="\n".join(page.coping_strategies),
        coping_limit=MAX_ITEMS,
        item_limit=MAX_ITEM_LENGTH,
        coping_action=url_for("safety_plan_pages.coping", token=token),
        confirm_action=url_for("safety_plan_pages.confirm", token=token),
        my_page=url_for("client_pages.my_page", token=token),
    )
    return Response(html, mimetype="text/html")


@safety_plan_pages.route("/me/<token>/safety-plan/coping", methods=["POST"])
@safety_plan_pages.doc(**_form_doc(CopingForm))
def coping(token: str):
    """The client's own coping steps (one a line), kept as a new version of the plan."""
    runtime = current_runtime()
    link = _link(token)
    try:
        form = CopingForm().load(request.form.to_dict(), unknown=EXCLUDE)
        steps = coping_steps(form["coping_strategies"])
    except ValidationError as exc:
        return invalid_form_page(exc, token)
    changed = use_cases.change_coping_steps(
        runtime.unit_of_work(), runtime.settings.jwt_secret, link, form["version"], steps
    )
    return _back(token, "saved" if changed else "changed")


@safety_plan_pages.route("/me/<token>/safety-plan/confirm", methods=["POST"])
@safety_plan_pages.doc(**_form_doc(ConfirmForm))
def confirm(token: str):
    """The client confirms the version of the plan they read."""
    runtime = current_runtime()
    link = _link(token)
    try:
        form = ConfirmForm().load(request.form.to_dict(), unknown=EXCLUDE)
    except ValidationError as exc:
        return invalid_form_page(exc, token)
    confirmed = use_cases.confirm_plan(
        runtime.unit_of_work(), runtime.settings.jwt_secret, link, form["version"]
    )
    return _back(token, "confirmed" if confirmed else "changed")
