"""The client's own supporters page (``/me/{token}/supporters``, from their page's signed
link): who their supporters are, a form to add one (the client's own consent, and for the
crisis scope its own tick), and a button to remove each. Small server-rendered pages, no
JavaScript; each POST goes back to the page (Post/Redirect/Get). In the client's language
(``client_web.speaking``), as their page."""

from __future__ import annotations

import uuid

from flask import Response, redirect, render_template, request, url_for
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, ValidationError, fields, validate, validates_schema

from services.notifications.client_web.links import LinkRefused, read_page_link
from services.notifications.client_web.page_wording import (
    invalid_form_page,
    message_page,
    refused_page,
)
from services.notifications.client_web.pages import SECURITY_HEADERS
from services.notifications.client_web.speaking import N_, html_lang, speak_to
from services.notifications.client_web.speaking import gettext as _
from services.notifications.schemas import _e164
from services.notifications.supporters import rules, use_cases
from shared.runtime import current_runtime
from shared.validation import Schema, TimeZoneName

TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
supporter_client_pages = Blueprint(
    "supporter_client_pages",
    __name__,
    template_folder="templates",
    description="The client's own supporters page (HTML, from their page's signed link).",
)


NEEDS_AN_ADDRESS = N_("An email address or a phone number is required.")
NEEDS_CRISIS_CONSENT = N_("Tick the box to agree to the crisis scope.")


class SupporterForm(Schema):
    form_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    relationship = fields.String(load_default=None, validate=validate.Length(max=50))
    phone = fields.String(load_default=None, validate=validate.Length(max=32))
    email = fields.Email(load_default=None, validate=validate.Length(max=320))
    timezone = TimeZoneName(load_default=None, validate=validate.Length(max=64))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(rules.SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(rules.SCOPES)),
    )
    crisis_consent = fields.String(load_default=None, validate=validate.OneOf(("yes",)))

    @validates_schema
    def _whole(self, data, **_kwargs):
        for name in ("relationship", "phone", "email", "timezone"):
            if data.get(name) == "":
                data[name] = None
        if data.get("phone"):
            _e164(data["phone"])
        if not data.get("phone") and not data.get("email"):
            raise ValidationError(_(NEEDS_AN_ADDRESS), "phone")
        if "crisis" in data["scopes"] and data.get("crisis_consent") != "yes":
            raise ValidationError(_(NEEDS_CRISIS_CONSENT), "crisis_consent")


def _form() -> dict:
    raw = request.form.to_dict()
    raw["scopes"] = request.form.getlist("scopes")
    for name in ("relationship", "phone", "email", "timezone"):
        if raw.get(name) == "":
            raw.pop(name)
    return SupporterForm().load(raw, unknown=EXCLUDE)


def _with_label(supporter: dict) -> dict:
    """The supporter's state in the client's language."""
    label = supporter["state_label"]
    return supporter | {"state_label": _(label)}


def _link(token: str):
    runtime = current_runtime()
    link = read_page_link(runtime.settings.jwt_secret, token, runtime.clock())
    speak_to(link.tenant_id, link.client_id)
    return link


def _closed() -> Response:
    return message_page(
        _("This link is no longer valid"),
        _("Go back to a more recent email from your coach, or reply to any of our texts."),
        status=404,
    )


def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


@supporter_client_pages.errorhandler(LinkRefused)
def _refused(exc: LinkRefused) -> Response:
    return _secured(refused_page(exc))


@supporter_client_pages.route("/me/<token>/supporters", methods=["GET"])
@supporter_client_pages.doc(security=[], parameters=[TOKEN])
def my_supporters(token: str):
    """The client's supporters and their states, a form to add one, a button to remove."""
    runtime = current_runtime()
    link = _link(token)
    shown = use_cases.client_supporters(runtime.unit_of_work(), runtime.settings.jwt_secret, link)
    if shown is None:
        return _secured(_closed())
    html = render_template(
        "supporter/mine.html",
        lang=html_lang(),
        title=_("Your supporters"),
        supporters=[_with_label(s) for s in shown["supporters"]],
        can_add=shown["can_add"],
        max_supporters=rules.MAX_SUPPORTERS,
        missed_example=_(rules.MISSED_CHECKIN_TEXT).format(first_name=_("[your first name]")),
        form_id=uuid.uuid4(),
        add_action=url_for("supporter_client_pages.add_my_supporter", token=token),
        remove_action=lambda supporter_id: url_for(
            "supporter_client_pages.remove_my_supporter", token=token, supporter_id=supporter_id
        ),
        page_url=url_for("client_pages.my_page", token=token),
        noted=request.args.get("noted"),
    )
    return _secured(Response(html, mimetype="text/html"))


def _back(token: str, noted: str) -> Response:
    url = url_for("supporter_client_pages.my_supporters", token=token, noted=noted)
    return redirect(url, code=303)


@supporter_client_pages.route("/me/<token>/supporters", methods=["POST"])
@supporter_client_pages.doc(
    security=[],
    parameters=[TOKEN],
    requestBody={
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": SupporterForm}},
    },
)
def add_my_supporter(token: str):
    """Add a supporter, with the client's own consent (and, for the crisis scope, its own
    tick); they get one invitation."""
    runtime = current_runtime()
    link = _link(token)
    try:
        form = _form()
    except ValidationError as exc:
        return _secured(invalid_form_page(exc, token))
    added = use_cases.client_adds(runtime.unit_of_work(), runtime.settings.jwt_secret, link, form)
    if added is None:
        return _secured(_closed())
    if added == "full":
        return _secured(
            message_page(
                _("You have the most supporters you can have"),
                _("You can have up to {number}. Remove one to add another.").format(
                    number=rules.MAX_SUPPORTERS
                ),
                status=409,
                page_url=url_for("supporter_client_pages.my_supporters", token=token),
            )
        )
    return _back(token, "added")


@supporter_client_pages.route("/me/<token>/supporters/<uuid:supporter_id>/remove", methods=["POST"])
@supporter_client_pages.doc(security=[], parameters=[TOKEN])
def remove_my_supporter(token: str, supporter_id):
    """Remove a supporter: nothing more is sent to them."""
    runtime = current_runtime()
    link = _link(token)
    if not use_cases.client_removes(
        runtime.unit_of_work(), runtime.settings.jwt_secret, link, supporter_id
    ):
        return _secured(_closed())
    return _back(token, "removed")
