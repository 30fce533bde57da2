"""tracker_state: each tracker as it is now, one row per user and title.

Written by every append (the last of the states its entries went through); a rebuild takes each
stream's last state from the fold. The board, one tracker, a user's summary and the write path's
load read it.
"""
from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from typing import Any, Sequence

import sqlalchemy as sa

from ..db import Statement, run_together
from ..domain.events import Recorded, amount
from ..domain.explain import reasons
from ..domain.tracker import NEW, TrackerState
from ..domain.vocabulary import KINDS, STATUSES, UNITS
from ..eventstore import Stream, stored_event
from . import title_stats, user_activity
from .change import COLUMNS, Change, TitleFacts, tracker_row

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


def from_stream(stream: Stream, entries: Sequence[Recorded], states: Sequence[TrackerState]) -> list[dict[str, Any]]:
    """Which of a stream's folded states this table keeps, as rows: the last."""
    return [tracker_row(stream, states[-1])]


FOLD_ROWS = "WHERE last"  # the same, for the rows of the set-based fold

ERASE = [sa.text("DELETE FROM tracker_state WHERE user_id = :user_id")]


# -- the write path's load ------------------------------------------------------------------------
_LOAD = sa.text(f"""
    SELECT t.id AS title_id, t.kind, t.total_units, t.revision, t.release_date, {', '.join('s.' + c for c in COLUMNS[2:])}
    FROM titles t LEFT JOIN tracker_state s ON s.user_id = :user_id AND s.title_id = t.id
    WHERE t.id = :title_id AND (t.owner_id IS NULL OR t.owner_id = :user_id)  -- another's own title is not there
""")


def load(stream: Stream) -> Statement:
    """The statement that reads a tracker's title and state, for ``loaded``."""
    return _LOAD, stream._asdict()


_LOAD_MANY = sa.text(f"""
    SELECT t.id AS title_id, t.kind, t.total_units, t.revision, t.release_date, {', '.join('s.' + c for c in COLUMNS[2:])}
    FROM titles t LEFT JOIN tracker_state s ON s.user_id = :user_id AND s.title_id = t.id
    WHERE t.id = ANY(CAST(:title_ids AS bigint[])) AND (t.owner_id IS NULL OR t.owner_id = :user_id)
""")


def load_many(streams: Sequence[Stream]) -> Statement:
    """The statement that reads the titles and states of several trackers of one user, for ``loaded_many``."""
    return _LOAD_MANY, {"user_id": streams[0].user_id, "title_ids": [s.title_id for s in streams]}


def loaded_many(rows: list[dict[str, Any]]) -> dict[int, tuple[TitleFacts, TrackerState]]:
    """Each title's facts and its tracker's state, by title id (a title that is not there is left out)."""
    return {row["title_id"]: loaded([row]) for row in rows}


def loaded(rows: list[dict[str, Any]]) -> tuple[TitleFacts | None, TrackerState]:
    """The title's facts (None: no such title) and the tracker's state (NEW before its first entry)."""
    if not rows:
        return None, NEW
    row = rows[0]
    title = TitleFacts(row["title_id"], row["kind"], row["total_units"], row["revision"], row["release_date"])
    return title, (NEW if row["version"] is None else state_from_row(row))


def state_from_row(row: dict[str, Any]) -> TrackerState:
    return TrackerState(
        active=row["active"], status=row["status"], progress=amount(row["progress"]), total=row["total"],
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
    return f"with_release(tracker_json({state}.user_id, {title}, {_STATE.format(s=state)}), {title})"


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
# Titles the user tracks that are still to come out, soonest first.
_UPCOMING = sa.text(f"""
    SELECT json_build_object('items', coalesce(json_agg({tracker_json_sql('s')} ORDER BY t.release_date, t.name, t.id),
                                               '[]'))::text AS body
    FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.active AND t.release_date > current_date
""")
# What to watch, read or listen to next: released planned titles and the ones in progress, most
# recently touched first, each with the unit that comes next (none once done, or without a total).
_NEXT_UNIT = """CASE WHEN coalesce(s.total, t.total_units) > s.progress AND t.kind <> 'custom'
                     THEN json_build_object('number', trim_scale(s.progress) + 1, 'total', coalesce(s.total, t.total_units),
                                            'unit', t.unit) END"""
_UP_NEXT = sa.text(f"""
    SELECT json_build_object('items', coalesce(json_agg(
               json_with({tracker_json_sql('s')}, json_build_object('next_unit', {_NEXT_UNIT}))
               ORDER BY s.updated_at DESC NULLS LAST, s.title_id), '[]'))::text AS body
    FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.active AND s.status IN ('planned', 'in_progress')
      AND (t.release_date IS NULL OR t.release_date <= current_date)
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


def upcoming(conn: sa.Connection, user_id: int) -> str:
    """The user's trackers on titles still to come out, soonest first (JSON ``{items}``)."""
    return run_together(conn, [(_UPCOMING, {"user_id": user_id})])[0]["body"]


def up_next(conn: sa.Connection, user_id: int) -> str:
    """The user's released planned and in-progress trackers, most recently touched first, each
    with ``next_unit`` (JSON ``{items}``)."""
    return run_together(conn, [(_UP_NEXT, {"user_id": user_id})])[0]["body"]


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
        by_kind.setdefault(row["kind"], {status: 0 for status in STATUSES})[row["status"]] += row["trackers"]
        units[row["unit"]] = amount(units.get(row["unit"], 0) + row["units"])  # and each custom title's unit
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


# -- the summary's figures explained ----------------------------------------------------------------
# Each figure of the summary: which of the user's active trackers (s, on its title t) make it, what
# each adds to it, and which of the tracker's reasons (domain.explain) stand behind its part. The
# conditions are the summary's own (_COUNTS: active trackers by status, unit, rating), over the
# same rows; a tracker at 0 units adds nothing to a sum of units and is no part of it.
_SUMMARY_PARTS = {
    **{f"counts.{status}": (f"s.status = '{status}'", "1", "status") for status in STATUSES},
    "units": ("t.unit = :unit AND s.progress <> 0", "s.progress", "progress"),  # units.<unit>, each unit's
    "ratings.count": ("s.rating IS NOT NULL", "1", "rating"),
    "ratings.average": ("s.rating IS NOT NULL", "s.rating", "rating"),
}
SUMMARY_FIGURES = (*(figure for figure in _SUMMARY_PARTS if figure.startswith("counts.")),
                   *(f"units.{unit}" for unit in UNITS.values()), "ratings.count", "ratings.average")


SUMMARY_FIGURE_PATTERN = (r"^(" + "|".join(re.escape(figure) for figure in SUMMARY_FIGURES)
                          + r"|units\.\S(.{0,18}\S)?)$")  # and units.<a custom title's unit>


def custom_units_figure(figure: str) -> str | None:
    """The custom unit of a figure ``units.<unit>`` ("units.km": "km"), or None when it names none:
    a custom title's unit is a word of 1 to 20 characters, as the summary's ``units`` gives it."""
    unit = figure.removeprefix("units.")
    return unit if unit != figure and 1 <= len(unit) <= 20 and unit == unit.strip() else None

# The parts, each with its tracker's whole stream (the reasons are the fold's) and every entry's
# sentence as the timeline says it; a correction also says what it made its entry count as.
_EXPLAIN_SUMMARY = {figure: sa.text(f"""
    WITH parts AS (
        SELECT s.title_id, t.name, t.kind, t.unit, {value} AS value
        FROM tracker_state s JOIN titles t ON t.id = s.title_id
        WHERE s.user_id = :user_id AND s.active AND {which}
    )
    SELECT p.name AS part_name, p.value AS part_value, e.id, e.user_id, e.title_id, e.version, e.type, e.data,
           e.metadata, e.occurred_at, e.recorded_at, entry_summary(e.type, e.data, v.progress, v.total, p.kind, p.unit) AS said,
           CASE WHEN e.type = 'entry_corrected'
                THEN correction_summary(e.data -> 'change', v.progress, v.total, p.kind, p.unit) END AS corrected_to
    FROM parts p
    JOIN events e ON e.user_id = :user_id AND e.title_id = p.title_id
    JOIN tracker_versions v ON v.user_id = e.user_id AND v.title_id = e.title_id AND v.version = e.version
    ORDER BY e.title_id, e.version
""") for figure, (which, value, _) in _SUMMARY_PARTS.items()}


def explain_summary(conn: sa.Connection, user_id: int, figure: str) -> dict[str, Any]:
    """Which trackers make one figure of the user's summary (one of SUMMARY_FIGURES), what each
    adds, and the entries behind each part; ``value`` is the figure as the summary gives it."""
    unit = figure.removeprefix("units.") if figure.startswith("units.") else None
    part = "units" if unit is not None else figure
    behind = _SUMMARY_PARTS[part][2]
    parts = []
    for title_id, group in itertools.groupby(conn.execute(_EXPLAIN_SUMMARY[part], {"user_id": user_id, "unit": unit}),
                                             key=lambda row: row.title_id):
        rows = list(group)
        history = [stored_event(row).entry for row in rows]
        why = reasons(history)
        entries = {"status": [why.status], "progress": list(why.progress), "rating": [why.rating]}[behind]
        said = {row.version: row for row in rows}
        parts.append({"title_id": title_id, "name": rows[0].part_name, "value": rows[0].part_value,
                      "entries": [entry.id for entry in entries if entry is not None],
                      "entry_details": [_entry_detail(said, entry, why.corrections.get(entry.version))
                                        for entry in entries if entry is not None]})
    parts.sort(key=lambda part: (-part["value"], part["name"].lower(), part["title_id"]))
    total = sum(part["value"] for part in parts)  # as the summary adds them up
    value = title_stats.average(total, len(parts)) if figure == "ratings.average" else amount(total)
    for part in parts:  # units as the summary gives them: 2, not the numeric column's 2.00
        part["value"] = float(part["value"]) if figure == "ratings.average" else amount(part["value"])
    return {"figure": figure, "value": value, "parts": parts}


def _entry_detail(said: dict[int, Any], entry: Recorded, correction: Recorded | None) -> dict[str, Any]:
    """An entry behind a part, in words: when it occurred and its sentence (what a correction made
    it count as, when one did)."""
    sentence = said[entry.version].said
    if correction is not None:
        sentence += f" (corrected to: {said[correction.version].corrected_to})"
    return {"id": entry.id, "occurred_at": entry.occurred_at, "summary": sentence}
