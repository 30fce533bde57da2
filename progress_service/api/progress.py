"""The progress log: write an entry, page through entries, correct or retract one, undo a range."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from flask import Response

from .. import eventstore
from ..projections import tracker_moments, tracker_state, tracker_versions
from ..schemas.progress import (
    CalendarQuerySchema, CalendarSchema, ChangeSchema, ClearedSchema, ClearQuerySchema, EventPageSchema, EventSchema,
    ExportItemSchema, ExportQuerySchema, HistoryPageSchema, HistoryQuerySchema, LogQuerySchema, LogSchema, SummaryExplainedSchema,
    SummaryFigureQuerySchema, SummarySchema, TrackersSchema, UndoneSchema, UndoSchema, UndoTakeBackQuerySchema,
    UpNextSchema,
)
from ..schemas import api_time
from .common import accounts, caller, change_requests, db, event_json, json_answer, streamed, trackers, undone_json, \
    write_options
from .access import CLEARS_OWN, LOGS_OWN, OWN_ENTRY, READS_OWN, WRITES_OWN, allow
from .parsing import Blueprint

blp = Blueprint("progress", __name__, url_prefix="/api/progress", description="The progress log")


@blp.post("/log")
@allow(LOGS_OWN)
@blp.arguments(LogSchema())
@blp.response(201, EventSchema)
def log_entry(body):
    """Log one change on a title (the first one creates the tracker)."""
    user_id = body.get("user_id", caller().user_id)
    if user_id != caller().user_id:  # an admin logging for someone else (api.access), who must exist
        accounts().get(user_id)
    outcome = trackers().log(user_id, body["title_id"], change_requests(body),
                             occurred_at=body.get("occurred_at"), **write_options())
    return json_answer(event_json(outcome.stream, outcome.entries[0], outcome.metadata), 201)


@blp.put("/log/<int:log_id>")
@allow(OWN_ENTRY)
@blp.arguments(ChangeSchema())
@blp.response(200, EventSchema)
def correct_entry(body, log_id):
    """Correct an entry: the tracker re-folds as if the entry had carried this change."""
    [change] = change_requests(body)
    outcome = trackers().correct(caller().user_id, log_id, change, **write_options())
    return json_answer(event_json(outcome.stream, outcome.entries[0], outcome.metadata))


@blp.delete("/log/<int:log_id>")
@allow(OWN_ENTRY)
@blp.response(200, EventSchema)
def retract_entry(log_id):
    """Retract an entry: the tracker re-folds as if it had never happened."""
    outcome = trackers().retract(caller().user_id, log_id, **write_options())
    return json_answer(event_json(outcome.stream, outcome.entries[0], outcome.metadata))


@blp.post("/<int:user_id>/undo")
@allow(WRITES_OWN)
@blp.arguments(UndoSchema())
@blp.response(200, UndoneSchema)
def undo(body, user_id):
    """Take back every entry recorded in a range (of one title, if given) as if none had been
    made, all together; with dry_run, only say which entries and how each tracker would change."""
    undone = trackers().undo(user_id, body["since"], body["until"], title_id=body.get("title_id"),
                             dry_run=body["dry_run"], metadata=write_options()["metadata"])
    return undone_json(undone)


@blp.delete("/<int:user_id>/undo/<string:undo_id>")
@allow(WRITES_OWN)
@blp.arguments(UndoTakeBackQuerySchema(), location="query")
@blp.response(200, UndoneSchema)
def take_back_undo(query, user_id, undo_id):
    """Undo an undo: every entry it took back counts again (with dry_run, only say how)."""
    undone = trackers().take_back_undo(user_id, undo_id, dry_run=query["dry_run"],
                                       metadata=write_options()["metadata"])
    return undone_json(undone)


@blp.get("/<int:user_id>")
@allow(READS_OWN)
@blp.arguments(LogQuerySchema(), location="query")
@blp.response(200, EventPageSchema)
def list_entries(query, user_id):
    """A user's entries, newest first; pass next_before as before for the next page."""
    with db().read() as conn:
        return json_answer(eventstore.entries_page(conn, user_id, type_=query.pop("type", None), **query))


@blp.get("/<int:user_id>/history")
@allow(READS_OWN)
@blp.arguments(HistoryQuerySchema(), location="query")
@blp.response(200, HistoryPageSchema)
def history(query, user_id):
    """The timeline: each entry with a sentence and the tracker's state right after it as recorded,
    newest recorded first; or, in occurred order, newest occurred first with the tracker at that
    moment by everything known now."""
    order = query.pop("order")
    with db().read() as conn:
        if order == "occurred":
            return json_answer(tracker_moments.timeline(conn, user_id, **query))
        return json_answer(tracker_versions.timeline(conn, user_id, **query))


@blp.get("/<int:user_id>/upcoming")
@allow(READS_OWN)
@blp.response(200, TrackersSchema)
def upcoming(user_id):
    """The titles the user tracks that are still to come out, soonest first."""
    with db().read() as conn:
        return json_answer(tracker_state.upcoming(conn, user_id))


@blp.get("/<int:user_id>/up-next")
@allow(READS_OWN)
@blp.response(200, UpNextSchema)
def up_next(user_id):
    """What to go on with: released planned titles and the ones in progress, most recently touched
    first, each with the unit that comes next."""
    with db().read() as conn:
        return json_answer(tracker_state.up_next(conn, user_id))


@blp.get("/<int:user_id>/calendar")
@allow(READS_OWN)
@blp.arguments(CalendarQuerySchema(), location="query")
@blp.response(200, CalendarSchema)
def calendar(query, user_id):
    """A month of the user's calendar: every day of it (in the user's timezone from
    the notification settings, UTC when there are none), with the entries that occurred that
    day as the timeline gives them and the releases of the titles the user tracks."""
    with db().read() as conn:
        return json_answer(tracker_moments.month(conn, user_id, query["month"]))


@blp.get("/summary/<int:user_id>")
@allow(READS_OWN)
@blp.response(200, SummarySchema)
def summary(user_id):
    with db().read() as conn:
        return tracker_state.summary(conn, user_id, today=datetime.now(timezone.utc).date())


@blp.get("/summary/<int:user_id>/explain")
@allow(READS_OWN)
@blp.arguments(SummaryFigureQuerySchema(), location="query")
@blp.response(200, SummaryExplainedSchema)
def explain_summary(query, user_id):
    """Which trackers make one figure of the summary (counts.<status>, units.<unit>, ratings.count,
    ratings.average), what each adds, and the counted entries behind each part. The parts add up to
    the figure (ratings.average is their mean), which is exactly the summary's. An unknown or missing
    figure is a 422 naming the figures."""
    with db().read() as conn:
        return tracker_state.explain_summary(conn, user_id, query["figure"])


_EXPORT_COLUMNS = ("id", "occurred_at", "recorded_at", "title_id", "title", "kind", "version", "type", "data",
                   "summary", "status", "progress", "total", "rating", "times_completed", "pass")


@blp.get("/<int:user_id>/export")
@allow(READS_OWN)
@blp.arguments(ExportQuerySchema(), location="query")
@blp.response(200, ExportItemSchema(many=True))
@blp.alt_response(200, description="JSON (format=json), or CSV with a header row (format=csv)",
                  schema={"type": "string"}, content_type="text/csv", success=True)
def export(query, user_id):
    """The user's whole history, one row per entry, with the title and the tracker state after it,
    streamed in log order."""
    database = db()

    def snapshot():  # one snapshot, read in batches as the answer goes out
        with database.transaction(isolation_level="REPEATABLE READ") as conn:
            yield None  # open: whatever refuses the request has refused it before the answer starts
            yield from tracker_versions.export(conn, user_id)

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
                             row.total, row.rating, row.times_completed, row.pass_])
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
        return {"purged": trackers().erase_user(user_id)}
    return {"retracted": trackers().clear(user_id, metadata={"actor": caller().user_id})}
