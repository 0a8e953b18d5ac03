"""Answering with FHIR: the ``application/fhir+json`` media type, never cached, and the
query both FHIR exports take (``include=communications``)."""

from __future__ import annotations

import json

from flask import Response
from marshmallow import Schema, fields, validate

from shared.fhir import MEDIA_TYPE

INCLUDABLE = ("communications",)


class FhirQuerySchema(Schema):
    include = fields.String(
        load_default=None,
        validate=validate.OneOf(INCLUDABLE),
        metadata={
            "description": "`communications`: the client's own words too (journal and crisis "
            "replies), for a caller who may read the journal."
        },
    )


def wants_communications(query: dict) -> bool:
    return query.get("include") == "communications"


def fhir_answer(resource: dict) -> Response:
    """A FHIR resource as the answer: health information, so no cache keeps it."""
    return Response(
        json.dumps(resource, ensure_ascii=False, separators=(",", ":")),
        mimetype=MEDIA_TYPE,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
