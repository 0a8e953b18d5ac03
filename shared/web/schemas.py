"""Schemas shared by every API's OpenAPI document."""

from marshmallow import fields

from shared.validation import Schema

PROBLEM_TITLES = {
    400: "Malformed request",
    401: "Missing or invalid credentials",
    403: "Not allowed for your role",
    404: "Not found (or another organisation's)",
    409: "Conflicts with the resource's state",
    410: "A replayed answer about a client since erased (Idempotency-Key)",
    412: "Stale write (If-Match)",
    422: "Invalid fields",
}


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "Field name -> messages"})


def documents_errors(blueprint, *codes: int):
    """Decorator: list the problem+json answers an endpoint can give in its OpenAPI entry."""

    def decorator(view):
        for code in codes:
            view = blueprint.alt_response(
                code,
                schema=ProblemSchema,
                description=PROBLEM_TITLES.get(code, "Error"),
                content_type="application/problem+json",
            )(view)
        return view

    return decorator
