"""Trackers: the board, one tracker (now, at a version or a time), its passes, changes, removal, rollback."""
from __future__ import annotations

from flask import Response

from ..projections import tracker_state, tracker_versions
from ..errors import TrackerNotFound
from ..schemas.progress import (
    BoardQuerySchema, BoardSchema, EventSchema, PassesSchema, RollbackSchema, TrackerQuerySchema, TrackerSchema,
    TrackerUpdateSchema,
)
from .access import READS_OWN, WRITES_OWN, allow
from .parsing import Blueprint
from .common import change_requests, db, event_json, json_answer, trackers, write_options

blp = Blueprint("trackers", __name__, url_prefix="/api/progress/<int:user_id>/trackers",
                description="Trackers: the current state of each title, a projection of the log")


def current(user_id: int, title_id: int) -> Response:
    """The tracker now, with its version as ETag (for If-Match)."""
    with db().read() as conn:
        found = tracker_state.tracker(conn, user_id, title_id)
    if found is None:
        raise TrackerNotFound(f"User {user_id} has no tracker on title {title_id}.")
    body, version = found
    return json_answer(body, headers={"ETag": f'"{version}"'})


@blp.get("")
@allow(READS_OWN)
@blp.arguments(BoardQuerySchema(), location="query")
@blp.response(200, BoardSchema)
def board(query, user_id):
    with db().read() as conn:
        return json_answer(tracker_state.board(conn, user_id, **query))


@blp.get("/<int:title_id>")
@allow(READS_OWN)
@blp.arguments(TrackerQuerySchema(), location="query")
@blp.response(200, TrackerSchema)
def get_tracker(query, user_id, title_id):
    """The tracker now (with its version as ETag), right after version N, or as recorded at a time."""
    if not query:
        return current(user_id, title_id)
    with db().read() as conn:
        body, _ = tracker_versions.tracker_at(conn, user_id, title_id, **query)
    return json_answer(body)


@blp.get("/<int:title_id>/passes")
@allow(READS_OWN)
@blp.response(200, PassesSchema)
def passes(user_id, title_id):
    """Each time through the title (a rewatch, a reread, a relisten starts a new pass), oldest first."""
    with db().read() as conn:
        return {"items": tracker_versions.tracker_passes(conn, user_id, title_id)}


@blp.put("/<int:title_id>")
@allow(WRITES_OWN)
@blp.arguments(TrackerUpdateSchema())
@blp.response(200, TrackerSchema)
def update_tracker(body, user_id, title_id):
    """One entry per given field, appended together; If-Match guards against a tracker that moved on."""
    trackers().log(user_id, title_id, change_requests(body), **write_options())
    return current(user_id, title_id)


@blp.delete("/<int:title_id>")
@allow(WRITES_OWN)
@blp.response(200, EventSchema)
def remove_tracker(user_id, title_id):
    outcome = trackers().remove(user_id, title_id, **write_options())
    return json_answer(event_json(outcome.stream, outcome.entries[0], outcome.metadata))


@blp.post("/<int:title_id>/rollback")
@allow(WRITES_OWN)
@blp.arguments(RollbackSchema())
@blp.response(200, TrackerSchema)
def roll_back(body, user_id, title_id):
    """Restore the tracker to its state at a version or a time, by a new tracker_rolled_back entry."""
    trackers().roll_back(user_id, title_id, **body, **write_options())
    return current(user_id, title_id)
