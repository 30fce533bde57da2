"""Rebuild every projection from the log, and verify the live projections against a rebuild.

tracker_versions (the state after each entry) is rebuilt set-based in SQL (``STATES_QUERY``)
for every stream that has no correction, retraction or rollback: one sort of the log by stream
and version, running windows over each stream and over each stretch since its last removal; the
rows at each stream's last version are its tracker_state. Streams with meta entries re-fold in
Python with ``domain.tracker.timeline`` (their entries rewrite earlier ones). title_stats and
user_activity are plain aggregates of tracker_state and of the log.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa

from ..db import Database
from ..domain.events import META_TYPES
from ..domain.tracker import TrackerState, timeline
from ..eventstore import Stream, stream_entries
from . import STATS_COLUMNS, TRACKER_COLUMNS, render_states, rows_json, title_stats_query, tracker_row

PROJECTIONS = ("tracker_state", "tracker_versions", "title_stats", "user_activity")
META = ", ".join(f"'{cls.type}'" for cls in META_TYPES)
_CODE_TO_STATUS = "(ARRAY['planned','in_progress','completed','paused','dropped'])"

# The state after every entry of every stream with no meta entries, from one sort of the log by
# stream and version. In such a stream each entry's effect is its own: a progress entry records
# the progress it reached, so the status it sets follows from its own row. "The last value so far"
# of anything is a running max() over a packed (version, value) bigint (or a (version, time)
# array). A removal resets progress (0), status (planned), rating and total, as the fold does, and
# starts a new stretch ("since", the removals so far) for what counts per tracker: notes, start,
# completions.
_PACK = 4294967296  # 2^32: the version above, the value below
_CARRIES_TOTAL = "('tracker_added', 'status_changed', 'progress_logged')"
_MICROS = "(extract(epoch FROM occurred_at) * 1000000)::bigint"
STATES_QUERY = f"""
WITH entries AS (
    SELECT user_id, title_id, version, type, occurred_at, data ->> 'text' AS note,
           CASE WHEN type = 'progress_logged' THEN (data ->> 'progress')::int
                WHEN type IN ('tracker_added', 'status_changed') AND data ->> 'status' = 'completed'
                     THEN (data ->> 'total')::int
                WHEN type = 'tracker_removed' THEN 0 END AS progress,
           CASE WHEN type IN ('tracker_added', 'status_changed')
                     THEN array_position({_CODE_TO_STATUS}, data ->> 'status')
                WHEN type = 'tracker_removed' THEN 1
                WHEN type = 'progress_logged' AND (data ->> 'progress')::int >= (data ->> 'total')::int THEN 3
                WHEN type = 'progress_logged' AND (data ->> 'progress')::int > 0 THEN 2 END AS effect,
           CASE WHEN type IN {_CARRIES_TOTAL} THEN coalesce((data ->> 'total')::int + 1, 0)
                WHEN type = 'tracker_removed' THEN 0 END AS total_code,
           CASE WHEN type = 'rating_set' THEN ((data ->> 'rating')::numeric * 2)::int
                WHEN type IN ('rating_cleared', 'tracker_removed') THEN 0 END AS rating_code
    FROM events
),
sequenced AS (
    SELECT *, max(version) OVER stream AS last_version,
              bool_or(type IN ({META})) OVER stream AS has_meta,
              count(*) FILTER (WHERE type = 'tracker_removed') OVER so_far AS since,
              coalesce(max(version::bigint * 8 + effect) FILTER (WHERE effect IS NOT NULL) OVER so_far % 8, 1)
                  AS status_code,
              coalesce(max(version::bigint * 8 + effect) FILTER (WHERE effect IS NOT NULL) OVER before % 8, 1)
                  AS previous_status,
              max(version::bigint * {_PACK} + progress) OVER so_far % {_PACK} AS progress_so_far,
              nullif(max(version::bigint * {_PACK} + total_code) OVER so_far % {_PACK}, 0) - 1 AS total_so_far,
              nullif(max(version::bigint * 16 + rating_code) OVER so_far % 16, 0) / 2.0 AS rating_so_far
    FROM entries
    WINDOW stream AS (PARTITION BY user_id, title_id),
           so_far AS (stream ORDER BY version ROWS UNBOUNDED PRECEDING),
           before AS (stream ORDER BY version ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
)
SELECT user_id, title_id, version, version = last_version AS last,
       type <> 'tracker_removed' AS active, {_CODE_TO_STATUS}[status_code] AS status,
       coalesce(progress_so_far, 0) AS progress, total_so_far AS total, rating_so_far AS rating,
       coalesce(array_agg(note) FILTER (WHERE type = 'note_added') OVER stretch, '{{}}') AS notes,
       'epoch'::timestamptz + (min(ARRAY[version, {_MICROS}]) FILTER (WHERE effect IN (2, 3)) OVER stretch)[2]
           * interval '1 microsecond' AS started_at,
       'epoch'::timestamptz + (max(ARRAY[version, {_MICROS}]) FILTER (WHERE completes) OVER stretch)[2]
           * interval '1 microsecond' AS completed_at,
       count(*) FILTER (WHERE completes) OVER stretch AS times_completed,
       occurred_at AS updated_at
FROM (SELECT *, effect = 3 AND previous_status <> 3 AS completes FROM sequenced WHERE NOT has_meta) x
WINDOW stretch AS (PARTITION BY user_id, title_id, since ORDER BY version ROWS UNBOUNDED PRECEDING)
"""

_META_STREAM_EVENTS = sa.text(f"""
    WITH meta AS MATERIALIZED (SELECT DISTINCT user_id, title_id FROM events WHERE type IN ({META}))
    SELECT e.id, e.user_id, e.title_id, e.version, e.type, e.data, e.metadata, e.occurred_at, e.recorded_at
    FROM meta CROSS JOIN LATERAL (
        SELECT * FROM events WHERE user_id = meta.user_id AND title_id = meta.title_id) e
    ORDER BY e.user_id, e.title_id, e.version
""")

_USER_ACTIVITY_QUERY = """
    SELECT user_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS events
    FROM events GROUP BY 1, 2 ORDER BY 1, 2
"""

Progress = Callable[[int], None]


def build(conn: sa.Connection, *, into: dict[str, str], progress: Progress = lambda events: None,
          second: Database | None = None) -> None:
    """Fill the tables named in ``into`` (projection -> table) from the log; they start empty.

    ``progress`` is told how many events each step has folded. With a ``second`` database
    handle, the streams with meta entries re-fold in Python on a connection of their own (sharing
    this transaction's snapshot) while the server folds the others.
    """
    conn.execute(sa.text("SET LOCAL work_mem = '256MB'"))  # the fold sorts the whole log once
    total = count_events(conn)
    with ThreadPoolExecutor(max_workers=1) as pool:
        if second is None:
            meta = pool.submit(_fold_meta_streams, conn)
            meta.result()  # on this connection, before the big query
        else:
            meta = pool.submit(_fold_meta_streams_on, second, conn.execute(
                sa.text("SELECT pg_export_snapshot()")).scalar_one())
        # The log lies in time order: one scan and an in-memory sort beat walking the stream index.
        columns = ", ".join(TRACKER_COLUMNS)
        conn.execute(sa.text("SET LOCAL enable_indexscan = off"))
        conn.execute(sa.text(f"""
            WITH states AS MATERIALIZED ({STATES_QUERY}),
                 versions AS (INSERT INTO {into['tracker_versions']} ({columns}) SELECT {columns} FROM states)
            INSERT INTO {into['tracker_state']} ({columns}) SELECT {columns} FROM states WHERE last"""))
        conn.execute(sa.text("SET LOCAL enable_indexscan = on"))
        folded = meta.result()
    meta_events = sum(len(states) for _, states in folded)
    progress(total - meta_events)
    rows = {into["tracker_state"]: [tracker_row(stream, states[-1]) for stream, states in folded],
            into["tracker_versions"]: [tracker_row(stream, state) for stream, states in folded for state in states]}
    for table, table_rows in rows.items():
        insert = sa.text(f"INSERT INTO {table} ({columns}) SELECT {columns} "
                         f"FROM jsonb_populate_recordset(NULL::{table}, CAST(:rows AS jsonb))")
        for start in range(0, len(table_rows), 5000):
            conn.execute(insert, {"rows": rows_json(table_rows[start:start + 5000])})
    progress(meta_events)
    conn.execute(sa.text(f"INSERT INTO {into['title_stats']} (title_id, {', '.join(STATS_COLUMNS)}) "
                         + title_stats_query(into["tracker_state"])))
    conn.execute(sa.text(f"INSERT INTO {into['user_activity']} (user_id, day, events) {_USER_ACTIVITY_QUERY}"))


def _fold_meta_streams(conn: sa.Connection) -> list[tuple[Stream, list[TrackerState]]]:
    """Every stream with meta entries and the state after each of its entries."""
    return [(stream, timeline(entries)) for stream, entries in stream_entries(conn.execute(_META_STREAM_EVENTS))]


def _fold_meta_streams_on(db: Database, snapshot: str) -> list[tuple[Stream, list[TrackerState]]]:
    with db.transaction(isolation_level="REPEATABLE READ", snapshot=snapshot) as conn:
        return _fold_meta_streams(conn)


def count_events(conn: sa.Connection) -> int:
    return conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()


def rebuild(conn: sa.Connection, *, progress: Progress = lambda events: None,
            second: Database | None = None) -> None:
    """Replace every projection with one recomputed from the log.

    Appends write their projections before they draw positions, so holding these table locks
    keeps the log still until the rebuild commits.
    """
    conn.execute(sa.text(f"LOCK TABLE {', '.join(PROJECTIONS)} IN ACCESS EXCLUSIVE MODE"))
    conn.execute(sa.text(f"TRUNCATE {', '.join(PROJECTIONS)}"))
    # Checking foreign keys row by row costs more than the fold: drop them, load, add them back.
    foreign_keys = conn.execute(sa.text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE contype = 'f' AND conrelid::regclass::text IN ({', '.join(repr(p) for p in PROJECTIONS)})")).all()
    for table, name, _ in foreign_keys:
        conn.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    build(conn, into={name: name for name in PROJECTIONS}, progress=progress, second=second)
    for table, name, definition in foreign_keys:
        conn.execute(sa.text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


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


def render_all_states(db: Database, *, progress: Progress = lambda states: None, users_per_batch: int = 500) -> int:
    """Render every missing or stale tracker object of tracker_versions (a rebuild leaves them out),
    a batch of users per transaction so that appends go on meanwhile; returns how many."""
    with db.read() as conn:
        last_user = conn.execute(sa.text("SELECT coalesce(max(user_id), 0) FROM tracker_versions")).scalar_one()
    rendered = 0
    for low in range(0, last_user + 1, users_per_batch):
        with db.transaction() as conn:
            count = render_states(conn, users=(low, low + users_per_batch))
        rendered += count
        progress(count)
    return rendered


# What verify compares: the projection's own columns (tracker_versions' tracker objects are a
# rendering of them, checked on their own).
_COLUMNS = {"tracker_versions": ", ".join(TRACKER_COLUMNS)}
_STALE_STATES = sa.text("""
    SELECT v.user_id, v.title_id, v.version FROM tracker_versions v JOIN titles t ON t.id = v.title_id
    WHERE v.state_revision = t.revision AND v.state_json::text <> rendered_state(v, t)::text
    ORDER BY 1, 2, 3
""")

_KEYS = {"tracker_state": ("user_id", "title_id"), "tracker_versions": ("user_id", "title_id", "version"),
         "title_stats": ("title_id",), "user_activity": ("user_id", "day")}
# title_stats keeps a row whose every count went back to 0; a rebuild has no row there.
_NONZERO = {"title_stats": "WHERE trackers <> 0 OR rating_count <> 0 OR completions <> 0",
            "tracker_state": "", "tracker_versions": "", "user_activity": ""}


def verify(conn: sa.Connection, *, progress: Progress = lambda events: None,
           second: Database | None = None) -> list[Difference]:
    """Every difference between the live projections and a rebuild from the same snapshot.

    Run it in a REPEATABLE READ transaction: the log and the projections commit together.
    """
    into = {name: f"rebuilt_{name}" for name in PROJECTIONS}
    for name, table in into.items():
        conn.execute(sa.text(f"CREATE TEMP TABLE {table} (LIKE {name} INCLUDING ALL) ON COMMIT DROP"))
    build(conn, into=into, progress=progress, second=second)
    differences = []
    for name, table in into.items():
        keys = _KEYS[name]
        rows = conn.execute(sa.text(f"""
            WITH live AS (SELECT {_COLUMNS.get(name, '*')} FROM {name} {_NONZERO[name]}),
                 rebuilt AS (SELECT {_COLUMNS.get(name, '*')} FROM {table} {_NONZERO[name]}),
                 only_live AS (SELECT * FROM live EXCEPT SELECT * FROM rebuilt),
                 only_rebuilt AS (SELECT * FROM rebuilt EXCEPT SELECT * FROM live)
            SELECT to_jsonb(l) AS live, to_jsonb(r) AS rebuilt
            FROM only_live l FULL JOIN only_rebuilt r USING ({', '.join(keys)})
            ORDER BY {', '.join(f'coalesce(l.{k}, r.{k})' for k in keys)}
        """)).all()
        for row in rows:
            side = row.live or row.rebuilt
            differences.append(Difference(name, " ".join(f"{k}={side[k]}" for k in keys), row.live, row.rebuilt))
    for row in conn.execute(_STALE_STATES):
        differences.append(Difference("tracker_versions", f"user_id={row.user_id} title_id={row.title_id} "
                                      f"version={row.version}", {"state_json": "as kept"},
                                      {"state_json": "rendered anew"}))
    return differences
