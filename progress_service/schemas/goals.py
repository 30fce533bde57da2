"""A user's goals and the year in review."""
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..domain.goals import HISTORY, MEASURES, PERIODS
from ..domain.vocabulary import OWN_KINDS, STATUSES, UNITS
from . import ID, Figure

DAY = validate.Range(min=date(1900, 1, 1), max=date(9998, 12, 31),
                     error="A day from 1900-01-01 to 9998-12-31, as YYYY-MM-DD.")
TARGET = validate.Range(min=1, max=2**31 - 1, error="A target is a whole number from 1 to 2147483647.")

_COUNTING = ("What a goal counts, by when things occurred (a backdated entry counts on its day; a retracted one "
             "never): units = the progress added on the trackers it counts (a new pass counts from 0; a tracker "
             "that went back in a period adds 0); completions = the times a title was completed; entries = the "
             "entries that changed a tracker, by everything known now. Periods are calendar days, ISO weeks "
             "(Monday to Sunday), months and years in UTC, the first from starts_on, the last to ends_on; once "
             "runs from starts_on to ends_on.")


def _unit(unit: str) -> None:
    if not 1 <= len(unit.strip()) <= 20:
        raise ValidationError(f"A unit is one of {', '.join(UNITS.values())}, or a custom title's own word of 1 to 20 "
                              f"characters (km, hour, glass); got {unit!r}.")


class GoalFieldsSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "the goal in words; without one the service names it "
                                                  "(\"20 books a year\")"})
    measure = fields.String(validate=validate.OneOf(MEASURES), metadata={"description": _COUNTING})
    unit = fields.String(allow_none=True, validate=_unit, metadata={
        "description": f"units only: the unit counted, one of {', '.join(UNITS.values())} or a custom title's "
                       f"own word (1 to 20 characters: km); the kind's or the title's unit when left out"})
    kind = fields.String(allow_none=True, validate=validate.OneOf(OWN_KINDS),
                         metadata={"description": "only titles of this kind count"})
    title_id = fields.Integer(allow_none=True, strict=True, validate=ID,
                              metadata={"description": "only this title counts: one the user tracks"})
    target = fields.Integer(strict=True, validate=TARGET, metadata={"description": "how much in each period"})
    period = fields.String(validate=validate.OneOf(PERIODS))
    starts_on = fields.Date(validate=DAY, metadata={"description": "the first day the goal counts"})
    ends_on = fields.Date(allow_none=True, validate=DAY, metadata={
        "description": "the last day it counts (required for once); null: it goes on period after period"})


class GoalCreateSchema(GoalFieldsSchema):
    measure = fields.String(required=True, validate=validate.OneOf(MEASURES), metadata={"description": _COUNTING})
    target = fields.Integer(required=True, strict=True, validate=TARGET,
                            metadata={"description": "how much in each period"})
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    starts_on = fields.Date(required=True, validate=DAY, metadata={"description": "the first day the goal counts"})


class GoalPatchSchema(GoalFieldsSchema):
    """Any of a goal's fields; the goal is checked whole after the change."""

    openapi_rules = {"minProperties": 1}

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("Say what to change: one or more of the goal's fields.", "_schema")


class PeriodSchema(Schema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True, metadata={"description": "its last day (included)"})
    value = Figure(required=True, metadata={"description": "what the goal counts in the period (so far): whole, "
                                                           "or up to 2 decimals in a custom title's unit (7.75 km)"})


class CurrentPeriodSchema(PeriodSchema):
    target = fields.Integer(required=True)
    percent = fields.Float(required=True, metadata={"description": "value / target × 100, to one decimal"})
    expected_by_now = fields.Float(required=True, metadata={
        "description": "the linear pace: target × the share of the period's days gone by the end of today (UTC); "
                       "0 before the period, the target after it"})
    on_track = fields.Boolean(required=True, metadata={"description": "value ≥ expected_by_now"})


class PastPeriodSchema(PeriodSchema):
    met = fields.Boolean(required=True, metadata={"description": "value ≥ target"})


class GoalSchema(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    name = fields.String(required=True)
    measure = fields.String(required=True, validate=validate.OneOf(MEASURES), metadata={"description": _COUNTING})
    unit = fields.String(allow_none=True, required=True)
    kind = fields.String(allow_none=True, required=True)
    title_id = fields.Integer(allow_none=True, required=True)
    target = fields.Integer(required=True)
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True, required=True)
    current = fields.Nested(CurrentPeriodSchema, required=True, metadata={
        "description": "the period holding today (the first before the goal starts, the last after it ends)"})
    history = fields.List(fields.Nested(PastPeriodSchema), required=True, metadata={
        "description": f"the periods before the current one, newest first (at most {HISTORY})"})


class GoalListSchema(Schema):
    items = fields.List(fields.Nested(GoalSchema), required=True, metadata={"description": "oldest goal first"})


class ReviewQuerySchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=9998))


class RatedTitleSchema(Schema):
    title_id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    rating = fields.Float(required=True, metadata={"description": "the rating at the end of the year"})


class StreakSchema(Schema):
    days = fields.Integer(required=True)
    first_day = fields.Date(allow_none=True, required=True)
    last_day = fields.Date(allow_none=True, required=True)


class GoalYearSchema(Schema):
    goal_id = fields.Integer(required=True)
    name = fields.String(required=True)
    periods = fields.Integer(required=True, metadata={
        "description": "the goal's periods inside the year that are over (or already met)"})
    met = fields.Integer(required=True, metadata={"description": "how many of them were met"})


class ReviewSchema(Schema):
    user_id = fields.Integer(required=True)
    year = fields.Integer(required=True)
    counts = fields.Dict(keys=fields.String(validate=validate.OneOf(STATUSES)), values=fields.Integer(),
                         required=True, metadata={"description": "trackers by status at the end of the year"})
    units = fields.Dict(keys=fields.String(), values=Figure(), required=True,
                        metadata={"description": "progress added in the year, per unit (a new pass counts from 0), "
                                                 "custom titles' units included (\"km\": 42.5)"})
    completions = fields.Integer(required=True)
    completions_per_month = fields.List(fields.Integer(), required=True,
                                        metadata={"description": "12 numbers, January first"})
    entries = fields.Integer(required=True, metadata={"description": "entries that changed a tracker in the year"})
    top_rated = fields.List(fields.Nested(RatedTitleSchema), required=True, metadata={
        "description": "titles rated in the year, highest rating first (at most 10)"})
    longest_streak = fields.Nested(StreakSchema, required=True, metadata={
        "description": "the most consecutive days (UTC) with entries that changed a tracker; the latest such run"})
    goals_met = fields.List(fields.Nested(GoalYearSchema), required=True)
