"""Request and response bodies of the plans API."""

from marshmallow import Schema, fields, validate


class PlanQuerySchema(Schema):
    client_id = fields.UUID(required=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class GoalSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    domain = fields.String()
    description = fields.String(allow_none=True)
    status = fields.String()
    progress = fields.Integer()
    created_at = fields.DateTime()


class PlanSchema(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    coach_id = fields.UUID()
    status = fields.String()
    timezone = fields.String()
    baseline_ratings = fields.Dict(keys=fields.String(), values=fields.Integer())
    assessment_version = fields.Integer()
    goals = fields.List(fields.Nested(GoalSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PlanPageSchema(Schema):
    items = fields.List(fields.Nested(PlanSchema))
    next_cursor = fields.String(allow_none=True)
