"""user_activity: how many entries each user made on each day (UTC), for the summary's activity."""
from __future__ import annotations

from datetime import date, timezone

import sqlalchemy as sa

from ..db import Statement
from .change import Change

TABLE = "user_activity"
KEY = ("user_id", "day")

_ADD = sa.text("""
    INSERT INTO user_activity (user_id, day, events) VALUES (:user_id, :day, :events)
    ON CONFLICT (user_id, day) DO UPDATE SET events = user_activity.events + EXCLUDED.events
""")


def changes(change: Change) -> list[Statement]:
    days: dict[date, int] = {}
    for entry in change.entries:
        day = entry.occurred_at.astimezone(timezone.utc).date()
        days[day] = days.get(day, 0) + 1
    return [(_ADD, {"user_id": change.stream.user_id, "day": day, "events": count}) for day, count in days.items()]


def build(conn: sa.Connection, into: dict[str, str]) -> None:
    """Fill ``into['user_activity']`` from the log."""
    conn.execute(sa.text(f"""
        INSERT INTO {into[TABLE]} (user_id, day, events)
        SELECT user_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS events
        FROM events GROUP BY 1, 2 ORDER BY 1, 2"""))


ERASE = [sa.text("DELETE FROM user_activity WHERE user_id = :user_id")]

_PER_DAY = sa.text(
    "SELECT day, events FROM user_activity WHERE user_id = :user_id AND day BETWEEN :first AND :last")


def per_day(conn: sa.Connection, user_id: int, *, first: date, last: date) -> dict[date, int]:
    """The user's entries on each day from ``first`` to ``last`` that has any."""
    return dict(conn.execute(_PER_DAY, {"user_id": user_id, "first": first, "last": last}).all())
