"""tracker_versions: the state of a tracker right after each of its entries, and its tracker object.

Written by every append (one row per new entry, with the API's tracker object rendered for the
title as it is now: ``tracker_json(v, t)`` in sql/schema.sql, kept in its column ``tracker``); a rebuild takes every folded state. The
timeline, time travel (``?version=``, ``?as_of=``) and the export read it, so none of them folds.
An edit of a title renders its rows' objects again (``render_states``). What is folded from the
stream on each read is here too: ``?at=`` and a tracker's passes.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator, NoReturn, Sequence

import sqlalchemy as sa

from .. import eventstore
from ..db import Statement, run_together
from ..domain.events import Recorded
from ..domain.tracker import Pass, TrackerState, passes
from ..eventstore import Stream
from ..errors import InvalidChange, TitleNotFound, TrackerNotFound
from . import tracker_moments
from .change import COLUMNS, Change, Difference, tracker_row

TABLE = "tracker_versions"
KEY = ("user_id", "title_id", "version")
COMPARED = ", ".join(COLUMNS)  # its tracker objects are a rendering of these, checked on their own

# Nothing here needs a position from the log, so it is written with the other projections,
# before the append.
_ADD = sa.text(f"""
    INSERT INTO tracker_versions ({', '.join(COLUMNS)}, tracker, title_revision)
    SELECT {', '.join('v.' + c for c in COLUMNS)}, tracker_json(v, t), t.revision
    FROM titles t, jsonb_populate_recordset(NULL::tracker_versions, CAST(:states AS jsonb)) v
    WHERE t.id = :title_id  -- one stream's rows: its title by key
""")


def changes(change: Change) -> list[Statement]:
    return [(_ADD, {"title_id": change.stream.title_id, "states": change.rows})]


def from_stream(stream: Stream, entries: Sequence[Recorded], states: Sequence[TrackerState]) -> list[dict[str, Any]]:
    """Which of a stream's folded states this table keeps, as rows: all."""
    return [tracker_row(stream, state) for state in states]


FOLD_ROWS = ""  # the same, for the rows of the set-based fold

ERASE = [sa.text("DELETE FROM tracker_versions WHERE user_id = :user_id")]

# Tracker objects rendered again where missing or made with an older revision of their title.
_RENDER = """
    UPDATE tracker_versions v
    SET tracker = tracker_json(v, t), title_revision = t.revision
    FROM titles t
    WHERE t.id = v.title_id AND v.title_revision IS DISTINCT FROM t.revision AND {where}
"""


def render_states(conn: sa.Connection, *, title_id: int | None = None, users: tuple[int, int] | None = None) -> int:
    """Render the kept tracker objects of one title's entries, or of users ``low <= user_id < high``,
    that are missing or stale; returns how many."""
    where, params = (("v.title_id = :title_id", {"title_id": title_id}) if title_id is not None else
                     ("v.user_id >= :low AND v.user_id < :high", {"low": users[0], "high": users[1]}))
    return conn.execute(sa.text(_RENDER.format(where=where)), params).rowcount


_STALE_STATES = sa.text("""
    SELECT v.user_id, v.title_id, v.version FROM tracker_versions v JOIN titles t ON t.id = v.title_id
    WHERE v.title_revision = t.revision AND v.tracker::text <> tracker_json(v, t)::text
    ORDER BY 1, 2, 3
""")


def differences(conn: sa.Connection) -> list[Difference]:
    """Kept tracker objects that their own rows would no longer render so (verify's own check)."""
    return [Difference(TABLE, f"user_id={row.user_id} title_id={row.title_id} version={row.version}",
                       {"tracker": "as kept"}, {"tracker": "rendered anew"})
            for row in conn.execute(_STALE_STATES)]


# -- reads ----------------------------------------------------------------------------------------
# Which version a time-travel read is known at (``known``): ``version``, the last recorded by
# ``as_of``, or the last of all; and the last of all (``last``). No row: no tracker.
KNOWN_AT = """
    WITH s AS (SELECT version AS last FROM tracker_state WHERE user_id = :user_id AND title_id = :title_id),
         k AS (SELECT s.last, CASE WHEN CAST(:as_of AS timestamptz) IS NULL THEN coalesce(CAST(:version AS integer), s.last)
                              ELSE (SELECT max(e.version) FROM events e WHERE e.user_id = :user_id
                                    AND e.title_id = :title_id AND e.recorded_at <= CAST(:as_of AS timestamptz)) END AS known
               FROM s)
"""
_TRACKER_AT = sa.text(KNOWN_AT + """
    SELECT k.last, k.known, (SELECT kept_tracker_json(v, t)::text FROM tracker_versions v JOIN titles t ON t.id = v.title_id
                             WHERE v.user_id = :user_id AND v.title_id = :title_id AND v.version = k.known) AS body
    FROM k
""")
_TRACKER_THEN = tracker_moments.tracker_at_sql(KNOWN_AT)

TIMELINE_ITEM = "timeline_item(page.e, v, t, rewrites.retracted_by, rewrites.corrected_by)"
TIMELINE_JOINS = """
    JOIN tracker_versions v ON v.user_id = (page.e).user_id AND v.title_id = (page.e).title_id
                           AND v.version = (page.e).version
    JOIN titles t ON t.id = (page.e).title_id""" + eventstore.REWRITES

_EXPORT = sa.text(f"""
    SELECT {TIMELINE_ITEM.replace("timeline_item(", "export_item(")}::text AS item, (page.e).id, (page.e).occurred_at, (page.e).recorded_at,
           (page.e).title_id, t.name, t.kind, (page.e).version, (page.e).type, (page.e).data::text AS data,
           entry_summary((page.e).type, (page.e).data, v.progress, v.total, t.kind, t.unit) AS summary, v.status,
           trim_scale(v.progress) AS progress, coalesce(v.total, t.total_units) AS total, v.rating, v.times_completed, v.pass AS pass_
    FROM (SELECT e FROM events e WHERE e.user_id = :user_id AND e.id > :after ORDER BY e.id LIMIT 1000) page
    {TIMELINE_JOINS}
    ORDER BY (page.e).id
""")


def tracker_at(conn: sa.Connection, user_id: int, title_id: int, *, version: int | None = None,
               as_of: datetime | None = None, at: datetime | None = None) -> tuple[str, int]:
    """The tracker as known right after its ``version``-th entry, or as known at ``as_of`` (JSON);
    with ``at``, as it was at that time by what was known then (now, without either): one
    prepared lookup, of tracker_versions or of tracker_moments."""
    now = datetime.now(timezone.utc)
    for name, moment in (("as_of", as_of), ("at", at)):
        if moment is not None and moment > now:
            raise InvalidChange(f"{name} {moment.isoformat()} is still to come; ask about a time that has passed.",
                                field=name)
    statement = _TRACKER_AT if at is None else _TRACKER_THEN
    rows = run_together(conn, [(statement, {"user_id": user_id, "title_id": title_id, "version": version,
                                            "as_of": as_of, "at": at})])
    if not rows:
        _no_tracker(conn, user_id, title_id)
    last, known, body = rows[0]["last"], rows[0]["known"], rows[0]["body"]
    if as_of is not None and known is None:
        raise TrackerNotFound(f"The tracker did not exist yet at {as_of.isoformat()}.")
    if not 1 <= known <= last:  # shared/API.md, "Time": a version past the last is 404
        raise TrackerNotFound(f"This tracker has versions 1 to {last}; there is no version {known}.")
    if body is None:
        raise TrackerNotFound(f"There was no tracker for this title at {at.isoformat()}.")
    return body, known


_TRACKER_OF_STATE = sa.text("""
    SELECT with_release(tracker_json(
               CAST(:user_id AS bigint), t, CAST(:status AS text), CAST(:progress AS numeric),
               CAST(:total AS integer), CAST(:rating AS numeric(2, 1)), CAST(:notes AS text[]),
               CAST(:started_at AS timestamptz), CAST(:completed_at AS timestamptz),
               CAST(:times_completed AS integer), CAST(:version AS integer),
               CAST(:updated_at AS timestamptz), CAST(:pass AS integer)), t)::text
    FROM titles t WHERE t.id = :title_id
""")


def render(conn: sa.Connection, stream: Stream, state: TrackerState) -> str:
    """The API's tracker object (JSON) for a state that no table holds (one folded for the asking)."""
    return conn.execute(_TRACKER_OF_STATE, tracker_row(stream, state)).scalar_one()


_TITLE_NAME = sa.text("SELECT json_build_object('id', id, 'name', name, 'kind', kind)::text FROM titles WHERE id = :id")


def title_name(conn: sa.Connection, title_id: int) -> str:
    """A title's id, name and kind (JSON), as a timeline item names it."""
    return conn.execute(_TITLE_NAME, {"id": title_id}).scalar_one()


def _no_tracker(conn: sa.Connection, user_id: int, title_id: int) -> NoReturn:
    """Raise the 404 of a tracker that is not there: its title's, when the title is not there for the user either."""
    if not eventstore.title_exists(conn, title_id, user_id):
        raise TitleNotFound(f"There is no title {title_id} in the catalog.")
    raise TrackerNotFound("There is no tracker for this title.")


def tracker_passes(conn: sa.Connection, user_id: int, title_id: int) -> list[Pass]:
    """The passes of a tracker on the board, oldest first, folded from its stream."""
    found = passes(eventstore.read_stream(conn, Stream(user_id, title_id)))
    if not found:
        _no_tracker(conn, user_id, title_id)
    return found


def timeline(conn: sa.Connection, user_id: int, *, limit: int = 50, **conditions: Any) -> str:
    """A page of the history timeline (JSON): each entry with its title, a sentence, and the
    tracker's state right after it, as it was recorded then; ``conditions`` as eventstore.page."""
    return eventstore.page(conn, TIMELINE_ITEM, TIMELINE_JOINS, user_id, limit, conditions)


def export(conn: sa.Connection, user_id: int) -> Iterator[sa.Row]:
    """Every entry of the user in log order, a thousand at a time: ``item`` (the timeline item as
    JSON) and its columns. Run it in one REPEATABLE READ transaction for one snapshot."""
    after = 0
    while True:
        rows = conn.execute(_EXPORT, {"user_id": user_id, "after": after}).all()
        yield from rows
        if len(rows) < 1000:
            return
        after = rows[-1].id
