"""The read side: GET routes read projection tables and the log with plain SQL, never re-folding.

Each answer comes back from PostgreSQL as the API's JSON text (built by the SQL functions
``event_json``, ``tracker_json``, ``version_json`` and ``timeline_item`` in sql/schema.sql; the
tracker object of each past state is kept ready in tracker_versions), so a page of fifty timeline
entries costs one query and no per-field work in Python. The marshmallow schemas in
``schemas/`` document these answers; the API tests and schemathesis check that they match.
"""
from __future__ import annotations

import functools
import json
from datetime import date, datetime, timedelta
from typing import Any, Iterator

import sqlalchemy as sa

from .db import run_together
from .domain.events import STATUSES, Recorded
from .errors import InvalidChange, TitleNotFound, TrackerNotFound
from .eventstore import Stream
from .schemas import api_time

_STATE = ("{s}.status, {s}.progress, {s}.total, {s}.rating, {s}.notes, {s}.started_at, {s}.completed_at, "
          "{s}.times_completed, {s}.version, {s}.updated_at")


def _tracker_json(state: str, title: str = "t") -> str:
    """SQL for the API's tracker object of the state row ``state`` on the titles row ``title``."""
    return f"tracker_json({state}.user_id, {title}, {_STATE.format(s=state)})"


_TRACKER = sa.text(f"""
    SELECT {_tracker_json('s')}::text AS body, s.version FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.title_id = :title_id AND s.active
""")
_TRACKER_AT = sa.text("""
    SELECT version_json(v, t)::text AS body, v.version FROM tracker_versions v JOIN titles t ON t.id = v.title_id
    WHERE v.user_id = :user_id AND v.title_id = :title_id AND v.version = :version
""")
_VERSIONS = sa.text("""
    SELECT s.version AS last, (SELECT max(e.version) FROM events e WHERE e.user_id = :user_id
                               AND e.title_id = :title_id AND e.recorded_at <= :as_of) AS as_of
    FROM tracker_state s WHERE s.user_id = :user_id AND s.title_id = :title_id
""")
_BOARD = sa.text(f"""
    SELECT json_build_object({', '.join(
        f"'{status}', coalesce(json_agg({_tracker_json('s')} ORDER BY s.updated_at DESC NULLS LAST, s.title_id) "
        f"FILTER (WHERE s.status = '{status}'), '[]')" for status in STATUSES)})::text AS body
    FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.active
      AND (CAST(:status AS text) IS NULL OR s.status = :status)
      AND (CAST(:kind AS text) IS NULL OR t.kind = :kind)
""")

_TIMELINE_ITEM = "timeline_item(page.e, v, t)"
_TIMELINE_JOINS = """
    JOIN tracker_versions v ON v.user_id = (page.e).user_id AND v.title_id = (page.e).title_id
                           AND v.version = (page.e).version
    JOIN titles t ON t.id = (page.e).title_id"""


def tracker(conn: sa.Connection, user_id: int, title_id: int) -> tuple[str, int] | None:
    """The API's ``tracker`` object (JSON) and its version, or None when the user has no active
    tracker on the title."""
    rows = run_together(conn, [(_TRACKER, {"user_id": user_id, "title_id": title_id})])
    return (rows[0]["body"], rows[0]["version"]) if rows else None


def tracker_at(conn: sa.Connection, user_id: int, title_id: int, *, version: int | None = None,
               as_of: datetime | None = None) -> tuple[str, int]:
    """The tracker right after its ``version``-th entry, or as it was recorded at ``as_of``."""
    versions = conn.execute(_VERSIONS, {"user_id": user_id, "title_id": title_id, "as_of": as_of}).first()
    if versions is None:
        if conn.execute(sa.text("SELECT FROM titles WHERE id = :id"), {"id": title_id}).first() is None:
            raise TitleNotFound(f"There is no title {title_id} in the catalog.")
        raise TrackerNotFound("There is no tracker for this title.")
    if as_of is not None:
        version = versions.as_of
        if version is None:
            raise TrackerNotFound(f"The tracker did not exist yet at {as_of.isoformat()}.")
    if version is None or not 1 <= version <= versions.last:
        raise InvalidChange(f"This tracker has versions 1 to {versions.last}.", field="version")
    row = conn.execute(_TRACKER_AT, {"user_id": user_id, "title_id": title_id, "version": version}).one()
    return row.body, row.version


def board(conn: sa.Connection, user_id: int, *, status: str | None = None, kind: str | None = None) -> str:
    """A user's active trackers by status, most recently changed first (JSON)."""
    return run_together(conn, [(_BOARD, {"user_id": user_id, "status": status, "kind": kind})])[0]["body"]


_PAGE_CONDITIONS = {"title_id": "e.title_id = :title_id", "before": "e.id < :before", "type_": "e.type = :type_",
                    "since": "e.occurred_at >= :since", "until": "e.occurred_at < :until"}


@functools.lru_cache(maxsize=None)
def _page_sql(item: str, joins: str, conditions: tuple[str, ...]) -> sa.TextClause:
    """A page of a user's entries, newest first, as ``{items: [item...], next_before}``: ``limit``
    entries below the cursor ``before`` (a log id), meeting ``conditions`` (keys of _PAGE_CONDITIONS).
    Walks the (user_id, id) primary key backwards, so its cost follows the page, not the log."""
    where = " AND ".join(["e.user_id = :user_id", *(_PAGE_CONDITIONS[key] for key in conditions)])
    return sa.text(f"""
        WITH page AS (SELECT e FROM events e WHERE {where} ORDER BY e.id DESC LIMIT :limit)
        SELECT json_build_object('items', coalesce(json_agg({item} ORDER BY (page.e).id DESC), '[]'),
                                 'next_before', CASE WHEN count(*) = :limit THEN min((page.e).id) END)::text AS body
        FROM page {joins}
    """)


def _page(conn: sa.Connection, item: str, joins: str, user_id: int, limit: int, conditions: dict[str, Any]) -> str:
    given = {key: value for key, value in conditions.items() if value is not None}
    statement = _page_sql(item, joins, tuple(sorted(given)))
    return run_together(conn, [(statement, {"user_id": user_id, "limit": limit, **given})])[0]["body"]


def history(conn: sa.Connection, user_id: int, *, limit: int = 50, **conditions: Any) -> str:
    """A page of a user's entries (the API's ``event`` objects), newest first (JSON); ``conditions``:
    title_id, before, type_, since, until."""
    return _page(conn, "event_json(page.e)", "", user_id, limit, conditions)


def timeline(conn: sa.Connection, user_id: int, *, limit: int = 50, **conditions: Any) -> str:
    """A page of the history timeline (JSON): each entry with its title, a sentence, and the
    tracker's state right after it, as it was recorded then."""
    return _page(conn, _TIMELINE_ITEM, _TIMELINE_JOINS, user_id, limit, conditions)


_EXPORT = sa.text(f"""
    SELECT {_TIMELINE_ITEM}::text AS item, (page.e).id, (page.e).occurred_at, (page.e).recorded_at,
           (page.e).title_id, t.name, t.kind, (page.e).version, (page.e).type, (page.e).data::text AS data,
           entry_summary((page.e).type, (page.e).data, v.progress, v.total, t.kind) AS summary, v.status,
           v.progress, coalesce(v.total, t.total_units) AS total, v.rating, v.times_completed
    FROM (SELECT e FROM events e WHERE e.user_id = :user_id AND e.id > :after ORDER BY e.id LIMIT 1000) page
    {_TIMELINE_JOINS}
    ORDER BY (page.e).id
""")


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


def event_json(stream: Stream, entry: Recorded) -> str:
    """The API's ``event`` object as JSON, for an entry a write has just appended (the answer to a
    write), spelled as the SQL function ``event_json`` spells it for the reads."""
    return json.dumps({"id": entry.id, "user_id": stream.user_id, "title_id": stream.title_id,
                       "version": entry.version, "type": entry.event.type, "data": entry.event.data(),
                       "occurred_at": api_time(entry.occurred_at), "recorded_at": api_time(entry.recorded_at)})


_UNITS = ("episode", "page", "track", "play")
_KINDS = ("tv_show", "book", "album", "song")


def summary(conn: sa.Connection, user_id: int, *, today: date, days: int = 30) -> dict[str, Any]:
    """A user's trackers counted by status and kind, units consumed, ratings, and daily activity."""
    rows = conn.execute(sa.text("""
        SELECT s.status, t.kind, t.unit, count(*) FILTER (WHERE s.active) AS trackers,
               coalesce(sum(s.progress) FILTER (WHERE s.active), 0) AS units,
               count(s.rating) FILTER (WHERE s.active) AS rated, sum(s.rating) FILTER (WHERE s.active) AS rating_sum,
               max(s.updated_at) AS last_activity_at
        FROM tracker_state s JOIN titles t ON t.id = s.title_id
        WHERE s.user_id = :user_id GROUP BY s.status, t.kind, t.unit
    """), {"user_id": user_id}).mappings().all()
    counts = {status: 0 for status in STATUSES}
    by_kind = {kind: {status: 0 for status in STATUSES} for kind in _KINDS}
    units = {unit: 0 for unit in _UNITS}
    rated, rating_sum = 0, 0
    for row in rows:
        counts[row["status"]] += row["trackers"]
        by_kind[row["kind"]][row["status"]] += row["trackers"]
        units[row["unit"]] += row["units"]
        rated += row["rated"]
        rating_sum += row["rating_sum"] or 0
    last = max((row["last_activity_at"] for row in rows if row["last_activity_at"]), default=None)
    first_day = today - timedelta(days=days - 1)
    per_day = dict(conn.execute(sa.text(
        "SELECT day, events FROM user_activity WHERE user_id = :user_id AND day BETWEEN :first AND :last"),
        {"user_id": user_id, "first": first_day, "last": today}).all())
    return {"user_id": user_id, "counts": counts, "by_kind": by_kind, "units": units,
            "ratings": {"count": rated, "average": round(float(rating_sum) / rated, 2) if rated else None},
            "last_activity_at": last,
            "activity": [{"date": first_day + timedelta(days=i), "events": per_day.get(first_day + timedelta(days=i), 0)}
                         for i in range(days)]}


def active_titles(conn: sa.Connection, user_id: int) -> list[int]:
    return list(conn.execute(sa.text("SELECT title_id FROM tracker_state WHERE user_id = :u AND active ORDER BY title_id"),
                             {"u": user_id}).scalars())
