"""title_stats: what the active trackers of each title add up to (by status, ratings, completions).

An append adds what its tracker's change moved (``stats_delta``, only when something moved); a
rebuild and an erasure count the same from tracker_state in SQL (``counted_from``). The catalog's
sorts and the title and kind reports read it.
"""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from ..db import Statement
from ..domain.tracker import TrackerState
from ..domain.vocabulary import KINDS, STATUSES
from ..errors import NotFound, TitleNotFound
from .change import Change

TABLE = "title_stats"
KEY = ("title_id",)
# A row whose every count went back to 0 stays; a rebuild has no row there.
COMPARED_ROWS = "WHERE trackers <> 0 OR rating_count <> 0 OR completions <> 0"

STATUS_COLUMNS = STATUSES
RATING_COLUMNS = tuple(f"rating_{r // 2}_{5 * (r % 2)}" for r in range(1, 11))  # rating_0_5 ... rating_5_0
COLUMNS = ("trackers", *STATUS_COLUMNS, "rating_count", "rating_sum", *RATING_COLUMNS,
           "completions", "seconds_to_complete")


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


_ADD = sa.text(f"""
    INSERT INTO title_stats (title_id, {', '.join(COLUMNS)})
    SELECT CAST(:title_id AS bigint), {', '.join('d.' + c for c in COLUMNS)}
    FROM jsonb_populate_record(NULL::title_stats, CAST(:delta AS jsonb)) d
    ON CONFLICT (title_id) DO UPDATE SET
        {', '.join(f'{c} = title_stats.{c} + EXCLUDED.{c}' for c in COLUMNS)}
""")


def changes(change: Change) -> list[Statement]:
    delta = stats_delta(change.before, change.after)
    if not delta:  # most entries change no title figure; skipping them keeps popular titles' rows cool
        return []
    return [(_ADD, {"title_id": change.stream.title_id,
                    "delta": json.dumps({column: delta.get(column, 0) for column in COLUMNS})})]


def counted_from(trackers: str) -> str:
    """title_stats rows (by title) aggregated from the tracker rows of ``trackers``: in SQL, the
    same counting as ``contribution`` (docs/ARCHITECTURE.md, "What lives in SQL")."""
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


def build(conn: sa.Connection, into: dict[str, str]) -> None:
    """Fill ``into['title_stats']`` from the rebuilt tracker_state."""
    conn.execute(sa.text(f"INSERT INTO {into[TABLE]} (title_id, {', '.join(COLUMNS)}) "
                         + counted_from(into["tracker_state"])))


# Erasing a user takes what their trackers added away again. The table lock waits for appends in
# flight and holds new ones back until the erasure commits, so exactly that is taken.
ERASE = [sa.text("LOCK TABLE tracker_state IN SHARE ROW EXCLUSIVE MODE"), sa.text(f"""
    UPDATE title_stats s SET {', '.join(f'{c} = s.{c} - mine.{c}' for c in COLUMNS)}
    FROM ({counted_from("(SELECT * FROM tracker_state WHERE user_id = :user_id) AS t")}) AS mine
    WHERE s.title_id = mine.title_id
""")]

FORGET_TITLE = sa.text("DELETE FROM title_stats WHERE title_id = :title_id")  # a title deleted from the catalog


# -- reads: the reports ----------------------------------------------------------------------------
AVERAGE_SQL = "s.rating_sum / nullif(s.rating_count, 0)"
_TOP_TITLES = 10

_REPORT_COLUMNS = ', '.join(f'coalesce(s.{c}, 0) AS {c}' for c in COLUMNS)
_TITLE_REPORT = sa.text(f"""
    SELECT t.id AS title_id, {_REPORT_COLUMNS}
    FROM titles t LEFT JOIN title_stats s ON s.title_id = t.id WHERE t.id = :title_id AND t.owner_id IS NULL
""")
_KIND_REPORT = sa.text(f"""
    SELECT {', '.join(f'coalesce(sum(s.{c}), 0) AS {c}' for c in COLUMNS)},
           (SELECT coalesce(json_agg(json_build_object('id', top.id, 'name', top.name, 'trackers', top.trackers,
                                                       'rating_sum', top.rating_sum, 'rating_count', top.rating_count)
                                     ORDER BY top.rank), '[]')
            FROM (SELECT t.id, t.name, s.trackers, s.rating_sum, s.rating_count,
                         row_number() OVER (ORDER BY s.trackers DESC, {AVERAGE_SQL} DESC NULLS LAST,
                                            lower(t.name), t.id) AS rank
                  FROM titles t JOIN title_stats s ON s.title_id = t.id
                  WHERE t.kind = :kind AND t.owner_id IS NULL AND s.trackers > 0
                  ORDER BY rank LIMIT {_TOP_TITLES}) AS top) AS top_titles
    FROM titles t LEFT JOIN title_stats s ON s.title_id = t.id WHERE t.kind = :kind AND t.owner_id IS NULL
""")


def average(rating_sum: Any, count: int) -> float | None:
    return round(float(rating_sum) / count, 2) if count else None


def _figures(row: Any) -> dict[str, Any]:
    """A report's figures from title_stats columns (of one title, or summed over many)."""
    trackers, completions = row["trackers"], row["completions"]
    return {
        "trackers": trackers,
        "counts": {status: row[status] for status in STATUS_COLUMNS},
        "completion_rate": round(row["completed"] / trackers, 4) if trackers else None,
        "average_rating": average(row["rating_sum"], row["rating_count"]),
        "rating_count": row["rating_count"],
        "rating_histogram": {column: row[column] for column in RATING_COLUMNS},  # the schema names them "0.5" ...
        "average_days_to_complete": round(float(row["seconds_to_complete"]) / completions / 86400, 2)
                                    if completions else None,
    }


def title_report(conn: sa.Connection, title_id: int) -> dict[str, Any]:
    row = conn.execute(_TITLE_REPORT, {"title_id": title_id}).mappings().first()
    if row is None:
        raise TitleNotFound(f"There is no title {title_id} in the catalog.")
    return {"title_id": title_id, **_figures(row)}


def kind_report(conn: sa.Connection, kind: str) -> dict[str, Any]:
    """The figures of every title of a kind together, and its most tracked titles."""
    if kind not in KINDS:
        raise NotFound(f"There is no kind {kind!r}; the kinds are {', '.join(KINDS)}.")
    row = conn.execute(_KIND_REPORT, {"kind": kind}).mappings().one()
    top_titles = [{"id": top["id"], "name": top["name"], "trackers": top["trackers"],
                   "average_rating": average(top["rating_sum"], top["rating_count"])} for top in row["top_titles"]]
    return {"kind": kind, **_figures(row), "top_titles": top_titles}


# -- a title's figures explained ------------------------------------------------------------------
# Each figure of a title's report: which of its active trackers (k) make it (the conditions of
# counted_from), and what groups them into parts, each part one value and how many trackers have it:
# a status by the units done (where they stand), ratings by the rating given, the completion rate
# by completed (1) or not (0). The counts add up to the figure's count; an average or a rate is
# Σ value·count / Σ count.
_REPORT_PARTS = {
    **{f"counts.{status}": (f"k.status = '{status}'", "trim_scale(k.progress)") for status in STATUS_COLUMNS},
    "rating_count": ("k.rating IS NOT NULL", "k.rating"),
    "average_rating": ("k.rating IS NOT NULL", "k.rating"),
    "completion_rate": ("true", "(k.status = 'completed')::integer"),
}
REPORT_FIGURES = tuple(_REPORT_PARTS)

# The report's own row and the parts, in one statement: one snapshot, so they cannot disagree.
_EXPLAIN_REPORT = {figure: sa.text(f"""
    SELECT t.id AS title_id, {_REPORT_COLUMNS},
           (SELECT coalesce(json_agg(json_build_object('value', p.value, 'count', p.count, 'user_ids', p.user_ids)
                                     ORDER BY p.value DESC), '[]')
            FROM (SELECT {value} AS value, count(*) AS count, array_agg(k.user_id ORDER BY k.user_id) AS user_ids
                  FROM tracker_state k WHERE k.title_id = t.id AND k.active AND {which} GROUP BY 1) AS p) AS parts
    FROM titles t LEFT JOIN title_stats s ON s.title_id = t.id WHERE t.id = :title_id AND t.owner_id IS NULL
""") for figure, (which, value) in _REPORT_PARTS.items()}


def explain_report(conn: sa.Connection, title_id: int, figure: str, *, with_users: bool) -> dict[str, Any]:
    """Which trackers make one figure of a title's report (one of REPORT_FIGURES), as parts of one
    value and a count each; ``value`` is the figure as the report gives it. With ``with_users`` (an
    admin asks), each part also names its users."""
    row = conn.execute(_EXPLAIN_REPORT[figure], {"title_id": title_id}).mappings().first()
    if row is None:
        raise TitleNotFound(f"There is no title {title_id} in the catalog.")
    figures = _figures(row)
    group, _, name = figure.partition(".")
    value = figures[group][name] if name else figures[group]
    parts = [{"value": part["value"], "count": part["count"], **({"user_ids": part["user_ids"]} if with_users else {})}
             for part in row["parts"]]
    return {"figure": figure, "value": value, "parts": parts}
