"""marshmallow schemas for every request and response: the single source of the OpenAPI document."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from ..errors import UnknownFigure

# The ranges of the database's columns, so a number past them is a 422 naming its field.
ID = validate.Range(min=1, max=2**63 - 1, error="An id is a whole number from 1 to 9223372036854775807.")
COUNT = validate.Range(min=0, max=2**31 - 1, error="A count is a whole number from 0 to 2147483647.")
VERSION = validate.Range(min=1, max=2**31 - 1, error="A version is a whole number from 1 to 2147483647.")


def api_time(moment: datetime) -> str:
    """A time as every answer spells it, and as PostgreSQL writes a timestamptz into JSON: ISO 8601
    in UTC, the fraction of a second without trailing zeros (none when it is zero)."""
    text = moment.astimezone(timezone.utc).isoformat()
    whole, dot, rest = text.partition(".")
    return f"{whole}.{rest[:6].rstrip('0')}{rest[6:]}" if dot else text


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 time with an offset, read as UTC (any valid offset, stored the same way) and
    written as ``api_time`` spells it."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else api_time(value)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(timezone.utc)
        except OverflowError:
            raise ValidationError("That time is out of range.") from None


class Amount(fields.Number):
    """A number of units: whole (read as an int), or with up to 2 decimal places (read as a
    Decimal: ``5.25``), which only a custom title takes; the catalog's kinds refuse it (422)."""

    num_type = float  # how the OpenAPI document writes its bounds

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("Give a number of units (such as 3, or 5.25 on a custom title).")
        if isinstance(value, int):
            return value
        exact = Decimal(str(value))
        if not exact.is_finite() or exact != exact.quantize(Decimal("0.01")):
            raise ValidationError("A number of units has at most 2 decimal places (5.25).")
        return int(exact) if exact == exact.to_integral_value() else exact


def amount(*, minimum: int, **kwargs) -> Amount:
    return Amount(validate=validate.Range(min=minimum, max=2**31 - 1, error=(
        f"A number of units is from {minimum} to 2147483647.")), **kwargs)


class ProblemSchema(Schema):
    """Every 4xx/5xx answer (application/problem+json, RFC 9457)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True, metadata={"description": "a sentence a person understands"})
    errors = fields.Dict(keys=fields.String(), metadata={"description": "per field, for validation errors"})


class Figure(fields.Float):
    """A figure as the answer gives it: a count stays a whole number, an average keeps its decimals."""

    def _format_num(self, value):
        return value if isinstance(value, int) else float(value)


class FigureQuerySchema(Schema):
    """``?figure=``: which figure of an answer to explain, one of ``figures``. A missing or unknown
    one is a 422 naming the figures (read before the query's fields, whose faults are 400s)."""

    figures: tuple[str, ...] = ()

    @pre_load
    def known_figure(self, data, **kwargs):
        figure = data.get("figure")
        if not isinstance(figure, str) or not self.known(figure):
            raise UnknownFigure(figure if isinstance(figure, str) else None, self.figures)
        return data

    def known(self, figure: str) -> bool:
        return figure in self.figures


def figure_query(name: str, figures: tuple[str, ...]) -> type[FigureQuerySchema]:
    """The query schema of an explanation of one of ``figures``."""
    return type(name, (FigureQuerySchema,), {
        "figures": figures, "figure": fields.String(required=True, validate=validate.OneOf(figures))})
