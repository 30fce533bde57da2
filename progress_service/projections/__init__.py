"""Read models kept in the append's transaction: tracker_state, tracker_versions, title_stats,
user_activity.

``project`` is the inline, incremental path; ``rebuild`` recomputes the same tables from the log.
Both write tracker rows through ``tracker_row`` and count titles through ``contribution``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Sequence

import sqlalchemy as sa

from ..db import Statement, run_together
from ..domain.events import Recorded
from ..domain.tracker import NEW, TrackerState
from ..eventstore import Stream

STATUS_COLUMNS = ("planned", "in_progress", "completed", "paused", "dropped")
RATING_COLUMNS = tuple(f"rating_{r // 2}_{5 * (r % 2)}" for r in range(1, 11))  # rating_0_5 ... rating_5_0
STATS_COLUMNS = ("trackers", *STATUS_COLUMNS, "rating_count", "rating_sum", *RATING_COLUMNS,
                 "completions", "seconds_to_complete")
TRACKER_COLUMNS = ("user_id", "title_id", "active", "status", "progress", "total", "rating", "notes",
                   "started_at", "completed_at", "times_completed", "version", "updated_at")


@dataclass(frozen=True)
class TitleFacts:
    id: int
    kind: str
    total_units: int | None
    revision: int  # the title's edits so far: facts read at one revision hold while it does


def rating_column(rating: float) -> str:
    return RATING_COLUMNS[round(rating * 2) - 1]


def contribution(state: TrackerState) -> dict[str, Any]:
    """What one tracker adds to its title's stats (only active trackers count)."""
    if not state.active:
        return {}
    counts: dict[str, Any] = {"trackers": 1, state.status: 1}
    if state.rating is not None:
        counts.update({"rating_count": 1, "rating_sum": state.rating, rating_column(state.rating): 1})
    if state.status == "completed" and state.started_at and state.completed_at:
        counts["completions"] = 1
        counts["seconds_to_complete"] = max(0, int((state.completed_at - state.started_at).total_seconds()))
    return counts


def stats_delta(before: TrackerState, after: TrackerState) -> dict[str, Any]:
    """What a change from ``before`` to ``after`` adds to its title's stats (only the columns that move)."""
    old, new = contribution(before), contribution(after)
    delta = {column: new.get(column, 0) - old.get(column, 0) for column in old.keys() | new.keys()}
    return {column: value for column, value in delta.items() if value}


def tracker_row(stream: Stream, state: TrackerState) -> dict[str, Any]:
    return {"user_id": stream.user_id, "title_id": stream.title_id, "active": state.active,
            "status": state.status, "progress": state.progress, "total": state.total,
            "rating": state.rating, "notes": list(state.notes), "started_at": state.started_at,
            "completed_at": state.completed_at, "times_completed": state.times_completed,
            "version": state.version, "updated_at": state.updated_at}


def state_from_row(row: dict[str, Any]) -> TrackerState:
    return TrackerState(
        active=row["active"], status=row["status"], progress=row["progress"], total=row["total"],
        rating=float(row["rating"]) if row["rating"] is not None else None, notes=tuple(row["notes"]),
        started_at=row["started_at"], completed_at=row["completed_at"],
        times_completed=row["times_completed"], version=row["version"], updated_at=row["updated_at"])


_UPSERT_TRACKER = sa.text(f"""
    INSERT INTO tracker_state ({', '.join(TRACKER_COLUMNS)})
    SELECT {', '.join(TRACKER_COLUMNS)}  -- the last of the states a write went through
    FROM jsonb_populate_record(NULL::tracker_state, CAST(:states AS jsonb) -> -1)
    ON CONFLICT (user_id, title_id) DO UPDATE SET {', '.join(f"{c} = EXCLUDED.{c}" for c in TRACKER_COLUMNS[2:])}
""")

# The state after each new entry, and its tracker object (rendered_state) for the title as it is now:
# the timeline and time travel read them. Nothing here needs a position from the log, so it is
# written with the other projections, before the append takes the log lock.
_ADD_VERSIONS = sa.text(f"""
    INSERT INTO tracker_versions ({', '.join(TRACKER_COLUMNS)}, state_json, state_revision)
    SELECT {', '.join('v.' + c for c in TRACKER_COLUMNS)}, rendered_state(v, t), t.revision
    FROM titles t, jsonb_populate_recordset(NULL::tracker_versions, CAST(:states AS jsonb)) v
    WHERE t.id = :title_id  -- one stream's rows: its title by key
""")

# Tracker objects rendered again where missing or made with an older revision of their title.
_RENDER_STATES = """
    UPDATE tracker_versions v
    SET state_json = rendered_state(v, t), state_revision = t.revision
    FROM titles t
    WHERE t.id = v.title_id AND v.state_revision IS DISTINCT FROM t.revision AND {where}
"""


def render_states(conn: sa.Connection, *, title_id: int | None = None, users: tuple[int, int] | None = None) -> int:
    """Render the kept tracker objects of one title's entries, or of users ``low <= user_id < high``,
    that are missing or stale; returns how many."""
    where, params = (("v.title_id = :title_id", {"title_id": title_id}) if title_id is not None else
                     ("v.user_id >= :low AND v.user_id < :high", {"low": users[0], "high": users[1]}))
    return conn.execute(sa.text(_RENDER_STATES.format(where=where)), params).rowcount


_LOAD_TRACKER = sa.text(f"""
    SELECT t.id AS title_id, t.kind, t.total_units, t.revision, {', '.join('s.' + c for c in TRACKER_COLUMNS[2:])}
    FROM titles t LEFT JOIN tracker_state s ON s.user_id = :user_id AND s.title_id = t.id
    WHERE t.id = :title_id
""")

_ADD_STATS = sa.text(f"""
    INSERT INTO title_stats (title_id, {', '.join(STATS_COLUMNS)})
    SELECT CAST(:title_id AS bigint), {', '.join('d.' + c for c in STATS_COLUMNS)}
    FROM jsonb_populate_record(NULL::title_stats, CAST(:delta AS jsonb)) d
    ON CONFLICT (title_id) DO UPDATE SET
        {', '.join(f'{c} = title_stats.{c} + EXCLUDED.{c}' for c in STATS_COLUMNS)}
""")

_ADD_ACTIVITY = sa.text("""
    INSERT INTO user_activity (user_id, day, events) VALUES (:user_id, :day, :events)
    ON CONFLICT (user_id, day) DO UPDATE SET events = user_activity.events + EXCLUDED.events
""")


def title_stats_query(trackers: str) -> str:
    """title_stats rows (by title) aggregated from the tracker rows of ``trackers``; the same
    counting as ``contribution``."""
    completed = "status = 'completed' AND started_at IS NOT NULL AND completed_at IS NOT NULL"
    return f"""
        SELECT title_id, count(*) AS trackers,
               {', '.join(f"count(*) FILTER (WHERE status = '{s}') AS {s}" for s in STATUS_COLUMNS)},
               count(rating) AS rating_count, coalesce(sum(rating), 0) AS rating_sum,
               {', '.join(f"count(*) FILTER (WHERE rating = {(i + 1) / 2}) AS {c}"
                          for i, c in enumerate(RATING_COLUMNS))},
               count(*) FILTER (WHERE {completed}) AS completions,
               coalesce(sum(greatest(0, floor(extract(epoch FROM completed_at - started_at))))
                   FILTER (WHERE {completed}), 0)::bigint AS seconds_to_complete
        FROM {trackers} WHERE active GROUP BY title_id
    """


_ERASE_USER = [sa.text("LOCK TABLE tracker_state IN SHARE ROW EXCLUSIVE MODE"), sa.text(f"""
    UPDATE title_stats s SET {', '.join(f'{c} = s.{c} - mine.{c}' for c in STATS_COLUMNS)}
    FROM ({title_stats_query("(SELECT * FROM tracker_state WHERE user_id = :user_id) AS t")}) AS mine
    WHERE s.title_id = mine.title_id
""")] + [sa.text(f"DELETE FROM {table} WHERE user_id = :user_id")
         for table in ("tracker_state", "tracker_versions", "user_activity", "idempotency_keys")]


def erase_user(conn: sa.Connection, user_id: int) -> int:
    """The one erasure path: a user's events and everything derived from them. Returns the events erased.

    The table lock waits for appends in flight and holds new ones back until this commits, so the
    title stats lose exactly what the user's trackers added to them.
    """
    for statement in _ERASE_USER:
        conn.execute(statement, {"user_id": user_id})
    return conn.execute(sa.text("SELECT erase_user_events(:user_id)"), {"user_id": user_id}).scalar_one()


def load_tracker(conn: sa.Connection, stream: Stream, *, first: Sequence[Statement] = ()
                 ) -> tuple[TitleFacts | None, TrackerState]:
    """The title's facts and the tracker's current state (NEW when it has no events yet).

    ``first`` runs in the same round trip ahead of the read (the stream lock).
    """
    rows = run_together(conn, [*first, (_LOAD_TRACKER, stream._asdict())])
    if not rows:
        return None, NEW
    row = rows[0]
    title = TitleFacts(row["title_id"], row["kind"], row["total_units"], row["revision"])
    return title, (NEW if row["version"] is None else state_from_row(row))


_STILL_AT = sa.text("SELECT tracker_is_at(:user_id, :title_id, :version, :revision)")


def still_current(stream: Stream, title: TitleFacts, state: TrackerState) -> Statement:
    """The statement that proves the tracker still at ``state``'s version and its title at
    ``title``'s revision (run it under the stream lock); it fails with db.StaleState otherwise."""
    return _STILL_AT, {**stream._asdict(), "version": state.version, "revision": title.revision}


def _iso(value: Any) -> str:
    return value.isoformat()


def rows_json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(rows, default=_iso)


def changes(stream: Stream, before: TrackerState, states: Sequence[TrackerState],
            entries: Sequence[Recorded]) -> list[Statement]:
    """The statements that carry ``entries`` (which took the tracker from ``before`` through
    ``states``) into every projection; they run ahead of the append."""
    after = states[-1]
    rows = rows_json([tracker_row(stream, state) for state in states])
    statements: list[Statement] = [(_UPSERT_TRACKER, {"states": rows}),
                                   (_ADD_VERSIONS, {"title_id": stream.title_id, "states": rows})]
    delta = stats_delta(before, after)
    if delta:  # most entries change no title figure; skipping them keeps popular titles' rows cool
        statements.append((_ADD_STATS, {"title_id": stream.title_id, "delta": json.dumps(
            {column: delta.get(column, 0) for column in STATS_COLUMNS})}))
    days: dict = {}
    for entry in entries:
        day = entry.occurred_at.astimezone(timezone.utc).date()
        days[day] = days.get(day, 0) + 1
    statements += [(_ADD_ACTIVITY, {"user_id": stream.user_id, "day": day, "events": count})
                   for day, count in days.items()]
    return statements
