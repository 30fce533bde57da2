"""A user's goals and their year in review: the definitions kept in ``goals`` (the user's own
settings, not a projection of the log), and every figure counted in SQL from the moments known
now (``tracker_moments`` rows with ``known_until IS NULL``) by when things occurred.

Each known-now moment is the tracker right after one entry, by everything known now, at the time
the entry occurred; what an entry did is the step from the moment before it on the same tracker:
- units: the progress it added; a new pass (or a fresh tracker after a removal) counts from 0,
  a removal adds nothing. A tracker's steps in a period add up to its progress at the period's
  end minus that at its start within a pass; a tracker that went back in a period adds 0, never
  less.
- completions: how many more times the tracker was completed (``times_completed``); the same
  rules, so a completion counts in the period it occurred in.
- entries: entries that changed the tracker (status, progress, rating, a note, a new pass), by
  everything known now, so a retracted entry, or one a rollback or correction left without
  effect, never counts.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .db import Database
from .domain.events import amount
from .domain.goals import Period, default_name, elapsed_share, periods
from .domain.vocabulary import KIND_WORDS, STATUSES, UNITS, a_kind, unit_plural
from .errors import GoalNotFound, InvalidChange


_COLUMNS = "id, user_id, name, measure, unit, kind, title_id, target, period, starts_on, ends_on"

# Every step of the user's trackers (module docstring), for the trackers a goal counts, in [start, end).
_STEPS = """
    steps AS (
        SELECT m.title_id, t.kind, t.unit, m.updated_at,
               trim_scale(CASE WHEN NOT m.active THEN 0
                               WHEN m.prev_active AND m.prev_pass = m.pass THEN m.progress - m.prev_progress
                               ELSE m.progress END) AS units,  -- 5, not 5.00 (numeric(12, 2) progress)
               CASE WHEN NOT m.active THEN 0
                    WHEN m.prev_active THEN m.times_completed - m.prev_completed
                    ELSE m.times_completed END AS completions,
               CASE WHEN m.prev_active IS NULL THEN m.active
                    ELSE (m.active, m.status, m.progress, m.rating, m.notes, m.pass, m.times_completed)
                         IS DISTINCT FROM (m.prev_active, m.prev_status, m.prev_progress, m.prev_rating,
                                           m.prev_notes, m.prev_pass, m.prev_completed) END AS changed,
               m.rating, m.prev_rating, m.status, m.active
        FROM (SELECT m.*, lag(m.active) OVER w AS prev_active, lag(m.status) OVER w AS prev_status,
                     lag(m.progress) OVER w AS prev_progress, lag(m.rating) OVER w AS prev_rating,
                     lag(m.notes) OVER w AS prev_notes, lag(m.pass) OVER w AS prev_pass,
                     lag(m.times_completed) OVER w AS prev_completed
              FROM tracker_moments m
              WHERE m.user_id = :user_id AND m.known_until IS NULL AND m.updated_at < CAST(:until AS timestamptz)
              WINDOW w AS (PARTITION BY m.title_id ORDER BY m.updated_at, m.version)) m
        JOIN titles t ON t.id = m.title_id
    )"""

_VALUES = sa.text(f"""
    WITH p AS (
        SELECT p.goal_id, p.idx, (p.start::timestamp AT TIME ZONE 'UTC') AS start_at,
               ((p.last + 1)::timestamp AT TIME ZONE 'UTC') AS end_at
        FROM jsonb_to_recordset(CAST(:periods AS jsonb)) AS p (goal_id bigint, idx integer, start date, last date)
    ), {_STEPS},
    per_title AS (
        SELECT p.goal_id, p.idx, greatest(0, sum(CASE g.measure WHEN 'units' THEN s.units
                                                                WHEN 'completions' THEN s.completions
                                                                ELSE s.changed::integer END)) AS value
        FROM p
        JOIN goals g ON g.user_id = :user_id AND g.id = p.goal_id
        JOIN steps s ON s.updated_at >= p.start_at AND s.updated_at < p.end_at
                    AND (g.unit IS NULL OR s.unit = g.unit) AND (g.kind IS NULL OR s.kind = g.kind)
                    AND (g.title_id IS NULL OR s.title_id = g.title_id)
        GROUP BY p.goal_id, p.idx, s.title_id
    )
    SELECT goal_id, idx, sum(value) AS value FROM per_title GROUP BY goal_id, idx
""")


class Goals:
    """The user's goals: kept definitions, values counted at read time."""

    def __init__(self, db: Database):
        self.db = db

    # -- writes ------------------------------------------------------------------------------------
    def create(self, user_id: int, body: dict[str, Any], *, today: date) -> dict[str, Any]:
        with self.db.transaction() as conn:
            goal = self._checked(conn, user_id, {"unit": None, "kind": None, "title_id": None, "ends_on": None,
                                                 "name": None, **body})
            row = conn.execute(sa.text(
                f"INSERT INTO goals (user_id, name, measure, unit, kind, title_id, target, period, starts_on, ends_on) "
                f"VALUES (:user_id, :name, :measure, :unit, :kind, :title_id, :target, :period, :starts_on, :ends_on) "
                f"RETURNING {_COLUMNS}"), {**goal, "user_id": user_id}).mappings().one()
            return self._with_values(conn, [dict(row)], today)[0]

    def update(self, user_id: int, goal_id: int, changes: dict[str, Any], *, today: date) -> dict[str, Any]:
        with self.db.transaction() as conn:
            current = self._row(conn, user_id, goal_id, lock=True)
            if any(changes.get(name, current[name]) != current[name]
                   for name in ("measure", "unit", "kind", "title_id", "target", "period")) and "name" not in changes \
                    and current["name"] == self._default_name(conn, current):
                changes = {**changes, "name": None}  # a name the service gave follows the goal
            if "unit" not in changes and ({"kind", "title_id", "measure"} & changes.keys()):
                changes = {**changes, "unit": None}  # the unit follows the new kind or title (or goes)
            goal = self._checked(conn, user_id, {**current, **changes})
            row = conn.execute(sa.text(
                f"UPDATE goals SET name = :name, measure = :measure, unit = :unit, kind = :kind, "
                f"title_id = :title_id, target = :target, period = :period, starts_on = :starts_on, "
                f"ends_on = :ends_on WHERE user_id = :user_id AND id = :id RETURNING {_COLUMNS}"),
                {**goal, "user_id": user_id, "id": goal_id}).mappings().one()
            return self._with_values(conn, [dict(row)], today)[0]

    def delete(self, user_id: int, goal_id: int) -> None:
        with self.db.transaction() as conn:
            gone = conn.execute(sa.text("DELETE FROM goals WHERE user_id = :user_id AND id = :id"),
                                {"user_id": user_id, "id": goal_id}).rowcount
        if not gone:
            raise _not_found(goal_id)

    # -- reads -------------------------------------------------------------------------------------
    def get(self, user_id: int, goal_id: int, *, today: date) -> dict[str, Any]:
        with self.db.transaction(isolation_level="REPEATABLE READ") as conn:
            return self._with_values(conn, [self._row(conn, user_id, goal_id)], today)[0]

    def list(self, user_id: int, *, today: date) -> list[dict[str, Any]]:
        with self.db.transaction(isolation_level="REPEATABLE READ") as conn:
            return standing(conn, user_id, today=today)

    def _row(self, conn: sa.Connection, user_id: int, goal_id: int, *, lock: bool = False) -> dict[str, Any]:
        row = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM goals WHERE user_id = :user_id AND id = :id"
                                   + (" FOR UPDATE" if lock else "")),
                           {"user_id": user_id, "id": goal_id}).mappings().first()
        if row is None:
            raise _not_found(goal_id)
        return dict(row)

    @staticmethod
    def _with_values(conn: sa.Connection, goals: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
        """Each goal with its current period and past ones, their values counted from the log."""
        spans = {goal["id"]: periods(goal["period"], goal["starts_on"], goal["ends_on"], today) for goal in goals}
        values = period_values(conn, goals[0]["user_id"] if goals else 0,
                               {goal_id: [current, *past] for goal_id, (current, past) in spans.items()})
        answers = []
        for goal in goals:
            current, past = spans[goal["id"]]
            counted = values[goal["id"]]
            target = goal["target"]
            expected = round(target * elapsed_share(current, today), 2)
            answers.append({**goal, "current": {
                "period_start": current.start, "period_end": current.end, "value": counted[0], "target": target,
                "percent": round(counted[0] * 100 / target, 1), "expected_by_now": expected,
                "on_track": counted[0] >= expected},
                "history": [{"period_start": p.start, "period_end": p.end, "value": v, "met": v >= target}
                            for p, v in zip(past, counted[1:])]})
        return answers

    # -- checks ------------------------------------------------------------------------------------
    def _checked(self, conn: sa.Connection, user_id: int, goal: dict[str, Any]) -> dict[str, Any]:
        """The goal's definition, checked whole (after a change too), with its name."""
        goal = {name: goal[name] for name in ("name", "measure", "unit", "kind", "title_id", "target", "period",
                                              "starts_on", "ends_on")}
        if goal["period"] == "once" and goal["ends_on"] is None:
            raise InvalidChange("A goal for once runs from starts_on to ends_on: say when it ends (ends_on).",
                                field="ends_on")
        if goal["ends_on"] is not None and goal["ends_on"] < goal["starts_on"]:
            raise InvalidChange(f"The goal would end ({goal['ends_on']:%-d %b %Y}) before it starts "
                                f"({goal['starts_on']:%-d %b %Y}); ends_on is on or after starts_on.", field="ends_on")
        title = None
        if goal["title_id"] is not None:
            title = conn.execute(sa.text(
                "SELECT t.name, t.kind, t.unit FROM titles t JOIN tracker_state s ON s.title_id = t.id "
                "WHERE s.user_id = :user_id AND t.id = :title_id AND s.active"),
                {"user_id": user_id, "title_id": goal["title_id"]}).mappings().first()
            if title is None:
                raise InvalidChange(f"You have no tracker on title {goal['title_id']}; a goal on one title is on "
                                    f"a title you track.", field="title_id")
            if goal["kind"] is not None and goal["kind"] != title["kind"]:
                raise InvalidChange(f"{title['name']} is {_a(title['kind'])}, not {_a(goal['kind'])}; leave kind "
                                    f"out or make it {title['kind']}.", field="kind")
        if goal["unit"] is not None:
            goal["unit"] = goal["unit"].strip()  # " km " is a custom title's km
        if goal["measure"] == "units":
            unit = title["unit"] if title else UNITS.get(goal["kind"]) if goal["kind"] else None
            if goal["unit"] is None and unit is None:
                raise InvalidChange(f"A goal in units says which unit it counts: unit is one of "
                                    f"{', '.join(UNITS.values())}, or a custom title's own word (km, hour, glass).",
                                    field="unit")
            if goal["unit"] is not None and unit is not None and goal["unit"] != unit:
                raise InvalidChange(f"{title['name'] if title else plural_kind(goal['kind'])} "
                                    f"{'is' if title else 'are'} counted in {unit_plural(unit)}, not "
                                    f"{unit_plural(goal['unit'])}.", field="unit")
            goal["unit"] = goal["unit"] or unit
        elif goal["unit"] is not None:
            raise InvalidChange(f"unit is for goals measured in units; a goal counting {goal['measure']} has none.",
                                field="unit")
        if goal["name"] is None:
            goal["name"] = default_name(goal["measure"], goal["target"], goal["period"], unit=goal["unit"],
                                        kind=goal["kind"], title_name=title["name"] if title else None)
        return goal

    def _default_name(self, conn: sa.Connection, goal: dict[str, Any]) -> str:
        title = None
        if goal["title_id"] is not None:
            title = conn.execute(sa.text("SELECT name FROM titles WHERE id = :id"), {"id": goal["title_id"]}).scalar()
        return default_name(goal["measure"], goal["target"], goal["period"], unit=goal["unit"], kind=goal["kind"],
                            title_name=title)

    # -- the year in review ------------------------------------------------------------------------
    def review(self, user_id: int, year: int, *, today: date) -> dict[str, Any]:
        first, last = date(year, 1, 1), date(year, 12, 31)
        with self.db.transaction(isolation_level="REPEATABLE READ") as conn:
            figures = conn.execute(_REVIEW, {"user_id": user_id, "first": first, "last": last,
                                             "until": _midnight_after(last)}).mappings().one()
            rows = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM goals WHERE user_id = :user_id ORDER BY id"),
                                {"user_id": user_id}).mappings().all()
            inside: dict[int, list[Period]] = {}
            for goal in rows:
                if goal["starts_on"] > last or (goal["ends_on"] is not None and goal["ends_on"] < first):
                    continue
                current, past = periods(goal["period"], goal["starts_on"], goal["ends_on"], min(today, last),
                                        limit=400)
                inside[goal["id"]] = [p for p in [current, *past] if p.start >= first and p.end <= last]
            values = period_values(conn, user_id, inside)
        counts = {status: 0 for status in STATUSES}
        counts.update(figures["counts"] or {})
        units = {unit: 0 for unit in UNITS.values()}
        units.update(figures["units"] or {})
        months = {row["month"]: row["completions"] for row in figures["months"] or []}
        streak = figures["streak"]
        goals_met = []
        for goal in rows:
            if goal["id"] not in inside:
                continue
            ended = [(p, v) for p, v in zip(inside[goal["id"]], values[goal["id"]])
                     if p.end < today or v >= goal["target"]]
            goals_met.append({"goal_id": goal["id"], "name": goal["name"], "periods": len(ended),
                              "met": sum(v >= goal["target"] for _, v in ended)})
        return {"user_id": user_id, "year": year, "counts": counts, "units": units,
                "completions_per_month": [months.get(month, 0) for month in range(1, 13)],
                "completions": sum(months.values()), "entries": figures["entries"],
                "top_rated": figures["top_rated"] or [],
                "longest_streak": {"days": streak["days"], "first_day": date.fromisoformat(streak["first_day"]),
                                   "last_day": date.fromisoformat(streak["last_day"])} if streak else
                                  {"days": 0, "first_day": None, "last_day": None},
                "goals_met": goals_met}


def standing(conn: sa.Connection, user_id: int, *, today: date) -> list[dict[str, Any]]:
    """Every goal of the user, each with its period holding ``today`` (and past ones), read on ``conn``."""
    rows = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM goals WHERE user_id = :user_id ORDER BY id"),
                        {"user_id": user_id}).mappings().all()
    return Goals._with_values(conn, [dict(row) for row in rows], today)


def _a(kind: str) -> str:
    """"a TV show", "an album"."""
    said = a_kind(kind)
    return said[0].lower() + said[1:]


def plural_kind(kind: str) -> str:
    """"Books", "TV shows": titles of a kind, at the start of a sentence."""
    word = KIND_WORDS[kind] + "s"
    return word[0].upper() + word[1:]


def _midnight_after(day: date) -> datetime:
    """The end of a day (UTC): nothing that occurred from then on counts in it."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=timezone.utc)


def _not_found(goal_id: int) -> GoalNotFound:
    return GoalNotFound(f"You have no goal {goal_id}.")


def period_values(conn: sa.Connection, user_id: int,
                  spans: dict[int, list[Period]]) -> dict[int, list[int | Decimal]]:
    """What each goal counts in each of its periods (in the order given)."""
    asked = [{"goal_id": goal_id, "idx": i, "start": p.start.isoformat(), "last": p.end.isoformat()}
             for goal_id, span in spans.items() for i, p in enumerate(span)]
    values = {goal_id: [0] * len(span) for goal_id, span in spans.items()}
    if asked:
        until = _midnight_after(max(p.end for span in spans.values() for p in span))
        for row in conn.execute(_VALUES, {"user_id": user_id, "periods": json.dumps(asked), "until": until}):
            values[row.goal_id][row.idx] = amount(row.value)  # 7.75 km of a custom title; whole otherwise
    return values


# The year [first, last] of one user, by occurred time (module docstring for the steps).
_REVIEW = sa.text(f"""
    WITH y AS (SELECT (CAST(:first AS date)::timestamp AT TIME ZONE 'UTC') AS start_at,
                      ((CAST(:last AS date) + 1)::timestamp AT TIME ZONE 'UTC') AS end_at),
    {_STEPS},
    in_year AS (SELECT s.* FROM steps s, y WHERE s.updated_at >= y.start_at AND s.updated_at < y.end_at),
    year_end AS (  -- each tracker as it stood at the end of the year
        SELECT DISTINCT ON (m.title_id) m.title_id, m.active, m.status, m.rating
        FROM tracker_moments m, y
        WHERE m.user_id = :user_id AND m.known_until IS NULL AND m.updated_at < y.end_at
        ORDER BY m.title_id, m.updated_at DESC, m.version DESC
    ),
    days AS (SELECT DISTINCT (updated_at AT TIME ZONE 'UTC')::date AS day FROM in_year WHERE changed),
    runs AS (SELECT min(day) AS first_day, max(day) AS last_day, count(*) AS days
             FROM (SELECT day, day - (row_number() OVER (ORDER BY day))::integer AS run FROM days) d GROUP BY run)
    SELECT
        (SELECT json_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM year_end WHERE active
                                                 GROUP BY status) c) AS counts,
        (SELECT json_object_agg(unit, n) FROM (SELECT unit, greatest(0, sum(units)) AS n FROM (
             SELECT unit, greatest(0, sum(units)) AS units FROM in_year GROUP BY title_id, unit) per
             GROUP BY unit) u) AS units,
        (SELECT json_agg(json_build_object('month', month, 'completions', n)) FROM (
             SELECT extract(month FROM updated_at AT TIME ZONE 'UTC')::integer AS month, sum(completions) AS n
             FROM in_year GROUP BY 1) c) AS months,
        (SELECT count(*) FROM in_year WHERE changed) AS entries,
        (SELECT json_agg(json_build_object('title_id', t.id, 'name', t.name, 'kind', t.kind, 'rating', e.rating)
                         ORDER BY e.rating DESC, t.name, t.id)
         FROM (SELECT e.* FROM year_end e
               WHERE e.active AND e.rating IS NOT NULL
                 AND EXISTS (SELECT FROM in_year s WHERE s.title_id = e.title_id AND s.rating IS NOT NULL
                                                     AND s.rating IS DISTINCT FROM s.prev_rating)
               ORDER BY e.rating DESC LIMIT 10) e
         JOIN titles t ON t.id = e.title_id) AS top_rated,
        (SELECT json_build_object('days', days, 'first_day', first_day, 'last_day', last_day)
         FROM runs ORDER BY days DESC, first_day DESC LIMIT 1) AS streak
""")

