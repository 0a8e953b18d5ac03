"""Response bodies of the notifications API."""

from marshmallow import Schema, fields, validate


class NudgeQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class NudgeSchema(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    kind = fields.String()
    channel = fields.String(allow_none=True)
    state = fields.String(
        metadata={"description": "scheduled, sending, sent, failed, suppressed, cancelled"}
    )
    reason = fields.String(allow_none=True)
    due_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    attempts = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class NudgePageSchema(Schema):
    items = fields.List(fields.Nested(NudgeSchema))
    next_cursor = fields.String(allow_none=True)
