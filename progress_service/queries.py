"""The read side: GET routes read projection tables and the log with plain SQL, never re-folding
(time travel aside, whose job that is — see services.Tracker.state_at)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa


_TRACKER = sa.text("""
    SELECT s.user_id, s.title_id, s.status, s.progress, coalesce(s.total, t.total_units) AS total,
           s.rating, s.notes, s.started_at, s.completed_at, s.times_completed, s.version, s.updated_at,
           t.name, t.kind, t.total_units, t.unit
    FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.title_id = :title_id AND s.active
""")


def tracker(conn: sa.Connection, user_id: int, title_id: int) -> dict[str, Any] | None:
    """The API's ``tracker`` object, or None when the user has no active tracker on the title."""
    row = conn.execute(_TRACKER, {"user_id": user_id, "title_id": title_id}).first()
    if row is None:
        return None
    return {
        "user_id": row.user_id, "title_id": row.title_id,
        "title": {"id": row.title_id, "name": row.name, "kind": row.kind, "unit": row.unit,
                  "total_units": row.total_units},
        "status": row.status, "progress": row.progress, "total": row.total,
        "percent": round(row.progress * 100.0 / row.total, 1) if row.total else None,
        "rating": float(row.rating) if row.rating is not None else None, "notes": list(row.notes),
        "started_at": row.started_at, "completed_at": row.completed_at,
        "times_completed": row.times_completed, "version": row.version, "updated_at": row.updated_at,
    }


def history(conn: sa.Connection, user_id: int, *, title_id: int | None = None, before: int | None = None,
            since: datetime | None = None, until: datetime | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """A user's entries (the API's ``event`` objects), newest first: a page of ``limit`` below the
    cursor ``before`` (a log id).

    Walks the (user_id, id) primary key backwards, so its cost follows the page, not the log.
    """
    conditions = ["user_id = :user_id"]
    params: dict[str, Any] = {"user_id": user_id, "limit": limit}
    for column, operator, value in (("title_id", "=", title_id), ("id", "<", before),
                                    ("occurred_at", ">=", since), ("occurred_at", "<", until)):
        if value is not None:
            conditions.append(f"{column} {operator} :{column}_{len(params)}")
            params[f"{column}_{len(params)}"] = value
    rows = conn.execute(sa.text(
        "SELECT id, user_id, title_id, version, type, data, occurred_at, recorded_at FROM events "
        f"WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT :limit"), params).mappings()
    return [dict(row) for row in rows]
