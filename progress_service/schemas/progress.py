"""Entries of the progress log, trackers, time travel and rollback."""
from datetime import date

from marshmallow import INCLUDE, Schema, ValidationError, fields, post_dump, validate, validates_schema

from ..domain.events import EVENT_TYPES
from ..domain.vocabulary import OWN_KINDS, STATUSES, UNITS
from ..projections.tracker_state import SUMMARY_FIGURE_PATTERN, SUMMARY_FIGURES, custom_units_figure
from . import ID, VERSION, Figure, FigureQuerySchema, UtcDateTime, amount

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
    progress = amount(minimum=0)
    delta = amount(minimum=-(2**31 - 1))
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


class ImportMarkSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the import's id (GET .../imports/{import_id})"})
    format = fields.String(required=True)
    row = fields.Integer(required=True, metadata={"description": "the row of the file (1 for the first)"})


class EventMetadataSchema(Schema):
    """What a client may see of an entry's metadata; each field only when the entry has it."""

    import_ = fields.Nested(ImportMarkSchema, data_key="import", metadata={
        "description": "the import that made the entry, and its row in the file"})
    request_id = fields.String(metadata={"description": "the X-Request-Id of the request that made it"})
    undo_id = fields.String(metadata={"description": "the undo that made it (a retraction of an undo)"})


class EventSchema(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    title_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    type = fields.String(required=True, validate=validate.OneOf(list(EVENT_TYPES)))
    data = fields.Dict(required=True)
    occurred_at = UtcDateTime(required=True)
    recorded_at = UtcDateTime(required=True)
    metadata = fields.Nested(EventMetadataSchema, required=True, metadata={
        "description": "where the entry came from, when it says: an import, a request, an undo"})


class EventPageSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True)


class EntriesQuerySchema(Schema):
    """A page of a user's entries, newest first."""

    title_id = fields.Integer(validate=ID)
    since = UtcDateTime(metadata={"description": "entries that occurred from this time on"})
    until = UtcDateTime(metadata={"description": "entries that occurred before this time"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    before = fields.Integer(validate=ID, metadata={"description": "the page's cursor in recorded order: next_before"})


class LogQuerySchema(EntriesQuerySchema):
    type = fields.String(validate=validate.OneOf(list(EVENT_TYPES)))


class Cursor(fields.String):
    """A place in the timeline in occurred order, as a page's ``next_cursor`` names it."""

    def _deserialize(self, value, attr, data, **kwargs):
        parts = super()._deserialize(value, attr, data, **kwargs).split(".")
        if len(parts) != 3 or not all(part.lstrip("-").isdigit() and len(part) < 20 for part in parts):
            raise ValidationError("This is not a cursor a timeline page gave; pass its next_cursor as it came.")
        return tuple(int(part) for part in parts)


class HistoryQuerySchema(EntriesQuerySchema):
    order = fields.String(load_default="recorded", validate=validate.OneOf(["recorded", "occurred"]), metadata={
        "description": "recorded: newest recorded first (cursor before); occurred: newest occurred first, each "
                       "state the tracker at that moment by everything known now (cursor cursor)"})
    cursor = Cursor(metadata={"description": "the page's cursor in occurred order: next_cursor"})

    @validates_schema
    def one_cursor(self, data, **kwargs):
        if data.get("order") == "occurred" and "before" in data:
            raise ValidationError("In occurred order the cursor is cursor (a page's next_cursor), not before.", "before")
        if data.get("order") != "occurred" and "cursor" in data:
            raise ValidationError("cursor goes with order=occurred; in recorded order pass next_before as before.",
                                  "cursor")


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
    progress = Figure(required=True, metadata={"description": "units done: whole, or up to 2 decimals on a custom title"})
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
    release_date = fields.Date(allow_none=True, required=True, metadata={"description": "the title's"})
    released = fields.Boolean(required=True, metadata={
        "description": "false while the title's release_date is still to come (by today's date in UTC): until "
                       "then progress on it is refused, planning it is not"})


class PassSchema(Schema):
    """One time through a title (domain.tracker.Pass)."""

    number = fields.Integer(required=True, data_key="pass", metadata={"description": "1 for the first"})
    started_at = UtcDateTime(allow_none=True, required=True,
                             metadata={"description": "when it was first in progress or completed"})
    completed_at = UtcDateTime(allow_none=True, required=True,
                               metadata={"description": "its latest completion, or null"})
    progress = Figure(required=True, metadata={"description": "units done in it, now or when the next began"})
    rating = fields.Float(allow_none=True, required=True, metadata={"description": "the rating set during it"})
    entries = fields.Integer(required=True, metadata={"description": "the counted entries in it"})


class PassesSchema(Schema):
    items = fields.List(fields.Nested(PassSchema), required=True, metadata={"description": "oldest first"})


# The board's columns and the counts: one field per status, in the vocabulary's order.
BoardSchema = Schema.from_dict({status: fields.List(fields.Nested(TrackerSchema), required=True)
                                for status in STATUSES}, name="BoardSchema")


class BoardQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String(validate=validate.OneOf(OWN_KINDS))


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
    progress = amount(minimum=0)
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


class ExportTitleSchema(TitleNameSchema):
    """The title of an exported entry, with what finds it again (or makes it) in another account."""

    creator = fields.String(required=True)
    year = fields.Integer(allow_none=True, required=True)
    total_units = fields.Integer(allow_none=True, required=True)
    unit = fields.String(required=True)
    own = fields.Boolean(required=True, metadata={"description": "one of the user's own titles"})


class ExportItemSchema(HistoryItemSchema):
    title = fields.Nested(ExportTitleSchema, required=True)


class HistoryPageSchema(Schema):
    items = fields.List(fields.Nested(HistoryItemSchema), required=True)
    next_before = fields.Integer(allow_none=True, metadata={"description": "in recorded order: the next page's before"})
    next_cursor = fields.String(allow_none=True, metadata={"description": "in occurred order: the next page's cursor"})


StatusCountsSchema = Schema.from_dict({status: fields.Integer(required=True) for status in STATUSES},
                                      name="StatusCountsSchema")
class UnitsSchema(Schema.from_dict({unit: fields.Integer(required=True) for unit in UNITS.values()})):
    """Units done per unit of the catalog's kinds, and one per custom unit of the user's own titles
    ("km": 42.5)."""

    class Meta:
        unknown = INCLUDE

    @post_dump(pass_original=True)
    def custom_units(self, data, original, **kwargs):
        return {**data, **{unit: value if isinstance(value, int) else float(value)
                           for unit, value in original.items() if unit not in data}}


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
    units = fields.Nested(UnitsSchema, required=True, metadata={
        "description": "units done per unit of the catalog's kinds, and one per custom unit (\"km\": 42.5)"})
    ratings = fields.Nested(RatingsSchema, required=True)
    last_activity_at = UtcDateTime(allow_none=True, required=True)
    activity = fields.List(fields.Nested(ActivityDaySchema), required=True,
                           metadata={"description": "entries per day over the last 30 days, oldest first"})


class UndoSchema(Schema):
    """Every entry recorded in [since, until), of one title if given, taken back as if never made."""

    since = UtcDateTime(required=True, metadata={"description": "from this time of recording on"})
    until = UtcDateTime(required=True, metadata={"description": "up to (not including) this time of recording"})
    title_id = fields.Integer(strict=True, validate=ID, metadata={"description": "only the entries on this title"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "only say what the undo would do"})


class UndoTakeBackQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "only say what it would do"})


class TrackerChangeSchema(Schema):
    title_id = fields.Integer(required=True)
    title = fields.Nested(TitleNameSchema, required=True)
    before = fields.Nested(TrackerSchema, allow_none=True, required=True,
                           metadata={"description": "null: there was no tracker"})
    after = fields.Nested(TrackerSchema, allow_none=True, required=True,
                          metadata={"description": "null: no tracker is left"})


class UndoneSchema(Schema):
    undo_id = fields.String(allow_none=True, required=True,
                            metadata={"description": "to undo this undo (DELETE .../undo/{undo_id}); null for a dry run"})
    dry_run = fields.Boolean(required=True)
    entries = fields.List(fields.Integer(), required=True, metadata={"description": "the log ids of the entries "
                                                                    "this call takes back, oldest first"})
    changes = fields.List(fields.Nested(TrackerChangeSchema), required=True,
                          metadata={"description": "each tracker whose state changes, before and after"})


class SummaryFigureQuerySchema(FigureQuerySchema):
    """A figure of the summary: its counts and ratings, and its units, the catalog's and each custom
    title's own ("units.km")."""

    figures = SUMMARY_FIGURES + ("units.<a custom title's unit, such as units.km>",)
    figure = fields.String(required=True, validate=validate.Regexp(SUMMARY_FIGURE_PATTERN), metadata={
        "description": f"one of {', '.join(SUMMARY_FIGURES)}, or units.<unit> for a custom title's unit (units.km)"})

    def known(self, figure: str) -> bool:
        return figure in SUMMARY_FIGURES or custom_units_figure(figure) is not None


class EntryDetailSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the entry's log id, as in entries"})
    occurred_at = UtcDateTime(required=True)
    summary = fields.String(required=True, metadata={
        "description": 'the timeline\'s sentence, e.g. "Watched episode 5 of 62"; for an entry a correction made '
                       'count as something else, with what it counts as: "… (corrected to: episode 7)"'})


class SummaryPartSchema(Schema):
    title_id = fields.Integer(required=True)
    name = fields.String(required=True, metadata={"description": "the title's name"})
    value = Figure(required=True, metadata={"description": "what this tracker adds: 1 to a count, its units done "
                                                           "to units, its rating to ratings.average"})
    entries = fields.List(fields.Integer(), required=True, metadata={
        "description": "log ids of the counted entries that put the tracker there, oldest first: for a count, the "
                       "entry that set its current status; for units, the entries its progress follows from now "
                       "(the last that set it outright and the changes by a number since), after corrections, "
                       "retractions, rollbacks and backdating; for ratings, the entry that gave its rating"})
    entry_details = fields.List(fields.Nested(EntryDetailSchema), required=True,
                                metadata={"description": "the same entries, in the same order, in words"})


class SummaryExplainedSchema(Schema):
    figure = fields.String(required=True, metadata={"description": "the figure asked for"})
    value = Figure(allow_none=True, required=True, metadata={
        "description": "the figure exactly as GET /api/progress/summary/{user_id} gives it: the parts' values "
                       "added up, or for ratings.average their mean (to 2 decimals; null without ratings)"})
    parts = fields.List(fields.Nested(SummaryPartSchema), required=True, metadata={
        "description": "one per tracker that makes the figure, the largest part first"})


class ExportQuerySchema(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["csv", "json"]))


class ClearQuerySchema(Schema):
    purge = fields.Boolean(load_default=False, metadata={"description": "admin: erase the events themselves"})


class ClearedSchema(Schema):
    retracted = fields.Integer()
    purged = fields.Integer()


class TrackersSchema(Schema):
    items = fields.List(fields.Nested(TrackerSchema), required=True,
                        metadata={"description": "the titles still to come out, soonest first"})


class NextUnitSchema(Schema):
    number = fields.Integer(required=True, metadata={"description": "the unit to do next, e.g. 14 (episode 14 of 62)"})
    total = fields.Integer(required=True)
    unit = fields.String(required=True, validate=validate.OneOf(list(UNITS.values())))


class UpNextTrackerSchema(TrackerSchema):
    next_unit = fields.Nested(NextUnitSchema, allow_none=True, required=True, metadata={
        "description": "the unit that comes next, {number: 14, total: 62, unit: episode} for episode 14 of 62; "
                       "null once every unit is done or when the title has no total"})


class UpNextSchema(Schema):
    items = fields.List(fields.Nested(UpNextTrackerSchema), required=True, metadata={
        "description": "released planned titles and titles in progress, most recently touched first"})


class Month(fields.String):
    """A month as YYYY-MM, read as its first day."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            if len(text) != 7:
                raise ValueError
            return date.fromisoformat(text + "-01")
        except ValueError:
            raise ValidationError(f"month is a year and a month as YYYY-MM, such as 2027-03; got {text!r}.") from None


class CalendarQuerySchema(Schema):
    month = Month(required=True, metadata={"description": "YYYY-MM, e.g. 2027-03"})


class ReleaseSchema(TitleNameSchema):
    release_date = fields.Date(required=True)


class CalendarDaySchema(Schema):
    date = fields.Date(required=True, metadata={"description": "a day of the month, in the user's timezone"})
    entries = fields.List(fields.Nested(HistoryItemSchema), required=True, metadata={
        "description": "the entries that occurred that day (in the user's timezone), as the timeline in occurred "
                       "order gives them, "
                       "in the order they happened"})
    releases = fields.List(fields.Nested(ReleaseSchema), required=True,
                           metadata={"description": "the titles the user tracks that come out that day"})


class CalendarSchema(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM"})
    timezone = fields.String(required=True, metadata={
        "description": "the timezone the days are counted in: the user's from the notification settings, UTC "
                       "when there are none"})
    days = fields.List(fields.Nested(CalendarDaySchema), required=True, metadata={
        "description": "every day of the month, the first first, each with its entries and releases (maybe none)"})


class CalendarUrlSchema(Schema):
    url = fields.String(required=True, metadata={
        "description": "the secret iCalendar feed of the release dates of your titles and your completions "
                       "(/api/calendar/{token}.ics, read without a bearer token): keep it to yourself"})
