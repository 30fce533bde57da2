"""The read side: GET routes read projection tables and the log with plain SQL, never re-folding
(time travel aside, whose job that is — see services.Tracker.state_at)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from .domain.events import STATUSES, Recorded
from .domain.tracker import TrackerState
from .eventstore import Stream
from .projections import state_from_row


_TRACKER_COLUMNS = """
    s.user_id, s.title_id, s.active, s.status, s.progress, s.total, s.rating, s.notes, s.started_at,
    s.completed_at, s.times_completed, s.version, s.updated_at, t.name, t.kind, t.unit, t.total_units
"""
_TRACKER = sa.text(f"""
    SELECT {_TRACKER_COLUMNS} FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.title_id = :title_id AND s.active
""")
_TITLE_BRIEF = sa.text("SELECT id, name, kind, unit, total_units FROM titles WHERE id = :title_id")


def event_json(stream: Stream, entry: Recorded) -> dict[str, Any]:
    """The API's ``event`` object for an entry of ``stream``."""
    return {"id": entry.id, "user_id": stream.user_id, "title_id": stream.title_id, "version": entry.version,
            "type": entry.event.type, "data": entry.event.data(), "occurred_at": entry.occurred_at,
            "recorded_at": entry.recorded_at}


def tracker_json(user_id: int, title: dict[str, Any], state: TrackerState) -> dict[str, Any]:
    """The API's ``tracker`` object: a tracker's state on a title (``title`` as in title_brief)."""
    total = state.total if state.total is not None else title["total_units"]
    return {
        "user_id": user_id, "title_id": title["id"],
        "title": {key: title[key] for key in ("id", "name", "kind", "unit", "total_units")},
        "status": state.status, "progress": state.progress, "total": total,
        "percent": round(state.progress * 100.0 / total, 1) if total else None,
        "rating": state.rating, "notes": list(state.notes), "started_at": state.started_at,
        "completed_at": state.completed_at, "times_completed": state.times_completed,
        "version": state.version, "updated_at": state.updated_at,
    }


def _tracker_from_row(row: dict[str, Any]) -> dict[str, Any]:
    title = {"id": row["title_id"], "name": row["name"], "kind": row["kind"], "unit": row["unit"],
             "total_units": row["total_units"]}
    return tracker_json(row["user_id"], title, state_from_row(row))


def tracker(conn: sa.Connection, user_id: int, title_id: int) -> dict[str, Any] | None:
    """The API's ``tracker`` object, or None when the user has no active tracker on the title."""
    row = conn.execute(_TRACKER, {"user_id": user_id, "title_id": title_id}).mappings().first()
    return _tracker_from_row(row) if row else None


def title_brief(conn: sa.Connection, title_id: int) -> dict[str, Any] | None:
    row = conn.execute(_TITLE_BRIEF, {"title_id": title_id}).mappings().first()
    return dict(row) if row else None


def board(conn: sa.Connection, user_id: int, *, status: str | None = None, kind: str | None = None
          ) -> dict[str, list[dict[str, Any]]]:
    """A user's active trackers by status, most recently changed first."""
    rows = conn.execute(sa.text(f"""
        SELECT {_TRACKER_COLUMNS} FROM tracker_state s JOIN titles t ON t.id = s.title_id
        WHERE s.user_id = :user_id AND s.active
          AND (CAST(:status AS text) IS NULL OR s.status = :status)
          AND (CAST(:kind AS text) IS NULL OR t.kind = :kind)
        ORDER BY s.updated_at DESC NULLS LAST, s.title_id
    """), {"user_id": user_id, "status": status, "kind": kind}).mappings()
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in STATUSES}
    for row in rows:
        grouped[row["status"]].append(_tracker_from_row(row))
    return grouped


def history(conn: sa.Connection, user_id: int, *, title_id: int | None = None, before: int | None = None,
            since: datetime | None = None, until: datetime | None = None, type_: str | None = None,
            limit: int = 50) -> list[dict[str, Any]]:
    """A user's entries (the API's ``event`` objects), newest first: a page of ``limit`` below the
    cursor ``before`` (a log id).

    Walks the (user_id, id) primary key backwards, so its cost follows the page, not the log.
    """
    conditions = ["user_id = :user_id"]
    params: dict[str, Any] = {"user_id": user_id, "limit": limit}
    for column, operator, value in (("title_id", "=", title_id), ("id", "<", before), ("type", "=", type_),
                                    ("occurred_at", ">=", since), ("occurred_at", "<", until)):
        if value is not None:
            conditions.append(f"{column} {operator} :{column}_{len(params)}")
            params[f"{column}_{len(params)}"] = value
    rows = conn.execute(sa.text(
        "SELECT id, user_id, title_id, version, type, data, occurred_at, recorded_at FROM events "
        f"WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT :limit"), params).mappings()
    return [dict(row) for row in rows]


def title_briefs(conn: sa.Connection, title_ids: set[int]) -> dict[int, dict[str, Any]]:
    rows = conn.execute(sa.text("SELECT id, name, kind, unit, total_units FROM titles WHERE id = ANY(:ids)"),
                        {"ids": sorted(title_ids)}).mappings()
    return {row["id"]: dict(row) for row in rows}


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
