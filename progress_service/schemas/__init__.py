"""marshmallow schemas for every request and response: the single source of the OpenAPI document."""
from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, ValidationError, fields


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 time with an offset, read as UTC (any valid offset, stored the same way)."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(timezone.utc)
        except OverflowError:
            raise ValidationError("That time is out of range.") from None


class ProblemSchema(Schema):
    """Every 4xx/5xx answer (application/problem+json, RFC 9457)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True, metadata={"description": "a sentence a person understands"})
    errors = fields.Dict(keys=fields.String(), metadata={"description": "per field, for validation errors"})
