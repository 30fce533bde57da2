"""The feed other services follow (shared/API.md, "Others follow the log")."""
from marshmallow import Schema, ValidationError, fields, validate

from ..domain.events import EVENT_TYPES
from ..eventstore import FeedPosition
from ..feed import MAX_WAIT
from . import ID


class After(fields.String):
    """Where to read on from: a log id (``12``: after that event) or a feed position (``"812:12"``);
    0 or nothing, from the first event."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if text.isdigit() and int(text) < 2**63:
            return int(text)
        position = FeedPosition.parse(text)
        if position is None:
            raise ValidationError(f"after is a log id (12) or a feed position (812:12), as next_after and "
                                  f"next_position give them; got {text!r}.")
        return position


class FeedQuerySchema(Schema):
    after = After(load_default=0, metadata={
        "description": "after this log id (as next_after gives it) or feed position (next_position); "
                       "0 or none: from the first event"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    type = fields.String(validate=validate.OneOf(list(EVENT_TYPES)), metadata={"description": "only events of this type"})
    user_id = fields.Integer(validate=ID, metadata={"description": "only this user's events"})
    wait = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_WAIT), metadata={
        "description": f"seconds (at most {MAX_WAIT}) to hold an empty answer open until an event arrives"})


class FeedStreamQuerySchema(Schema):
    after = After(metadata={"description": "as for GET /api/events; the Last-Event-ID header, when sent, wins"})
    type = fields.String(validate=validate.OneOf(list(EVENT_TYPES)))
    user_id = fields.Integer(validate=ID)


class FeedEventSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the log id"})
    position = fields.String(required=True, metadata={
        "description": "where the event stands in the feed (\"<transaction>:<log id>\"): the feed's order is by "
                       "position, which log ids do not follow, since appends commit in any order"})
    user_id = fields.Integer(required=True)
    title_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    type = fields.String(required=True)
    data = fields.Dict(required=True)
    occurred_at = fields.String(required=True)
    recorded_at = fields.String(required=True)


class FeedPageSchema(Schema):
    items = fields.List(fields.Nested(FeedEventSchema), required=True, metadata={"description": "oldest first"})
    next_after = fields.Integer(required=True, metadata={
        "description": "the last item's log id (or the one asked after): pass it as after for the next page"})
    next_position = fields.String(required=True, metadata={"description": "the last item's position, the same "
                                                                          "place as next_after"})
    high_water = fields.Integer(required=True, metadata={
        "description": "the log id of the last committed event a follower can read now (0: none yet)"})
    high_water_position = fields.String(required=True)
