"""tracker_state: each tracker as it is now, one row per user and title.

Written by every append (the last of the states its entries went through); a rebuild takes each
stream's last state from the fold. The board, one tracker, a user's summary and the write path's
load read it.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Sequence

import sqlalchemy as sa

from ..db import Statement, run_together
from ..domain.tracker import NEW, TrackerState
from ..domain.vocabulary import KINDS, STATUSES, UNITS
from ..eventstore import Stream
from . import title_stats, user_activity
from .change import COLUMNS, Change, TitleFacts

TABLE = "tracker_state"
KEY = ("user_id", "title_id")

_UPSERT = sa.text(f"""
    INSERT INTO tracker_state ({', '.join(COLUMNS)})
    SELECT {', '.join(COLUMNS)}  -- the last of the states a write went through
    FROM jsonb_populate_record(NULL::tracker_state, CAST(:states AS jsonb) -> -1)
    ON CONFLICT (user_id, title_id) DO UPDATE SET {', '.join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[2:])}
""")


def changes(change: Change) -> list[Statement]:
    return [(_UPSERT, {"states": change.rows})]


def from_fold(states: Sequence[TrackerState]) -> Sequence[TrackerState]:
    """Which of a stream's folded states this table keeps: the last."""
    return states[-1:]


FOLD_ROWS = "WHERE last"  # the same, for the rows of the set-based fold

ERASE = [sa.text("DELETE FROM tracker_state WHERE user_id = :user_id")]


# -- the write path's load ------------------------------------------------------------------------
_LOAD = sa.text(f"""
    SELECT t.id AS title_id, t.kind, t.total_units, t.revision, {', '.join('s.' + c for c in COLUMNS[2:])}
    FROM titles t LEFT JOIN tracker_state s ON s.user_id = :user_id AND s.title_id = t.id
    WHERE t.id = :title_id
""")


def load(stream: Stream) -> Statement:
    """The statement that reads a tracker's title and state, for ``loaded``."""
    return _LOAD, stream._asdict()


def loaded(rows: list[dict[str, Any]]) -> tuple[TitleFacts | None, TrackerState]:
    """The title's facts (None: no such title) and the tracker's state (NEW before its first entry)."""
    if not rows:
        return None, NEW
    row = rows[0]
    title = TitleFacts(row["title_id"], row["kind"], row["total_units"], row["revision"])
    return title, (NEW if row["version"] is None else state_from_row(row))


def state_from_row(row: dict[str, Any]) -> TrackerState:
    return TrackerState(
        active=row["active"], status=row["status"], progress=row["progress"], total=row["total"],
        rating=float(row["rating"]) if row["rating"] is not None else None, notes=tuple(row["notes"]),
        started_at=row["started_at"], completed_at=row["completed_at"],
        times_completed=row["times_completed"], version=row["version"], updated_at=row["updated_at"],
        pass_number=row["pass"])


_STILL_AT = sa.text("SELECT tracker_is_at(:user_id, :title_id, :version, :revision)")


def still_current(stream: Stream, title: TitleFacts, state: TrackerState) -> Statement:
    """The statement that proves the tracker still at ``state``'s version and its title at
    ``title``'s revision (run it under the stream lock); it fails with db.StaleState otherwise."""
    return _STILL_AT, {**stream._asdict(), "version": state.version, "revision": title.revision}


# -- reads ----------------------------------------------------------------------------------------
_STATE = ("{s}.status, {s}.progress, {s}.total, {s}.rating, {s}.notes, {s}.started_at, {s}.completed_at, "
          "{s}.times_completed, {s}.version, {s}.updated_at, {s}.pass")


def tracker_json_sql(state: str, title: str = "t") -> str:
    """SQL for the API's tracker object of the state row ``state`` on the titles row ``title``."""
    return f"tracker_json({state}.user_id, {title}, {_STATE.format(s=state)})"


TRACKER = sa.text(f"""
    SELECT {tracker_json_sql('s')}::text AS body, s.version FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.title_id = :title_id AND s.active
""")
_BOARD = sa.text(f"""
    SELECT json_build_object({', '.join(
        f"'{status}', coalesce(json_agg({tracker_json_sql('s')} ORDER BY s.updated_at DESC NULLS LAST, s.title_id) "
        f"FILTER (WHERE s.status = '{status}'), '[]')" for status in STATUSES)})::text AS body
    FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.active
      AND (CAST(:status AS text) IS NULL OR s.status = :status)
      AND (CAST(:kind AS text) IS NULL OR t.kind = :kind)
""")
_ACTIVE_TITLES = sa.text("SELECT title_id FROM tracker_state WHERE user_id = :user_id AND active ORDER BY title_id")
_COUNTS = sa.text("""
    SELECT s.status, t.kind, t.unit, count(*) FILTER (WHERE s.active) AS trackers,
           coalesce(sum(s.progress) FILTER (WHERE s.active), 0) AS units,
           count(s.rating) FILTER (WHERE s.active) AS rated, sum(s.rating) FILTER (WHERE s.active) AS rating_sum,
           max(s.updated_at) AS last_activity_at
    FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id GROUP BY s.status, t.kind, t.unit
""")


def tracker(conn: sa.Connection, user_id: int, title_id: int) -> tuple[str, int] | None:
    """The API's ``tracker`` object (JSON) and its version, or None when the user has no active
    tracker on the title."""
    rows = run_together(conn, [(TRACKER, {"user_id": user_id, "title_id": title_id})])
    return (rows[0]["body"], rows[0]["version"]) if rows else None


def board(conn: sa.Connection, user_id: int, *, status: str | None = None, kind: str | None = None) -> str:
    """A user's active trackers by status, most recently changed first (JSON)."""
    return run_together(conn, [(_BOARD, {"user_id": user_id, "status": status, "kind": kind})])[0]["body"]


def active_titles(conn: sa.Connection, user_id: int) -> list[int]:
    return list(conn.execute(_ACTIVE_TITLES, {"user_id": user_id}).scalars())


def summary(conn: sa.Connection, user_id: int, *, today: date, days: int = 30) -> dict[str, Any]:
    """A user's trackers counted by status and kind, units consumed, ratings, and daily activity."""
    rows = conn.execute(_COUNTS, {"user_id": user_id}).mappings().all()
    counts = {status: 0 for status in STATUSES}
    by_kind = {kind: {status: 0 for status in STATUSES} for kind in KINDS}
    units = {unit: 0 for unit in UNITS.values()}
    rated, rating_sum = 0, 0
    for row in rows:
        counts[row["status"]] += row["trackers"]
        by_kind[row["kind"]][row["status"]] += row["trackers"]
        units[row["unit"]] += row["units"]
        rated += row["rated"]
        rating_sum += row["rating_sum"] or 0
    last = max((row["last_activity_at"] for row in rows if row["last_activity_at"]), default=None)
    first_day = today - timedelta(days=days - 1)
    per_day = user_activity.per_day(conn, user_id, first=first_day, last=today)
    return {"user_id": user_id, "counts": counts, "by_kind": by_kind, "units": units,
            "ratings": {"count": rated, "average": title_stats.average(rating_sum, rated)},
            "last_activity_at": last,
            "activity": [{"date": first_day + timedelta(days=i), "events": per_day.get(first_day + timedelta(days=i), 0)}
                         for i in range(days)]}
