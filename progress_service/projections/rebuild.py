"""Rebuild every projection from the log, and verify the live projections against a rebuild.

tracker_state is rebuilt set-based in SQL (the *projection queries*) for every stream that has
no correction, retraction or rollback: only the entries after the stream's last removal count,
and progress, status, completions and times follow from window functions over them. Streams with
meta entries re-fold in Python with ``domain.tracker.fold`` (their entries rewrite earlier ones).
title_stats and user_activity are plain aggregates of tracker_state and of the log.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa

from ..domain.events import META_TYPES
from ..domain.tracker import fold
from ..eventstore import Stream, stream_entries
from . import STATS_COLUMNS, TRACKER_COLUMNS, rows_json, title_stats_query, tracker_row, upsert_trackers_sql

PROJECTIONS = ("tracker_state", "title_stats", "user_activity")
META = ", ".join(f"'{cls.type}'" for cls in META_TYPES)
_CODE_TO_STATUS = "(ARRAY['planned','in_progress','completed','paused','dropped'])"

# Streams of users in [lo, hi) with no meta entries. "Last value so far" comes from max() over a
# packed (version, value) bigint, since PostgreSQL's window functions cannot IGNORE NULLS.
TRACKERS_QUERY = f"""
WITH streams AS (
    SELECT user_id, title_id, max(version) AS version,
           coalesce(max(version) FILTER (WHERE type = 'tracker_removed'), 0) AS removed_version,
           (array_agg(occurred_at ORDER BY version DESC))[1] AS updated_at
    FROM events WHERE user_id >= :lo AND user_id < :hi
    GROUP BY user_id, title_id
    HAVING NOT bool_or(type IN ({META}))
),
entries AS (  -- the entries after the last removal, with what each does
    SELECT e.user_id, e.title_id, e.version, e.type, e.occurred_at,
           (e.data ->> 'total')::int AS total,
           CASE WHEN e.type = 'progress_logged' THEN coalesce((e.data ->> 'delta')::int, 0) ELSE 0 END AS delta,
           CASE WHEN e.type = 'progress_logged' THEN (e.data ->> 'progress')::int
                WHEN e.type IN ('tracker_added', 'status_changed') AND e.data ->> 'status' = 'completed'
                     THEN (e.data ->> 'total')::int END AS anchor,
           CASE WHEN e.type IN ('tracker_added', 'status_changed')
                THEN array_position({_CODE_TO_STATUS}, e.data ->> 'status') END AS set_status,
           CASE WHEN e.type = 'rating_set' THEN (e.data ->> 'rating')::numeric END AS rating,
           e.data ->> 'text' AS note
    FROM events e JOIN streams s USING (user_id, title_id)
    WHERE e.user_id >= :lo AND e.user_id < :hi AND e.version > s.removed_version
),
progressed AS (
    SELECT *, coalesce(max(version::bigint * 4294967296 + (anchor - cum_delta + 2147483648))
                   FILTER (WHERE anchor IS NOT NULL) OVER w % 4294967296 - 2147483648, 0) + cum_delta AS progress
    FROM (SELECT *, sum(delta) OVER w AS cum_delta FROM entries
          WINDOW w AS (PARTITION BY user_id, title_id ORDER BY version)) x
    WINDOW w AS (PARTITION BY user_id, title_id ORDER BY version)
),
statused AS (  -- status after each entry; progress moves it to in_progress or completed
    SELECT *, coalesce(max(version::bigint * 8 + effect) FILTER (WHERE effect IS NOT NULL) OVER w % 8, 1)
                  AS status_code
    FROM (SELECT *, CASE WHEN set_status IS NOT NULL THEN set_status
                         WHEN type <> 'progress_logged' THEN NULL
                         WHEN total IS NOT NULL AND progress >= total THEN 3
                         WHEN progress > 0 THEN 2 END AS effect
          FROM progressed) x
    WINDOW w AS (PARTITION BY user_id, title_id ORDER BY version)
),
transitions AS (
    SELECT *, effect = 3 AND lag(status_code, 1, 1) OVER w <> 3 AS completes
    FROM statused
    WINDOW w AS (PARTITION BY user_id, title_id ORDER BY version)
),
folded AS (
    SELECT user_id, title_id,
           {_CODE_TO_STATUS}[(array_agg(status_code ORDER BY version DESC))[1]] AS status,
           (array_agg(progress ORDER BY version DESC))[1] AS progress,
           (array_agg(total ORDER BY version DESC)
               FILTER (WHERE type IN ('tracker_added', 'status_changed', 'progress_logged')))[1] AS total,
           (array_agg(rating ORDER BY version DESC)
               FILTER (WHERE type IN ('rating_set', 'rating_cleared')))[1] AS rating,
           coalesce(array_agg(note ORDER BY version) FILTER (WHERE type = 'note_added'), '{{}}') AS notes,
           (array_agg(occurred_at ORDER BY version) FILTER (WHERE effect IN (2, 3)))[1] AS started_at,
           (array_agg(occurred_at ORDER BY version DESC) FILTER (WHERE completes))[1] AS completed_at,
           count(*) FILTER (WHERE completes) AS times_completed
    FROM transitions GROUP BY user_id, title_id
)
SELECT s.user_id, s.title_id, f.user_id IS NOT NULL AS active, coalesce(f.status, 'planned') AS status,
       coalesce(f.progress, 0) AS progress, f.total, f.rating, coalesce(f.notes, '{{}}') AS notes,
       f.started_at, f.completed_at, coalesce(f.times_completed, 0) AS times_completed,
       s.version, s.updated_at
FROM streams s LEFT JOIN folded f USING (user_id, title_id)
"""

_META_STREAM_EVENTS = sa.text(f"""
    SELECT e.id, e.user_id, e.title_id, e.version, e.type, e.data, e.metadata, e.occurred_at, e.recorded_at
    FROM events e
    WHERE e.user_id >= :lo AND e.user_id < :hi AND (e.user_id, e.title_id) IN (
        SELECT user_id, title_id FROM events WHERE user_id >= :lo AND user_id < :hi AND type IN ({META}))
    ORDER BY e.user_id, e.title_id, e.version
""")

_USER_ACTIVITY_QUERY = """
    SELECT user_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS events
    FROM events GROUP BY 1, 2
"""

Progress = Callable[[int], None]


def build(conn: sa.Connection, *, into: dict[str, str], batches: int = 20,
          progress: Progress = lambda done: None) -> None:
    """Fill the tables named in ``into`` (projection -> table) from the log; they start empty."""
    lo, hi = user_range(conn)
    step = max(1, -(-(hi - lo) // batches))
    upsert = upsert_trackers_sql(into["tracker_state"])
    for start in range(lo, hi, step):
        bounds = {"lo": start, "hi": min(hi, start + step)}
        conn.execute(sa.text(f"INSERT INTO {into['tracker_state']} ({', '.join(TRACKER_COLUMNS)}) "
                             f"{TRACKERS_QUERY}"), bounds)
        rows = [tracker_row(stream, fold(entries)) for stream, entries in
                stream_entries(conn.execute(_META_STREAM_EVENTS, bounds))]
        if rows:
            conn.execute(upsert, {"rows": rows_json(rows)})
        progress(bounds["hi"] - bounds["lo"])
    conn.execute(sa.text(f"INSERT INTO {into['title_stats']} (title_id, {', '.join(STATS_COLUMNS)}) "
                         + title_stats_query(into["tracker_state"])))
    conn.execute(sa.text(f"INSERT INTO {into['user_activity']} (user_id, day, events) {_USER_ACTIVITY_QUERY}"))


def user_range(conn: sa.Connection) -> tuple[int, int]:
    """The user ids of the log as a half-open range (a progress bar counts through it)."""
    lo, hi = conn.execute(sa.text("SELECT coalesce(min(user_id), 0), coalesce(max(user_id), 0) + 1 "
                                  "FROM events")).one()
    return lo, hi


def rebuild(conn: sa.Connection, *, progress: Progress = lambda done: None) -> None:
    """Replace every projection with one recomputed from the log.

    Appends write their projections before they draw positions, so holding these table locks
    keeps the log still until the rebuild commits.
    """
    conn.execute(sa.text(f"LOCK TABLE {', '.join(PROJECTIONS)} IN ACCESS EXCLUSIVE MODE"))
    conn.execute(sa.text(f"TRUNCATE {', '.join(PROJECTIONS)}"))
    build(conn, into={name: name for name in PROJECTIONS}, progress=progress)


@dataclass(frozen=True)
class Difference:
    projection: str
    key: str
    live: dict | None
    rebuilt: dict | None

    def __str__(self) -> str:
        if self.live is None:
            return f"{self.projection} {self.key}: missing (a rebuild has {self.rebuilt})"
        if self.rebuilt is None:
            return f"{self.projection} {self.key}: not in a rebuild (live has {self.live})"
        changed = {k: (self.live[k], self.rebuilt[k]) for k in self.live if self.live[k] != self.rebuilt.get(k)}
        return f"{self.projection} {self.key}: " + ", ".join(
            f"{k} is {live!r}, a rebuild says {rebuilt!r}" for k, (live, rebuilt) in changed.items())


_KEYS = {"tracker_state": ("user_id", "title_id"), "title_stats": ("title_id",), "user_activity": ("user_id", "day")}
# title_stats keeps a row whose every count went back to 0; a rebuild has no row there.
_NONZERO = {"title_stats": "WHERE trackers <> 0 OR rating_count <> 0 OR completions <> 0",
            "tracker_state": "", "user_activity": ""}


def verify(conn: sa.Connection, *, progress: Progress = lambda done: None) -> list[Difference]:
    """Every difference between the live projections and a rebuild from the same snapshot.

    Run it in a REPEATABLE READ transaction: the log and the projections commit together.
    """
    into = {name: f"rebuilt_{name}" for name in PROJECTIONS}
    for name, table in into.items():
        conn.execute(sa.text(f"CREATE TEMP TABLE {table} (LIKE {name} INCLUDING ALL) ON COMMIT DROP"))
    build(conn, into=into, progress=progress)
    differences = []
    for name, table in into.items():
        keys = _KEYS[name]
        rows = conn.execute(sa.text(f"""
            WITH live AS (SELECT * FROM {name} {_NONZERO[name]}),
                 rebuilt AS (SELECT * FROM {table} {_NONZERO[name]}),
                 only_live AS (SELECT * FROM live EXCEPT SELECT * FROM rebuilt),
                 only_rebuilt AS (SELECT * FROM rebuilt EXCEPT SELECT * FROM live)
            SELECT to_jsonb(l) AS live, to_jsonb(r) AS rebuilt
            FROM only_live l FULL JOIN only_rebuilt r USING ({', '.join(keys)})
            ORDER BY {', '.join(f'coalesce(l.{k}, r.{k})' for k in keys)}
        """)).all()
        for row in rows:
            side = row.live or row.rebuilt
            differences.append(Difference(name, " ".join(f"{k}={side[k]}" for k in keys), row.live, row.rebuilt))
    return differences
