"""The progress log: write an entry, page through entries, correct or retract one."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime, timezone
from typing import Any

from flask import Response, current_app, request

from .. import queries
from ..domain.rules import AddNote, AddProgress, ChangeRequest, Rate, SetProgress, SetStatus
from ..errors import BadRequest, InvalidChange
from ..queries import event_json
from ..schemas.progress import (
    ChangeSchema, ClearedSchema, ClearQuerySchema, EventPageSchema, EventSchema, ExportQuerySchema,
    HistoryItemSchema, HistoryPageSchema, HistoryQuerySchema, LogQuerySchema, LogSchema, SummarySchema,
)
from ..schemas import api_time
from ..services import Idempotency
from . import caller, json_answer, streamed
from .access import CLEARS_OWN, LOGS_OWN, OWN_ENTRY, READS_OWN, allow
from .parsing import Blueprint

# The longest Idempotency-Key a write takes (a UUID has 36 characters); a longer one is refused,
# never cut, so two keys that differ only past the limit cannot be taken for one.
MAX_IDEMPOTENCY_KEY = 255

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
    if (key := headers.get("Idempotency-Key")) is not None:
        if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
            raise InvalidChange(f"An Idempotency-Key has 1 to {MAX_IDEMPOTENCY_KEY} characters; this one has "
                                f"{len(key)}.", field="Idempotency-Key")
        body = json.dumps(request.get_json(silent=True), sort_keys=True)
        fingerprint = hashlib.sha256(f"{request.method} {request.path} {body}".encode()).hexdigest()
        options["idempotency"] = Idempotency(key, fingerprint)
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
@allow(LOGS_OWN)
@blp.arguments(LogSchema())
@blp.response(201, EventSchema)
def log_entry(body):
    """Log one change on a title (the first one creates the tracker)."""
    user_id = body.get("user_id", caller().user_id)
    if user_id != caller().user_id:  # an admin logging for someone else (api.access), who must exist
        current_app.extensions["progress_service.accounts"].get(user_id)
    outcome = tracker_service().log(user_id, body["title_id"], change_requests(body),
                                    occurred_at=body.get("occurred_at"), **write_options())
    return json_answer(event_json(outcome.stream, outcome.entries[0]), 201)


@blp.put("/log/<int:log_id>")
@allow(OWN_ENTRY)
@blp.arguments(ChangeSchema())
@blp.response(200, EventSchema)
def correct_entry(body, log_id):
    """Correct an entry: the tracker re-folds as if the entry had carried this change."""
    [change] = change_requests(body)
    outcome = tracker_service().correct(caller().user_id, log_id, change, **write_options())
    return json_answer(event_json(outcome.stream, outcome.entries[0]))


@blp.delete("/log/<int:log_id>")
@allow(OWN_ENTRY)
@blp.response(200, EventSchema)
def retract_entry(log_id):
    """Retract an entry: the tracker re-folds as if it had never happened."""
    outcome = tracker_service().retract(caller().user_id, log_id, **write_options())
    return json_answer(event_json(outcome.stream, outcome.entries[0]))


@blp.get("/<int:user_id>")
@allow(READS_OWN)
@blp.arguments(LogQuerySchema(), location="query")
@blp.response(200, EventPageSchema)
def list_entries(query, user_id):
    """A user's entries, newest first; pass next_before as before for the next page."""
    with db().read() as conn:
        return json_answer(queries.history(conn, user_id, type_=query.pop("type", None), **query))


@blp.get("/<int:user_id>/history")
@allow(READS_OWN)
@blp.arguments(HistoryQuerySchema(), location="query")
@blp.response(200, HistoryPageSchema)
def history(query, user_id):
    """The timeline: each entry with a sentence and the tracker's state right after it, newest first."""
    with db().read() as conn:
        return json_answer(queries.timeline(conn, user_id, **query))


@blp.get("/summary/<int:user_id>")
@allow(READS_OWN)
@blp.response(200, SummarySchema)
def summary(user_id):
    with db().read() as conn:
        return queries.summary(conn, user_id, today=datetime.now(timezone.utc).date())


_EXPORT_COLUMNS = ("id", "occurred_at", "recorded_at", "title_id", "title", "kind", "version", "type", "data",
                   "summary", "status", "progress", "total", "rating", "times_completed")


@blp.get("/<int:user_id>/export")
@allow(READS_OWN)
@blp.arguments(ExportQuerySchema(), location="query")
@blp.response(200, HistoryItemSchema(many=True))
@blp.alt_response(200, description="JSON (format=json), or CSV with a header row (format=csv)",
                  schema={"type": "string"}, content_type="text/csv", success=True)
def export(query, user_id):
    """The user's whole history, one row per entry, with the title and the tracker state after it,
    streamed in log order."""
    database = db()

    def snapshot():  # one snapshot, read in batches as the answer goes out
        with database.transaction(isolation_level="REPEATABLE READ") as conn:
            yield None  # open: whatever refuses the request has refused it before the answer starts
            yield from queries.export(conn, user_id)

    opened = snapshot()
    next(opened)

    def rows():
        yield from opened

    if query["format"] == "json":
        def items():
            yield "["
            for i, row in enumerate(rows()):
                yield ("," if i else "") + row.item
            yield "]"
        return Response(streamed(items()), mimetype="application/json")

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
    return Response(streamed(lines()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="progress-{user_id}.csv"'})


@blp.delete("/user/<int:user_id>/logs")
@allow(CLEARS_OWN)
@blp.arguments(ClearQuerySchema(), location="query")
@blp.response(200, ClearedSchema)
def clear(query, user_id):
    """Remove every tracker of the user by new entries; an admin's ?purge=true erases the events."""
    if query["purge"]:
        return {"purged": tracker_service().erase_user(user_id)}
    return {"retracted": tracker_service().clear(user_id, metadata={"actor": caller().user_id})}
