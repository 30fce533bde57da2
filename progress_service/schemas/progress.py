"""Entries of the progress log, trackers, time travel and rollback."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..domain.events import EVENT_TYPES
from ..domain.vocabulary import KINDS, STATUSES, UNITS
from . import COUNT, ID, VERSION, UtcDateTime

CHANGES = ("status", "progress", "delta", "rating", "note", "restart")
RATING = validate.Range(min=0.5, max=5)


class Restart(fields.Boolean):
    """``restart: true``, and nothing else: JSON true (not 1, "yes" or false)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is True:
            return True
        if value is False:
            raise ValidationError("restart: false asks for nothing; send restart: true to start a new pass, or "
                                  "leave restart out.")
        raise ValidationError(f"restart is true (JSON true) to start a new pass; got {value!r}.")


class ChangeSchema(Schema):
    """Exactly one change to a tracker."""

    openapi_rules = {"oneOf": [{"required": [change]} for change in CHANGES]}

    status = fields.String(validate=validate.OneOf(STATUSES))
    progress = fields.Integer(strict=True, validate=COUNT)
    delta = fields.Integer(strict=True, validate=validate.Range(min=-(2**31 - 1), max=2**31 - 1))
    rating = fields.Float(allow_none=True, validate=RATING, metadata={"description": "0.5 to 5 in steps of 0.5; null clears"})
    note = fields.String(validate=validate.Length(min=1, max=2000))
    restart = Restart(validate=validate.Equal(True), metadata={
        "description": "true starts the tracker again from the beginning: a new pass (rewatch, reread, "
                       "relisten), progress 0, in progress"})
    occurred_at = UtcDateTime(metadata={"description": "when it happened; may be in the past"})

    @validates_schema
    def exactly_one_change(self, data, **kwargs):
        given = [name for name in CHANGES if name in data]
        if len(given) != 1:
            raise ValidationError(f"Say exactly one change of {', '.join(CHANGES)}; got {len(given)}.", "_schema")


class LogSchema(ChangeSchema):
    title_id = fields.Integer(required=True, strict=True, validate=ID)
    user_id = fields.Integer(strict=True, validate=ID,
                             metadata={"description": "an admin may log for another user"})


class EventSchema(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    title_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    type = fields.String(required=True, validate=validate.OneOf(list(EVENT_TYPES)))
    data = fields.Dict(required=True)
    occurred_at = UtcDateTime(required=True)
    recorded_at = UtcDateTime(required=True)


class EventPageSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True)


class HistoryQuerySchema(Schema):
    """A page of a user's entries, newest first."""

    title_id = fields.Integer(validate=ID)
    since = UtcDateTime()
    until = UtcDateTime()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    before = fields.Integer(validate=ID)


class LogQuerySchema(HistoryQuerySchema):
    type = fields.String(validate=validate.OneOf(list(EVENT_TYPES)))


class TitleNameSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)


class TitleBriefSchema(TitleNameSchema):
    unit = fields.String(required=True)
    total_units = fields.Integer(allow_none=True, required=True)


class TrackerSchema(Schema):
    user_id = fields.Integer(required=True)
    title_id = fields.Integer(required=True)
    title = fields.Nested(TitleBriefSchema, required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    progress = fields.Integer(required=True)
    total = fields.Integer(allow_none=True, required=True)
    percent = fields.Float(allow_none=True, required=True)
    rating = fields.Float(allow_none=True, required=True)
    notes = fields.List(fields.String(), required=True)
    started_at = UtcDateTime(allow_none=True, required=True)
    completed_at = UtcDateTime(allow_none=True, required=True)
    times_completed = fields.Integer(required=True)
    pass_ = fields.Integer(required=True, data_key="pass",
                           metadata={"description": "1, and one more each time it was started again"})
    version = fields.Integer(required=True)
    updated_at = UtcDateTime(allow_none=True, required=True)


class PassSchema(Schema):
    """One time through a title (domain.tracker.Pass)."""

    number = fields.Integer(required=True, data_key="pass", metadata={"description": "1 for the first"})
    started_at = UtcDateTime(allow_none=True, required=True,
                             metadata={"description": "when it was first in progress or completed"})
    completed_at = UtcDateTime(allow_none=True, required=True,
                               metadata={"description": "its latest completion, or null"})
    progress = fields.Integer(required=True, metadata={"description": "units done in it, now or when the next began"})
    rating = fields.Float(allow_none=True, required=True, metadata={"description": "the rating set during it"})
    entries = fields.Integer(required=True, metadata={"description": "the counted entries in it"})


class PassesSchema(Schema):
    items = fields.List(fields.Nested(PassSchema), required=True, metadata={"description": "oldest first"})


# The board's columns and the counts: one field per status, in the vocabulary's order.
BoardSchema = Schema.from_dict({status: fields.List(fields.Nested(TrackerSchema), required=True)
                                for status in STATUSES}, name="BoardSchema")


class BoardQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String(validate=validate.OneOf(KINDS))


class TrackerQuerySchema(Schema):
    version = fields.Integer(validate=VERSION, metadata={"description": "as known right after this version"})
    as_of = UtcDateTime(metadata={"description": "as known at this time (entries recorded by then)"})
    at = UtcDateTime(metadata={"description": "as it was at this time (entries that occurred by then), by what "
                                              "is known now, or at version / as_of"})

    @validates_schema
    def one_moment(self, data, **kwargs):
        if "version" in data and "as_of" in data:
            raise ValidationError("Ask for a version or a time (as_of), not both.", "_schema")


class TrackerUpdateSchema(Schema):
    openapi_rules = {"minProperties": 1}

    status = fields.String(validate=validate.OneOf(STATUSES))
    progress = fields.Integer(strict=True, validate=COUNT)
    rating = fields.Float(allow_none=True, validate=RATING)
    note = fields.String(validate=validate.Length(min=1, max=2000))

    @validates_schema
    def some_change(self, data, **kwargs):
        if not data:
            raise ValidationError("Say at least one of status, progress, rating or note.", "_schema")


class RollbackSchema(Schema):
    openapi_rules = {"oneOf": [{"required": ["to_version"]}, {"required": ["to_time"]}]}

    to_version = fields.Integer(strict=True, validate=VERSION)
    to_time = UtcDateTime()

    @validates_schema
    def one_target(self, data, **kwargs):
        if ("to_version" in data) == ("to_time" in data):
            raise ValidationError("Say to_version or to_time, one of them.", "_schema")


class HistoryItemSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    title = fields.Nested(TitleNameSchema, required=True)
    summary = fields.String(required=True, metadata={"description": 'e.g. "Watched episode 13 of 62"'})
    state = fields.Nested(TrackerSchema, required=True, metadata={"description": "the tracker right after the entry"})
    retracted_by = fields.Integer(allow_none=True, required=True,
                                  metadata={"description": "the log id of the entry that retracted it, if any"})
    corrected_by = fields.Integer(allow_none=True, required=True,
                                  metadata={"description": "the log id of the latest entry that corrected it, if any"})


class HistoryPageSchema(Schema):
    items = fields.List(fields.Nested(HistoryItemSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True)


StatusCountsSchema = Schema.from_dict({status: fields.Integer(required=True) for status in STATUSES},
                                      name="StatusCountsSchema")
UnitsSchema = Schema.from_dict({unit: fields.Integer(required=True) for unit in UNITS.values()}, name="UnitsSchema")


class RatingsSchema(Schema):
    count = fields.Integer(required=True)
    average = fields.Float(allow_none=True, required=True)


class ActivityDaySchema(Schema):
    date = fields.Date(required=True)
    events = fields.Integer(required=True)


class SummarySchema(Schema):
    user_id = fields.Integer(required=True)
    counts = fields.Nested(StatusCountsSchema, required=True)
    by_kind = fields.Dict(keys=fields.String(), values=fields.Nested(StatusCountsSchema), required=True)
    units = fields.Nested(UnitsSchema, required=True)
    ratings = fields.Nested(RatingsSchema, required=True)
    last_activity_at = UtcDateTime(allow_none=True, required=True)
    activity = fields.List(fields.Nested(ActivityDaySchema), required=True,
                           metadata={"description": "entries per day over the last 30 days, oldest first"})


class ExportQuerySchema(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["csv", "json"]))


class ClearQuerySchema(Schema):
    purge = fields.Boolean(load_default=False, metadata={"description": "admin: erase the events themselves"})


class ClearedSchema(Schema):
    retracted = fields.Integer()
    purged = fields.Integer()
