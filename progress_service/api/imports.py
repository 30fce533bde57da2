"""Imports: bring one's history from Goodreads, Trakt, Spotify or another progress-service, preview
it, list the imports, and undo one."""
from __future__ import annotations

import json

from flask import current_app, request

from ..imports import Imports
from ..schemas.imports import ImportedSchema, ImportQuerySchema, ImportSchema, ImportsSchema
from ..schemas.progress import UndoneSchema, UndoTakeBackQuerySchema
from .access import READS_OWN, WRITES_OWN, allow
from .common import caller, json_answer, undone_json, write_options
from .parsing import Blueprint, takes_body

blp = Blueprint("imports", __name__, url_prefix="/api/progress",
                description="Imports: your history from another service, previewed, tagged and undoable")

FILE_TYPES = ("text/csv", "application/json")


def imports() -> Imports:
    return current_app.extensions["progress_service.imports"]


@blp.post("/<int:user_id>/imports")
@allow(WRITES_OWN)
@takes_body(*FILE_TYPES)
@blp.arguments(ImportQuerySchema(), location="query")
@blp.response(201, ImportedSchema)
@blp.alt_response(200, schema=ImportedSchema, description="a dry run: what the import would do", success=True)
@blp.alt_response(202, schema=ImportedSchema, success=True,
                  description="a file of more than 10,000 rows, queued: GET .../imports/{import_id} follows it")
@blp.doc(requestBody={"required": True, "description": "the file, as the other service wrote it", "content": {
    "text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "array", "items": {}}}}})
def start_import(query, user_id):
    """Import a file of your history, all of it or nothing: each row's entry at the time the file
    says, matched to the catalog's titles or made one of your own, tagged with the import; rows
    imported before add nothing. With dry_run, only say what it would do."""
    request.max_content_length = current_app.config["PROGRESS_SERVICE"].import_max_bytes
    body = request.get_data(cache=False)
    imported = imports().start(user_id, query["format"], body, dry_run=query["dry_run"],
                               metadata=write_options()["metadata"], defer=current_app.extensions.get(
                                   "progress_service.import_deferrer"))
    status = 200 if imported.dry_run else 202 if imported.state == "queued" else 201
    headers = {"Location": f"/api/progress/{user_id}/imports/{imported.import_id}"} if imported.import_id else None
    return json_answer(json.dumps(imported.answer()), status, headers)


@blp.get("/<int:user_id>/imports")
@allow(READS_OWN)
@blp.response(200, ImportsSchema)
def list_imports(user_id):
    """Your imports, newest first."""
    return {"items": imports().list(user_id)}


@blp.get("/<int:user_id>/imports/<string:import_id>")
@allow(READS_OWN)
@blp.response(200, ImportSchema)
def get_import(user_id, import_id):
    """One import: what it made, or how far a queued one has come."""
    return imports().get(user_id, import_id)


@blp.delete("/<int:user_id>/imports/<string:import_id>")
@allow(WRITES_OWN)
@blp.arguments(UndoTakeBackQuerySchema(), location="query")
@blp.response(200, UndoneSchema)
def undo_import(query, user_id, import_id):
    """Undo an import: every entry it made is retracted, and nothing else (what you logged yourself
    stays, on the same titles too); with dry_run, only say how each tracker would change."""
    undone = imports().undo(user_id, import_id, dry_run=query["dry_run"],
                            metadata={**write_options()["metadata"], "actor": caller().user_id})
    return undone_json(undone)
