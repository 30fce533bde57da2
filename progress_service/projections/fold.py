"""The fold of the whole log in SQL: the rebuild's set-based copy of ``domain.tracker``'s fold.

``domain.tracker`` is the source: it decides what every state is. Folding a million entries one
by one in Python takes minutes; this computes the state after every entry of every stream that
has no correction, retraction or rollback and was recorded in the order it occurred, in one sort
of the log, and a test on random histories keeps the two equal (docs/ARCHITECTURE.md, "What lives
in SQL"). The other streams — meta entries rewrite earlier ones, a backdated entry takes its place
among them — are folded in Python by ``domain.tracker.timeline``. So are the streams with a
decimal amount (a custom title's 5.25 km, or a 5.0 it reached): the packing of a (version,
progress) pair into one bigint below carries whole units only, and such streams are few. The test
is on the entry's own JSON, not on ``titles``, which a rebuild holds locked while it folds.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..domain.events import META_TYPES, Recorded
from ..domain.vocabulary import STATUSES
from ..domain.tracker import TrackerState, timeline
from ..eventstore import Stream, stream_entries

META = ", ".join(f"'{cls.type}'" for cls in META_TYPES)
_CODE_TO_STATUS = "(ARRAY[" + ",".join(f"'{status}'" for status in STATUSES) + "])"  # 1 planned ... 5 dropped

# The state after every entry of every stream with no meta entries, from one sort of the log by
# stream and version. In such a stream each entry's effect is its own: a progress entry records
# the progress it reached, so the status it sets follows from its own row. "The last value so far"
# of anything is a running max() over a packed (version, value) bigint (or a (version, time)
# array). A removal resets progress (0), status (planned), rating and total, as the fold does, and
# starts a new stretch ("since", the removals so far) for what counts per tracker: notes, start,
# completions, passes. A new pass (pass_started) is a change entry like a status: progress back to
# 0, in progress; the pass is 1 + the new passes so far in the stretch (one that is a stretch's
# first entry starts its first pass, as in the fold). ``last`` marks each stream's last state.
_PACK = 4294967296  # 2^32: the version above, the value below
_CARRIES_TOTAL = "('tracker_added', 'status_changed', 'progress_logged', 'pass_started')"
_MICROS = "(extract(epoch FROM occurred_at) * 1000000)::bigint"
_DECIMAL = "(type = 'progress_logged' AND concat(data ->> 'progress', ' ', data ->> 'delta') LIKE '%.%')"
STATES_QUERY = f"""
WITH entries AS (
    SELECT user_id, title_id, version, type, occurred_at, data ->> 'text' AS note,
           CASE WHEN type = 'progress_logged' THEN (data ->> 'progress')::numeric::int
                WHEN type IN ('tracker_added', 'status_changed') AND data ->> 'status' = 'completed'
                     THEN (data ->> 'total')::int
                WHEN type IN ('tracker_removed', 'pass_started') THEN 0 END AS progress,
           CASE WHEN type IN ('tracker_added', 'status_changed')
                     THEN array_position({_CODE_TO_STATUS}, data ->> 'status')
                WHEN type = 'tracker_removed' THEN 1
                WHEN type = 'pass_started' THEN 2
                WHEN type = 'progress_logged' AND (data ->> 'progress')::numeric::int >= (data ->> 'total')::int THEN 3
                WHEN type = 'progress_logged' AND (data ->> 'progress')::numeric::int > 0 THEN 2 END AS effect,
           CASE WHEN type IN {_CARRIES_TOTAL} THEN coalesce((data ->> 'total')::int + 1, 0)
                WHEN type = 'tracker_removed' THEN 0 END AS total_code,
           CASE WHEN type = 'rating_set' THEN ((data ->> 'rating')::numeric * 2)::int
                WHEN type IN ('rating_cleared', 'tracker_removed') THEN 0 END AS rating_code,
           coalesce(occurred_at < lag(occurred_at) OVER (PARTITION BY user_id, title_id ORDER BY version), false)
               AS backdated,
           type = 'pass_started' AND coalesce(lag(type) OVER (PARTITION BY user_id, title_id ORDER BY version),
                                              'tracker_removed') <> 'tracker_removed' AS new_pass,
           {_DECIMAL} AS in_decimals
    FROM events
),
sequenced AS (
    SELECT *, max(version) OVER stream AS last_version,
              bool_or(type IN ({META}) OR backdated OR in_decimals) OVER stream AS refolds,
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
       occurred_at AS updated_at, 1 + count(*) FILTER (WHERE new_pass) OVER stretch AS pass
FROM (SELECT *, effect = 3 AND previous_status <> 3 AS completes FROM sequenced WHERE NOT refolds) x
WINDOW stretch AS (PARTITION BY user_id, title_id, since ORDER BY version ROWS UNBOUNDED PRECEDING)
"""

# A stream is out of occurred order when some entry occurred before the one recorded just ahead of it.
_META_STREAM_EVENTS = sa.text(f"""
    WITH meta AS MATERIALIZED (
        SELECT user_id, title_id FROM events WHERE type IN ({META})
        UNION
        SELECT e.user_id, e.title_id FROM events e
        JOIN events p ON p.user_id = e.user_id AND p.title_id = e.title_id AND p.version = e.version - 1
        WHERE e.occurred_at < p.occurred_at
        UNION  -- decimal amounts: folded in Python (above)
        SELECT user_id, title_id FROM events WHERE {_DECIMAL})
    SELECT e.id, e.user_id, e.title_id, e.version, e.type, e.data, e.metadata, e.occurred_at, e.recorded_at
    FROM meta CROSS JOIN LATERAL (
        SELECT * FROM events WHERE user_id = meta.user_id AND title_id = meta.title_id) e
    ORDER BY e.user_id, e.title_id, e.version
""")


def meta_streams(conn: sa.Connection) -> list[tuple[Stream, list[Recorded], list[TrackerState]]]:
    """Every stream with meta entries, out of occurred order or with decimal amounts: its entries,
    and the state after each, folded in Python."""
    return [(stream, entries, timeline(entries)) for stream, entries in stream_entries(conn.execute(_META_STREAM_EVENTS))]
