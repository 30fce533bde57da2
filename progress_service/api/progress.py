"""The progress log: write an entry, page through entries, correct or retract one."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime, timezone
from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint

from .. import queries
from ..domain.rules import AddNote, AddProgress, ChangeRequest, Rate, SetProgress, SetStatus
from ..errors import BadRequest
from ..queries import event_json
from ..schemas.progress import (
    ChangeSchema, ClearedSchema, ClearQuerySchema, EventPageSchema, EventSchema, ExportQuerySchema,
    HistoryItemSchema, HistoryPageSchema, HistoryQuerySchema, LogQuerySchema, LogSchema, SummarySchema,
)
from ..schemas import api_time
from ..services import Idempotency
from . import caller, json_answer, require_access, require_admin

blp = Blueprint("progress", __name__, url_prefix="/api/progress", description="The progress log")


def tracker_service():
    return current_app.extensions["progress_service.tracker"]


def db():
    return current_app.extensions["progress_service.db"]


def change_requests(body: dict[str, Any]) -> list[ChangeRequest]:
    """The changes in a request body, in the order they apply: progress, then status, rating, note."""
    makers = {"progress": SetProgress, "delta": AddProgress, "status": SetStatus, "rating": Rate, "note": AddNote}
    return [make(body[name]) for name, make in makers.items() if name in body]


def write_options(*, expected_version: int | None = None) -> dict[str, Any]:
    """What every write passes on: who acted, the request id, the Idempotency-Key, If-Match."""
    headers = request.headers
    options: dict[str, Any] = {"metadata": {"actor": caller().user_id}}
    if request_id := headers.get("X-Request-Id"):
        options["metadata"]["request_id"] = request_id[:200]
    if key := headers.get("Idempotency-Key"):
        body = json.dumps(request.get_json(silent=True), sort_keys=True)
        fingerprint = hashlib.sha256(f"{request.method} {request.path} {body}".encode()).hexdigest()
        options["idempotency"] = Idempotency(key[:200], fingerprint)
    if_match = headers.get("If-Match")
    if if_match is not None and if_match.strip() != "*":
        try:
            options["expected_version"] = int(if_match.strip().removeprefix("W/").strip('"'))
        except ValueError:
            raise BadRequest('If-Match must be a tracker version in quotes, such as "3".') from None
    elif expected_version is not None:
        options["expected_version"] = expected_version
    return options


@blp.post("/log")
@blp.arguments(LogSchema())
@blp.response(201, EventSchema)
def log_entry(body):
    """Log one change on a title (the first one creates the tracker)."""
    user_id = body.get("user_id", caller().user_id)
    if user_id != caller().user_id:  # only an admin logs for someone else, and only for a real user
        require_admin()
        current_app.extensions["progress_service.accounts"].get(user_id)
    outcome = tracker_service().log(user_id, body["title_id"], change_requests(body),
                                    occurred_at=body.get("occurred_at"), **write_options())
    return json_answer(event_json(outcome.stream, outcome.entries[0]), 201)


@blp.put("/log/<int:log_id>")
@blp.arguments(ChangeSchema())
@blp.response(200, EventSchema)
def correct_entry(body, log_id):
    """Correct an entry: the tracker re-folds as if the entry had carried this change."""
    [change] = change_requests(body)
    outcome = tracker_service().correct(caller().user_id, log_id, change, **write_options())
    return json_answer(event_json(outcome.stream, outcome.entries[0]))


@blp.delete("/log/<int:log_id>")
@blp.response(200, EventSchema)
def retract_entry(log_id):
    """Retract an entry: the tracker re-folds as if it had never happened."""
    outcome = tracker_service().retract(caller().user_id, log_id, **write_options())
    return json_answer(event_json(outcome.stream, outcome.entries[0]))


@blp.get("/<int:user_id>")
@blp.arguments(LogQuerySchema(), location="query")
@blp.response(200, EventPageSchema)
def list_entries(query, user_id):
    """A user's entries, newest first; pass next_before as before for the next page."""
    require_access(user_id)
    with db().read() as conn:
        return json_answer(queries.history(conn, user_id, type_=query.pop("type", None), **query))


@blp.get("/<int:user_id>/history")
@blp.arguments(HistoryQuerySchema(), location="query")
@blp.response(200, HistoryPageSchema)
def history(query, user_id):
    """The timeline: each entry with a sentence and the tracker's state right after it, newest first."""
    require_access(user_id)
    with db().read() as conn:
        return json_answer(queries.timeline(conn, user_id, **query))


@blp.get("/summary/<int:user_id>")
@blp.response(200, SummarySchema)
def summary(user_id):
    require_access(user_id)
    with db().read() as conn:
        return queries.summary(conn, user_id, today=datetime.now(timezone.utc).date())


_EXPORT_COLUMNS = ("id", "occurred_at", "recorded_at", "title_id", "title", "kind", "version", "type", "data",
                   "summary", "status", "progress", "total", "rating", "times_completed")


@blp.get("/<int:user_id>/export")
@blp.arguments(ExportQuerySchema(), location="query")
@blp.response(200, HistoryItemSchema(many=True))
@blp.alt_response(200, description="CSV with a header row, when format=csv", content_type="text/csv",
                  success=True)
def export(query, user_id):
    """The user's whole history, one row per entry, with the title and the tracker state after it,
    streamed in log order."""
    require_access(user_id)
    database = db()

    def rows():  # one snapshot, read in batches as the answer goes out
        with database.transaction(isolation_level="REPEATABLE READ") as conn:
            yield from queries.export(conn, user_id)

    if query["format"] == "json":
        def items():
            yield "["
            for i, row in enumerate(rows()):
                yield ("," if i else "") + row.item
            yield "]"
        return Response(items(), mimetype="application/json")

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_EXPORT_COLUMNS)
        for row in rows():
            writer.writerow([row.id, api_time(row.occurred_at), api_time(row.recorded_at), row.title_id, row.name,
                             row.kind, row.version, row.type, row.data, row.summary, row.status, row.progress,
                             row.total, row.rating, row.times_completed])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()
    return Response(lines(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="progress-{user_id}.csv"'})


@blp.delete("/user/<int:user_id>/logs")
@blp.arguments(ClearQuerySchema(), location="query")
@blp.response(200, ClearedSchema)
def clear(query, user_id):
    """Remove every tracker of the user by new entries; an admin's ?purge=true erases the events."""
    if query["purge"]:
        require_admin()
        return {"purged": tracker_service().erase_user(user_id)}
    require_access(user_id, write=True)
    return {"retracted": tracker_service().clear(user_id, metadata={"actor": caller().user_id})}
