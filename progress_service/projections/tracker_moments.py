"""tracker_moments: the tracker at the moment each entry occurred (valid time), as known from one
version on (knowledge time): a bitemporal table.

Written by every append: an entry in occurred order adds its own moment, the tracker's state
right after it; a meta entry or a backdated one re-folds, closes every moment it changes
(``known_until``) and adds them as known from it (``domain.tracker.moments``). A rebuild takes
every in-order stream's states from the set-based fold, and the others from the same function
run over the whole stream. ``?at=`` (with ``?as_of=`` or ``?version=``) and the timeline in
occurred order read it with prepared lookups, so neither folds.
"""
from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any, Sequence

import sqlalchemy as sa

from ..db import Statement, run_together
from ..domain.events import Recorded
from ..domain.tracker import NEW, Moment, TrackerState, moments
from ..eventstore import REWRITES, Stream, check_range
from .change import COLUMNS, Change, rows_json, tracker_row

TABLE = "tracker_moments"
KEY = ("user_id", "title_id", "version", "known_from")  # version: the entry's
ROW_COLUMNS = (*COLUMNS, "known_from", "known_until")

_CLOSE = sa.text("""
    UPDATE tracker_moments m SET known_until = c.known_until
    FROM jsonb_to_recordset(CAST(:closed AS jsonb)) AS c (entry_version integer, known_until integer)
    WHERE m.user_id = :user_id AND m.title_id = :title_id AND m.version = c.entry_version
      AND m.known_until IS NULL
""")
_ADD = sa.text(f"""
    INSERT INTO tracker_moments ({', '.join(ROW_COLUMNS)})
    SELECT {', '.join(ROW_COLUMNS)} FROM jsonb_populate_recordset(NULL::tracker_moments, CAST(:moments AS jsonb))
""")


def moment_rows(stream: Stream, added: Sequence[Moment]) -> list[dict[str, Any]]:
    return [{**tracker_row(stream, m.state), "known_from": m.known_from, "known_until": m.known_until} for m in added]


def changes(change: Change) -> list[Statement]:
    closed, added = moments(change.history, change.entries, change.states, change.before)
    key = change.stream._asdict()
    statements: list[Statement] = []
    if closed:
        statements.append((_CLOSE, {**key, "closed": rows_json(
            [{"entry_version": v, "known_until": until} for v, until in closed.items()])}))
    return [*statements, (_ADD, {"moments": rows_json(moment_rows(change.stream, added))})]


def from_stream(stream: Stream, entries: Sequence[Recorded], states: Sequence[TrackerState]) -> list[dict[str, Any]]:
    """A re-folded stream's rows for the rebuild: its moments as each of its entries made them known."""
    _, added = moments((), entries, states, NEW)
    return moment_rows(stream, added)


# The same for the rows of the set-based fold, whose streams are all in occurred order.
FOLD_SELECT = {"known_from": "version", "known_until": "NULL::integer"}

ERASE = [sa.text("DELETE FROM tracker_moments WHERE user_id = :user_id")]


# -- reads ----------------------------------------------------------------------------------------
def tracker_at_sql(known_at: str) -> sa.TextClause:
    """The tracker at ``:at`` as known at the version ``known_at`` (a CTE ``k`` of known, last)
    finds: its latest moment by then among those known at that version."""
    return sa.text(known_at + """
        SELECT k.last, k.known, (
            SELECT CASE WHEN m.active THEN with_release(tracker_json(
                                               m.user_id, t, m.status, m.progress, m.total, m.rating, m.notes,
                                               m.started_at, m.completed_at, m.times_completed, k.known,
                                               m.updated_at, m.pass), t)::text END
            FROM tracker_moments m JOIN titles t ON t.id = m.title_id
            WHERE m.user_id = :user_id AND m.title_id = :title_id AND m.updated_at <= CAST(:at AS timestamptz)
              AND m.known_from <= k.known AND (m.known_until IS NULL OR m.known_until > k.known)
            ORDER BY m.updated_at DESC, m.version DESC LIMIT 1) AS body
        FROM k
    """)


# A page of the timeline in occurred order: a user's moments known now, newest first (ties by
# title and version), each with its entry; ``next_cursor`` names the last one's place.
_PAGE_CONDITIONS = {"title_id": "m.title_id = :title_id", "since": "m.updated_at >= :since",
                    "until": "m.updated_at < :until",
                    "cursor": "(m.updated_at, m.title_id, m.version) < ('epoch'::timestamptz + "
                              "CAST(:cursor_micros AS bigint) * interval '1 microsecond', :cursor_title, :cursor_version)"}
_ORDER = "{m}.updated_at DESC, {m}.title_id DESC, {m}.version DESC"
_KEY = "format('%s.%s.%s', (extract(epoch FROM (page.m).updated_at) * 1000000)::bigint, (page.m).title_id, (page.m).version)"


@functools.lru_cache(maxsize=None)
def page_sql(conditions: tuple[str, ...]) -> sa.TextClause:
    where = " AND ".join(["m.user_id = :user_id", "m.known_until IS NULL", *(_PAGE_CONDITIONS[c] for c in conditions)])
    return sa.text(f"""
        WITH page AS (SELECT m, e FROM tracker_moments m
                      JOIN events e ON e.user_id = m.user_id AND e.title_id = m.title_id AND e.version = m.version
                      WHERE {where} ORDER BY {_ORDER.format(m='m')} LIMIT :limit)
        SELECT json_build_object(
            'items', coalesce(json_agg(moment_item(page.e, page.m, v, t, rewrites.retracted_by, rewrites.corrected_by)
                                       ORDER BY {_ORDER.format(m='(page.m)')}), '[]'),
            'next_cursor', CASE WHEN count(*) = :limit THEN
                (array_agg({_KEY} ORDER BY {_ORDER.format(m='(page.m)').replace(' DESC', '')}))[1] END)::text AS body
        FROM page JOIN titles t ON t.id = (page.m).title_id
        JOIN tracker_versions v ON v.user_id = (page.m).user_id AND v.title_id = (page.m).title_id
                               AND v.version = (page.m).version {REWRITES}
    """)


def timeline(conn: sa.Connection, user_id: int, *, limit: int = 50, cursor: tuple[int, int, int] | None = None,
             **conditions: Any) -> str:
    """A page of the timeline in occurred order (JSON): each entry with its title, a sentence, and
    the tracker at the moment it occurred by everything known now; ``cursor`` (from a page's
    ``next_cursor``) and ``conditions`` (title_id, since, until) choose the page."""
    given = {key: value for key, value in conditions.items() if value is not None}
    check_range(given.get("since"), given.get("until"))
    if cursor is not None:
        given.update(cursor_micros=cursor[0], cursor_title=cursor[1], cursor_version=cursor[2])
    keys = tuple(sorted(key for key in (*conditions, "cursor") if key in given or f"{key}_micros" in given))
    return run_together(conn, [(page_sql(keys), {"user_id": user_id, "limit": limit, **given})])[0]["body"]


# A month of the user's calendar, every day of it (in UTC): the entries that occurred that day, as
# the timeline in occurred order gives them, in the order they happened; and the titles the user
# tracks that come out that day.
_MONTH = sa.text(f"""
    WITH zone AS (SELECT coalesce((SELECT timezone FROM notification_settings WHERE user_id = :user_id),
                                  'UTC') AS name),
         page AS (SELECT m, e FROM zone, tracker_moments m
                  JOIN events e ON e.user_id = m.user_id AND e.title_id = m.title_id AND e.version = m.version
                  WHERE m.user_id = :user_id AND m.known_until IS NULL
                    AND m.updated_at >= CAST(:first AS date)::timestamp AT TIME ZONE zone.name
                    AND m.updated_at < (CAST(:last AS date) + 1)::timestamp AT TIME ZONE zone.name),
         entries AS (
             SELECT ((page.m).updated_at AT TIME ZONE (SELECT name FROM zone))::date AS day,
                    json_agg(moment_item(page.e, page.m, v, t, rewrites.retracted_by, rewrites.corrected_by)
                             ORDER BY {_ORDER.format(m='(page.m)').replace(' DESC', '')}) AS items
             FROM page JOIN titles t ON t.id = (page.m).title_id
             JOIN tracker_versions v ON v.user_id = (page.m).user_id AND v.title_id = (page.m).title_id
                                    AND v.version = (page.m).version {REWRITES}
             GROUP BY 1),
         releases AS (
             SELECT t.release_date AS day,
                    json_agg(json_build_object('id', t.id, 'name', t.name, 'kind', t.kind, 'release_date', t.release_date)
                             ORDER BY t.name, t.id) AS titles
             FROM tracker_state s JOIN titles t ON t.id = s.title_id
             WHERE s.user_id = :user_id AND s.active AND t.release_date BETWEEN CAST(:first AS date) AND CAST(:last AS date)
             GROUP BY 1)
    SELECT json_build_object('month', CAST(:month AS text), 'timezone', (SELECT name FROM zone), 'days', json_agg(json_build_object(
               'date', d.day::date, 'entries', coalesce(entries.items, '[]'), 'releases', coalesce(releases.titles, '[]'))
               ORDER BY d.day))::text AS body
    FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS d (day)
    LEFT JOIN entries ON entries.day = d.day::date
    LEFT JOIN releases ON releases.day = d.day::date
""")


def month(conn: sa.Connection, user_id: int, first: date) -> str:
    """The user's calendar of the month that begins on ``first`` (JSON ``{month, timezone, days}``), every
    day, the days counted in the user's timezone (notification settings; UTC without them)."""
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return run_together(conn, [(_MONTH, {"user_id": user_id, "first": first, "last": last,
                                         "month": f"{first:%Y-%m}"})])[0]["body"]
