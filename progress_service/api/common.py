"""What every blueprint of the API uses: the answers (problem+json, JSON built by PostgreSQL, a
streamed body), who is calling, the service objects of the app, and what a write takes from its
request. No blueprint imports another; each imports from here."""
from __future__ import annotations

import contextvars
import hashlib
import json
from typing import Any, Iterator

from flask import Response, current_app, g, jsonify, request

from ..accounts import Accounts
from ..calendar_feed import CalendarFeeds
from ..db import Database
from ..domain.events import Recorded
from ..domain.rules import AddNote, AddProgress, ChangeRequest, Rate, Restart, SetProgress, SetStatus
from ..errors import BadRequest, InvalidChange
from ..eventstore import Stream
from ..goals import Goals
from ..projections import tracker_versions
from ..schemas import api_time
from ..security import Caller
from .observing import request_id
from ..service_accounts import ServiceAccounts
from ..services import Idempotency, Trackers, Undone

PROBLEM = "application/problem+json"

# The longest Idempotency-Key a write takes (a UUID has 36 characters); a longer one is refused,
# never cut, so two keys that differ only past the limit cannot be taken for one.
MAX_IDEMPOTENCY_KEY = 255


def problem(status: int, title: str, detail: str, *, type_: str = "about:blank",
            errors: dict | None = None) -> Response:
    body = {"type": type_, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    return response


def json_answer(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An answer whose JSON PostgreSQL has already built (the read side: the projections' reads)."""
    return Response(body, status=status, headers=headers, mimetype="application/json")


def streamed(chunks: Iterator[str]) -> Iterator[str]:
    """An answer's body, produced as it goes out, after the view has returned: each piece is made
    in the context of the request that asked for it (its caller's proof, db.request_proof)."""
    context = contextvars.copy_context()  # now, while the request is on

    def pieces() -> Iterator[str]:
        try:
            while True:
                try:
                    yield context.run(next, chunks)
                except StopIteration:
                    return
        finally:  # a client that leaves early ends what the pieces hold open (a snapshot)
            context.run(chunks.close)
    return pieces()


def caller() -> Caller:
    """Who is calling (the bearer token was checked before the view ran)."""
    return g.caller


def caller_id_if_any() -> int | None:
    """Who is calling, on a route that may be called without a token too (None without one)."""
    who = g.get("caller")
    return None if who is None else who.user_id


def caller_is_admin() -> bool:
    """Whether an admin is calling, on a route that may be called without a token too."""
    who = g.get("caller")
    return who is not None and who.is_admin


def db() -> Database:
    return current_app.extensions["progress_service.db"]


def trackers() -> Trackers:
    return current_app.extensions["progress_service.trackers"]


def accounts() -> Accounts:
    return current_app.extensions["progress_service.accounts"]


def service_accounts() -> ServiceAccounts:
    return current_app.extensions["progress_service.service_accounts"]


def calendar_feeds() -> CalendarFeeds:
    return current_app.extensions["progress_service.calendar_feeds"]


def change_requests(body: dict[str, Any]) -> list[ChangeRequest]:
    """The changes in a request body, in the order they apply: progress, then status, rating, note
    (a restart comes alone)."""
    makers = {"progress": SetProgress, "delta": AddProgress, "status": SetStatus, "rating": Rate, "note": AddNote,
              "restart": lambda _: Restart()}
    return [make(body[name]) for name, make in makers.items() if name in body]


def write_options(*, expected_version: int | None = None) -> dict[str, Any]:
    """What every write passes on: who acted, the request id, the Idempotency-Key, If-Match."""
    headers = request.headers
    options: dict[str, Any] = {"metadata": {"actor": caller().user_id, "request_id": request_id()}}
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


# What a client may see of an entry's metadata (as the SQL function visible_metadata shows it).
VISIBLE_METADATA = ("import", "request_id", "undo_id")


def event_json(stream: Stream, entry: Recorded, metadata: dict[str, Any] | None = None) -> str:
    """The API's ``event`` object as JSON, for an entry a write has just appended (the answer to a
    write, with the write's ``metadata``), spelled as the SQL function ``event_json`` spells it for the reads."""
    return json.dumps({"id": entry.id, "user_id": stream.user_id, "title_id": stream.title_id,
                       "version": entry.version, "type": entry.event.type, "data": entry.event.data(),
                       "occurred_at": api_time(entry.occurred_at), "recorded_at": api_time(entry.recorded_at),
                       "metadata": {key: value for key, value in (metadata or {}).items() if key in VISIBLE_METADATA}})


def goals() -> Goals:
    return current_app.extensions["progress_service.goals"]


def undone_json(undone: Undone) -> Response:
    """The answer of an undo (of a range, of an undo, of an import): its entries and each tracker's before and after."""
    with db().read() as conn:
        changes = [{"title_id": stream.title_id, "title": json.loads(tracker_versions.title_name(conn, stream.title_id)),
                    **{side: json.loads(tracker_versions.render(conn, stream, state)) if state.active else None
                       for side, state in (("before", before), ("after", after))}}
                   for stream, before, after in undone.changes]
    return json_answer(json.dumps({"undo_id": undone.undo_id, "dry_run": undone.dry_run, "entries": undone.entries,
                                   "changes": changes}))
