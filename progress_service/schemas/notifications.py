"""Notification settings and the mails sent."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate

from . import UtcDateTime

KINDS = ["daily_reminder", "weekly_digest", "monthly_digest", "release"]


def known_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{name!r} is not a timezone this service knows; use a name such as "
                              "Europe/Paris or America/New_York.") from None


AT = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                     error="The reminder's time is HH:MM on a 24-hour clock, such as 20:00.")
AT_DOC = {"description": "the time of day in the user's timezone", "example": "20:00"}


class DailyReminderSchema(Schema):
    enabled = fields.Boolean(required=True)
    at = fields.String(required=True, validate=AT, metadata=AT_DOC)


class ReminderChangeSchema(Schema):
    enabled = fields.Boolean()
    at = fields.String(validate=AT, metadata=AT_DOC)


class NotificationSettingsSchema(Schema):
    email = fields.String(required=True, allow_none=True)
    timezone = fields.String(required=True)
    daily_reminder = fields.Nested(DailyReminderSchema, required=True)
    weekly_digest = fields.Boolean(required=True)
    monthly_digest = fields.Boolean(required=True)
    releases = fields.Boolean(required=True)


class NotificationSettingsChangeSchema(Schema):
    """The fields to change; the others keep their values."""

    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    timezone = fields.String(validate=[validate.Length(min=1, max=64), known_timezone])
    daily_reminder = fields.Nested(ReminderChangeSchema)
    weekly_digest = fields.Boolean()
    monthly_digest = fields.Boolean()
    releases = fields.Boolean()


class SentMailSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    period = fields.String(required=True, metadata={"description": "2026-12-03 (a reminder, a release mail), 2026-W49 or 2026-11"})
    sent_at = UtcDateTime(required=True)
    subject = fields.String(required=True)


class SentQuerySchema(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class UnsubscribeQuerySchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=2000))
