"""The feed other services follow: every committed event once, in one order, after a position;
as pages (with a long poll) and as a stream of Server-Sent Events (progress_service.feed)."""
from __future__ import annotations

import json
import time
from typing import Any, Iterator

from flask import Response, current_app, request

from .. import eventstore
from ..db import Database
from ..errors import AuthenticationFailed, InvalidChange
from ..eventstore import FEED_START, FeedItem, FeedPosition
from ..feed import HEARTBEAT, FeedSlots, FeedWaiter
from ..schemas.feed import FeedPageSchema, FeedQuerySchema, FeedStreamQuerySchema
from ..security import Caller
from .access import READS_FEED, allow
from .common import caller, db, json_answer, streamed
from .parsing import Blueprint

blp = Blueprint("events", __name__, url_prefix="/api/events",
                description="The feed: every committed event, once, in one order (for other services)")

STREAM_PAGE = 100
# A live stream sends what came at most this often (seconds): under a steady flow of writes it
# sends a few larger pieces rather than one per watcher look, waking its thread that much less.
STREAM_PACE = 0.5


def waiter() -> FeedWaiter:
    return current_app.extensions["progress_service.feed_waiter"]


def slots() -> FeedSlots:
    return current_app.extensions["progress_service.feed_slots"]


def _position(after: int | FeedPosition) -> FeedPosition:
    """The feed position to read on from: a log id stands for its event's position."""
    if isinstance(after, FeedPosition):
        return after
    if after == 0:
        return FEED_START
    with db().read() as conn:
        position = eventstore.position_of(conn, after)
    if position is None:
        raise InvalidChange(f"There is no event {after} in the log to read on from (an erased account takes its "
                            f"events with it): pass after as the feed position next_position gave.", field="after")
    return position


def _page(after: FeedPosition, limit: int, query: dict[str, Any], database: Database | None = None
          ) -> tuple[list[FeedItem], FeedPosition | None]:
    """A page after ``after`` and the high water, from one snapshot."""
    with (database or db()).transaction(isolation_level="REPEATABLE READ") as conn:
        items = eventstore.feed_items(conn, after=after, limit=limit, types=_types(query), user_id=query.get("user_id"))
        return items, eventstore.high_water(conn)


def _types(query: dict[str, Any]) -> list[str] | None:
    """The event types a follower asked for (None: every type)."""
    return [query["type"]] if "type" in query else None


def _onward(after: FeedPosition, high_water: FeedPosition | None) -> FeedPosition:
    """Where to read on from when a page holds nothing after ``after``: the high water, past which no
    event can come up to it later (eventstore), so nothing asked for lies before it."""
    return max(after, high_water or FEED_START)


@blp.get("")
@allow(READS_FEED)
@blp.arguments(FeedQuerySchema(), location="query")
@blp.response(200, FeedPageSchema)
def feed(query):
    """The committed events after a log id or feed position, oldest first, none skipped and none
    twice whatever commits late. With wait, an empty answer is held open (at most 30 s, holding no
    database connection) until an event arrives."""
    after = _position(query["after"])
    items, high_water = _page(after, query["limit"], query)
    if not items and query["wait"]:
        release = slots().take()
        try:
            deadline = time.monotonic() + query["wait"]
            while not items and (left := deadline - time.monotonic()) > 0:
                if waiter().wait_past(_onward(after, high_water), left):
                    items, high_water = _page(after, query["limit"], query)
        finally:
            release()
    last = items[-1].position if items else _onward(after, high_water)
    high_water = high_water or FEED_START
    return json_answer(json.dumps({"next_after": last.id, "next_position": str(last), "high_water": high_water.id,
                                   "high_water_position": str(high_water)})[:-1]
                       + ', "items": [' + ", ".join(item.with_position() for item in items) + "]}")


@blp.get("/stream")
@allow(READS_FEED)
@blp.arguments(FeedStreamQuerySchema(), location="query")
@blp.response(200, {"type": "string"}, content_type="text/event-stream",
              description="Server-Sent Events: one per event (id: its log id, event: its type, data: the event "
                          "object with its position), and a comment every 15 s while nothing happens")
def stream(query):
    """The feed as it grows, as Server-Sent Events, resumable with Last-Event-ID (a log id or a feed
    position). It holds a database connection only while it reads a page."""
    resume = request.headers.get("Last-Event-ID", "").strip()
    if resume:
        query = {**query, "after": FeedStreamQuerySchema().load({"after": resume})["after"]}
    after = _position(query.get("after", 0))
    db().prove()  # the caller's token still stands (a revoked service's ends here), before the 200 goes out
    release = slots().take()  # now, so a full worker answers 503 rather than a stream that never starts
    # each page is read with the caller's proof, so the stream of a token that has ended ends too
    response = Response(streamed(_events(after, query, db(), waiter(), caller())), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    response.call_on_close(release)  # when the client goes, or the stream ends
    return response


def _events(after: FeedPosition, query: dict[str, Any], database: Database, waits: FeedWaiter,
            follower: Caller) -> Iterator[str]:
    """The stream's pieces, made after the view has returned (so with the app's objects in hand):
    pages from the process's recent events once the stream has caught up with them, else from the
    database. Either way no event goes out once the caller's credential has ended: a page from the
    database is read with its proof, and the watcher proves every live stream's credential after
    the events it reads (FeedWaiter.following)."""
    yield f"retry: 1000\n: following the feed after {after}\n\n"
    types = _types(query)
    with waits.following(follower):
        while True:
            try:
                recent = waits.recent(after, STREAM_PAGE, types, query.get("user_id"), follower)
                if recent is None:
                    items, high_water = _page(after, STREAM_PAGE, query, database)
                    onward = items[-1].position if items else _onward(after, high_water)
                else:
                    items, onward = recent.items, recent.onward
                    if items and not recent.proved:  # the stream began after the watcher's last look
                        database.prove()
            except AuthenticationFailed:  # the caller's token has ended: a client that comes back gets the 401
                return
            after = onward
            if items:
                yield "".join(f"id: {item.id}\nevent: {item.type}\ndata: {item.with_position()}\n\n"
                              for item in items)
                if len(items) == STREAM_PAGE:
                    continue
                time.sleep(STREAM_PACE)
            if not waits.wait_past(after, HEARTBEAT):
                yield ": heartbeat\n\n"
