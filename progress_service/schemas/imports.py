"""Imports: a file from another service, or this one's export, carried into a user's log."""
from marshmallow import Schema, fields, validate

from ..domain.imports import FORMATS
from ..domain.vocabulary import OWN_KINDS
from . import UtcDateTime
from .progress import TrackerChangeSchema

IMPORT_STATES = ("queued", "running", "done", "failed")


class ImportQuerySchema(Schema):
    format = fields.String(required=True, validate=validate.OneOf(FORMATS), metadata={
        "description": "goodreads (a Goodreads library export, CSV), trakt (a Trakt history, JSON), spotify (a "
                       "Spotify streaming history, JSON), progress-service (this service's own JSON export)"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "only say what the import would do"})


class ImportedTitleSchema(Schema):
    title_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "the title's id (of a title a dry run would make: one that is not kept)"})
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(OWN_KINDS))
    creator = fields.String(required=True)
    year = fields.Integer(allow_none=True, required=True)
    own = fields.Boolean(required=True, metadata={"description": "one of your own titles, not the catalog's"})


class SkippedRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "the row of the file (1 for the first data row)"})
    reason = fields.String(required=True, metadata={"description": "why it was left out, in words"})


class ImportSummarySchema(Schema):
    import_id = fields.String(allow_none=True, required=True, metadata={
        "description": "GET or DELETE .../imports/{import_id}; null for a dry run"})
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    state = fields.String(required=True, validate=validate.OneOf(IMPORT_STATES), metadata={
        "description": "done once its entries are in the log; queued or running while the job queue carries out a "
                       "large file; failed (with failure) when it could not land: then nothing of it is in the log"})
    rows = fields.Integer(required=True, metadata={"description": "the rows (or list items) of the file"})
    entries = fields.Integer(required=True, metadata={
        "description": "the entries appended (for a dry run: that it would append); rows imported before add none"})
    titles_matched = fields.List(fields.Nested(ImportedTitleSchema), required=True, metadata={
        "description": "the titles the rows found in the catalog or among your own titles"})
    titles_created = fields.List(fields.Nested(ImportedTitleSchema), required=True, metadata={
        "description": "your own titles made for the rows that found none"})
    skipped = fields.List(fields.Nested(SkippedRowSchema), required=True, metadata={
        "description": "the rows left out, each with its reason; the rest are imported all the same"})


class ImportedSchema(ImportSummarySchema):
    dry_run = fields.Boolean(required=True)
    changes = fields.List(fields.Nested(TrackerChangeSchema), required=True, metadata={
        "description": "each tracker the import changes, before and after (none yet while queued)"})


class ImportSchema(ImportSummarySchema):
    progress = fields.Integer(required=True, metadata={"description": "percent of its entries decided so far"})
    created_at = UtcDateTime(required=True)
    finished_at = UtcDateTime(allow_none=True, required=True)
    failure = fields.String(allow_none=True, required=True, metadata={"description": "why it failed, in words"})
    undo_id = fields.String(allow_none=True, required=True, metadata={
        "description": "the undo that took it back (DELETE .../undo/{undo_id} brings it back); null while it stands"})
    undone_at = UtcDateTime(allow_none=True, required=True)


class ImportsSchema(Schema):
    items = fields.List(fields.Nested(ImportSchema), required=True, metadata={"description": "newest first"})
