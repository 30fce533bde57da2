"""Titles, the catalog's search, genres, and the reports per title and per kind."""
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from ..catalog import EDITABLE, OWN_EDITABLE, SORTS, unit_mismatch
from ..domain.vocabulary import CUSTOM, KINDS, OWN_KINDS, UNITS
from ..projections.title_stats import RATING_COLUMNS, REPORT_FIGURES
from . import Figure, figure_query
from .progress import StatusCountsSchema

# PostgreSQL text cannot hold NUL; refusing it here keeps it a 422 instead of a driver error.
NO_NUL = validate.Regexp(r"\A[^\x00]*\Z", error="Text cannot contain the NUL character.")
YEAR = validate.Range(min=-3000, max=2100, error="A year is between -3000 and 2100 (negative for BC).")
KIND = validate.OneOf(KINDS)
OWN_KIND = validate.OneOf(OWN_KINDS)


def not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Say something other than spaces.")


class Genre(fields.String):
    """A genre as a person writes it ("Science Fiction "), kept as the catalog spells genres:
    trimmed and in lower case ("science fiction")."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class Genres(fields.List):
    """Genres, each kept once (in the order first given)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return list(dict.fromkeys(super()._deserialize(value, attr, data, **kwargs)))


GENRES = dict(validate=validate.Length(max=20),
              metadata={"description": "written in any case; kept trimmed and in lower case, each once"})
def genre() -> Genre:
    return Genre(validate=[validate.Length(min=1, max=50, error="A genre has 1 to 50 characters."), NO_NUL])
UNIT = validate.OneOf(list(UNITS.values()))


class TitleSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=OWN_KIND, metadata={
        "description": "custom for one's own title counted in a unit of one's own words"})
    name = fields.String(required=True)
    creator = fields.String(required=True)
    genres = fields.List(fields.String(), required=True)
    year = fields.Integer(allow_none=True, required=True)
    total_units = fields.Integer(allow_none=True, required=True)
    unit = fields.String(required=True, metadata={
        "description": "follows the kind: episode, page, track or play; a custom title's is its owner's word"})
    release_date = fields.Date(allow_none=True, required=True)
    description = fields.String(required=True)
    owner_id = fields.Integer(allow_none=True, required=True,
                              metadata={"description": "the user whose own title this is (only they see it); "
                                                       "null for a title of the catalog"})
    average_rating = fields.Float(allow_none=True, required=True,
                                  metadata={"description": "mean of the active trackers' ratings, 2 decimals; "
                                                           "null when nobody rated it"})
    rating_count = fields.Integer(required=True)


class OwnTitleUpdateSchema(Schema):
    """The fields an owner may change of their own title; those left out stay as they are."""

    openapi_rules = {"minProperties": 1}
    editable = OWN_EDITABLE

    kind = fields.String(validate=OWN_KIND, metadata={"description": "a custom title stays custom, and the others "
                                                                     "stay of the catalog's kinds"})
    name = fields.String(validate=[validate.Length(min=1, max=200), not_blank, NO_NUL])
    creator = fields.String(validate=[validate.Length(max=200), NO_NUL])
    year = fields.Integer(strict=True, allow_none=True, validate=YEAR)
    total_units = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=1_000_000),
                                 metadata={"description": "episodes, pages, tracks; null when unknown or endless"})
    description = fields.String(validate=[validate.Length(max=5000), NO_NUL])
    unit = fields.String(validate=NO_NUL, metadata={
        "description": "a custom title's unit, 1 to 20 characters (km, hour, glass); for the other kinds it may be "
                       "given as the catalog returns it: it must be the kind's unit (episode, page, track or play)"})
    owner_id = fields.Integer(allow_none=True, metadata={"description": "may be given as the title is returned: it "
                                                                        "must be its owner (null in the catalog)"})

    @validates_schema
    def some_change(self, data, **kwargs):
        if not data:
            raise ValidationError(f"Say at least one of {', '.join(self.editable)}.", "_schema")

    @validates_schema
    def unit_of_the_kind(self, data, **kwargs):
        if "kind" in data and "unit" in data and (mismatch := unit_mismatch(data["kind"], data["unit"])):
            raise ValidationError(mismatch, "unit")


class OwnTitleCreateSchema(OwnTitleUpdateSchema):
    openapi_rules = {}

    kind = fields.String(required=True, validate=OWN_KIND)
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), not_blank, NO_NUL])
    creator = fields.String(load_default="", validate=[validate.Length(max=200), NO_NUL])
    description = fields.String(load_default="", validate=[validate.Length(max=5000), NO_NUL])


    @validates_schema
    def custom_unit(self, data, **kwargs):
        if data.get("kind") == CUSTOM and "unit" not in data:
            raise ValidationError("A custom title is counted in a unit of your words: give it one (km, hour, glass).",
                                  "unit")


class OwnTitlesSchema(Schema):
    items = fields.List(fields.Nested(TitleSchema), required=True, metadata={"description": "by name"})


class TitleUpdateSchema(OwnTitleUpdateSchema):
    """The fields an admin may change; those left out stay as they are."""

    editable = EDITABLE

    kind = fields.String(validate=KIND)  # the catalog holds no custom titles
    unit = fields.String(validate=UNIT, metadata={"description": "may be given as the catalog returns it: it must be "
                                                          "the kind's unit (episode, page, track or play)"})
    genres = Genres(genre(), **GENRES)
    release_date = fields.Date(allow_none=True)


class TitleCreateSchema(OwnTitleCreateSchema, TitleUpdateSchema):
    kind = fields.String(required=True, validate=KIND)
    genres = Genres(genre(), load_default=list, **GENRES)


class TitleQuerySchema(Schema):
    q = fields.String(validate=[validate.Length(max=200), NO_NUL],
                      metadata={"description": "part of the name, in any case"})
    genre = fields.String(validate=[validate.Length(max=50), NO_NUL], metadata={"description": "exact, in any case"})
    kind = fields.String(validate=KIND)
    creator = fields.String(validate=[validate.Length(max=200), NO_NUL],
                            metadata={"description": "part of the creator's name, in any case"})
    year = fields.Integer(validate=YEAR)
    sort = fields.String(load_default="name", validate=validate.OneOf(SORTS),
                         metadata={"description": "-popularity: most active trackers first"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2_147_483_647))

    @pre_load
    def empty_means_absent(self, data, **kwargs):
        """A form sends ``?q=&kind=`` for fields left blank: those filter nothing."""
        return {key: data[key] for key in data if data[key] != ""}


class TitlePageSchema(Schema):
    items = fields.List(fields.Nested(TitleSchema), required=True)
    total = fields.Integer(required=True, metadata={"description": "titles matching the filters, on every page"})
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


class GenreSchema(Schema):
    name = fields.String(required=True)
    count = fields.Integer(required=True, metadata={"description": "titles of this genre"})


class GenresSchema(Schema):
    items = fields.List(fields.Nested(GenreSchema), required=True)


RATING_LABELS = tuple(f"{(i + 1) / 2:.1f}" for i in range(len(RATING_COLUMNS)))  # "0.5" ... "5.0"
# Dumped from the title_stats columns rating_0_5 ... rating_5_0 (a dotted name would read as a path).
RatingHistogramSchema = Schema.from_dict(
    {column: fields.Integer(required=True, data_key=label) for column, label in zip(RATING_COLUMNS, RATING_LABELS)},
    name="RatingHistogramSchema")


class ReportSchema(Schema):
    """Figures over the active trackers of one title or of many."""

    trackers = fields.Integer(required=True, metadata={"description": "active trackers"})
    counts = fields.Nested(StatusCountsSchema, required=True)
    completion_rate = fields.Float(allow_none=True, required=True,
                                   metadata={"description": "completed / trackers (0 to 1); null without trackers"})
    average_rating = fields.Float(allow_none=True, required=True)
    rating_count = fields.Integer(required=True)
    rating_histogram = fields.Nested(RatingHistogramSchema, required=True,
                                     metadata={"description": 'ratings given, by value: "0.5" to "5.0"'})
    average_days_to_complete = fields.Float(allow_none=True, required=True,
                                            metadata={"description": "from starting to completing, over completed "
                                                                     "trackers; null when none"})


class TitleReportSchema(ReportSchema):
    title_id = fields.Integer(required=True)


class TopTitleSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    trackers = fields.Integer(required=True)
    average_rating = fields.Float(allow_none=True, required=True)


class KindReportSchema(ReportSchema):
    kind = fields.String(required=True, validate=KIND)
    top_titles = fields.List(fields.Nested(TopTitleSchema), required=True,
                             metadata={"description": "the 10 titles of the kind with most active trackers "
                                                      "(titles nobody tracks are left out)"})


ReportFigureQuerySchema = figure_query("ReportFigureQuerySchema", REPORT_FIGURES)


class ReportPartSchema(Schema):
    value = Figure(required=True, metadata={
        "description": "what the trackers of this part share: for counts.<status>, the units done (where they "
                       "stand in the title); for rating_count and average_rating, the rating given; for "
                       "completion_rate, 1 for the completed trackers and 0 for the others"})
    count = fields.Integer(required=True, metadata={"description": "how many active trackers have that value"})
    user_ids = fields.List(fields.Integer(), metadata={
        "description": "whose trackers they are; only in an admin's answer (no one else's names a user)"})


class ReportExplainedSchema(Schema):
    figure = fields.String(required=True, validate=validate.OneOf(REPORT_FIGURES))
    value = Figure(allow_none=True, required=True, metadata={
        "description": "the figure exactly as GET /api/titles/{id}/report gives it. For counts.<status> and "
                       "rating_count it is Σ count over the parts; for average_rating and completion_rate, "
                       "Σ value·count / Σ count, rounded as in the report (2 and 4 decimals; null without "
                       "ratings or trackers)"})
    parts = fields.List(fields.Nested(ReportPartSchema), required=True,
                        metadata={"description": "the largest value first"})
