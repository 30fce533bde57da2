"""Reminders and digests by mail: what each user wants, what is due at a moment, the mails
themselves, and their delivery at most once per user, kind and period.

A daily reminder is due from its time (``at``, in the user's timezone) until the end of a day on
which the user has logged no entry (by when entries occurred, in that timezone); a weekly digest
from the Monday after its week, a monthly one from the first day after its month. Each mail is
claimed in ``notifications_sent`` (unique per user, kind and period) and the claim committed
before the mail goes out; a failed send removes the claim again and raises, so the queue retries
it. A sender that dies after its claim leaves the mail unsent rather than risk sending it twice
(docs/ARCHITECTURE.md, "Mail"). A release mail ("Out now") is due on the day a title the user
plans comes out and claims each title it names in ``releases_announced`` too, once per user and
title.
"""
from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jwt
import sqlalchemy as sa

from .config import Config
from .db import Database
from .domain.goals import counted_words
from .domain.vocabulary import amount_in, amount_text
from .errors import InvalidSettings
from .goals import standing
from .mail import SENDER, Mailer, bar_chart

log = logging.getLogger(__name__)

KINDS = ("daily_reminder", "weekly_digest", "monthly_digest", "release")
WORDS = {"daily_reminder": "daily reminder", "weekly_digest": "weekly digest", "monthly_digest": "monthly digest",
         "release": "release mail"}
_SETTING = {"daily_reminder": "reminder_enabled", "weekly_digest": "weekly_digest", "monthly_digest": "monthly_digest",
            "release": "releases"}
_DAILY = ("daily_reminder", "release")  # the kinds whose period is a day
DEFAULTS = {"timezone": "UTC", "reminder_enabled": False, "reminder_at": time(20, 0), "weekly_digest": False,
            "monthly_digest": False, "releases": False}


@dataclass(frozen=True)
class Due:
    """A mail that is due: a kind of mail for one user and one period."""

    user_id: int
    kind: str
    period: str  # "2026-12-03", "2026-W49", "2026-11" (a day for a reminder and a release mail)

    @property
    def key(self) -> str:
        return f"mail-{self.kind}-{self.period}-{self.user_id}"


# ---- settings ---------------------------------------------------------------------------------

_SETTINGS = sa.text("""
    SELECT u.email, s.timezone, s.reminder_enabled, s.reminder_at, s.weekly_digest, s.monthly_digest, s.releases
    FROM users u LEFT JOIN notification_settings s ON s.user_id = u.id WHERE u.id = :user_id
""")
_SAVE = sa.text("""
    INSERT INTO notification_settings (user_id, timezone, reminder_enabled, reminder_at, weekly_digest,
                                       monthly_digest, releases)
    VALUES (:user_id, :timezone, :reminder_enabled, :reminder_at, :weekly_digest, :monthly_digest, :releases)
    ON CONFLICT (user_id) DO UPDATE SET timezone = EXCLUDED.timezone, reminder_enabled = EXCLUDED.reminder_enabled,
        reminder_at = EXCLUDED.reminder_at, weekly_digest = EXCLUDED.weekly_digest,
        monthly_digest = EXCLUDED.monthly_digest, releases = EXCLUDED.releases
""")
_SAVE_EMAIL = sa.text("UPDATE users SET email = :email WHERE id = :user_id")


def _settings_row(conn: sa.Connection, user_id: int) -> dict[str, Any]:
    row = conn.execute(_SETTINGS, {"user_id": user_id}).mappings().one()
    return {**DEFAULTS, **{key: value for key, value in row.items() if value is not None}, "email": row["email"]}


def _as_answer(row: dict[str, Any]) -> dict[str, Any]:
    return {"email": row["email"], "timezone": row["timezone"],
            "daily_reminder": {"enabled": row["reminder_enabled"], "at": row["reminder_at"].strftime("%H:%M")},
            "weekly_digest": row["weekly_digest"], "monthly_digest": row["monthly_digest"],
            "releases": row["releases"]}


def settings(db: Database, user_id: int) -> dict[str, Any]:
    with db.read() as conn:
        return _as_answer(_settings_row(conn, user_id))


def change_settings(db: Database, user_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Apply the fields the body holds (the others keep their values) and answer the whole settings."""
    with db.transaction() as conn:
        row = _settings_row(conn, user_id)
        reminder = body.get("daily_reminder", {})
        row.update({key: body[key] for key in ("email", "timezone", "weekly_digest", "monthly_digest", "releases")
                    if key in body})
        if "enabled" in reminder:
            row["reminder_enabled"] = reminder["enabled"]
        if "at" in reminder:
            row["reminder_at"] = time.fromisoformat(reminder["at"])
        wants_mail = row["reminder_enabled"] or row["weekly_digest"] or row["monthly_digest"] or row["releases"]
        if wants_mail and not row["email"]:
            raise InvalidSettings("Mail needs an address: give an email to turn reminders or digests on.",
                                  field="email")
        conn.execute(_SAVE, {"user_id": user_id, **{key: row[key] for key in DEFAULTS}})
        conn.execute(_SAVE_EMAIL, {"user_id": user_id, "email": row["email"]})
        return _as_answer(row)


_SENT = sa.text("""
    SELECT kind, period, sent_at, subject FROM notifications_sent WHERE user_id = :user_id
    ORDER BY sent_at DESC, kind LIMIT :limit
""")


def sent(db: Database, user_id: int, limit: int) -> list[dict[str, Any]]:
    with db.read() as conn:
        return [dict(row) for row in conn.execute(_SENT, {"user_id": user_id, "limit": limit}).mappings()]


# ---- what is due ------------------------------------------------------------------------------

_WANTING = sa.text("""
    SELECT s.user_id, s.timezone, s.reminder_enabled, s.reminder_at, s.weekly_digest, s.monthly_digest, s.releases
    FROM notification_settings s JOIN users u ON u.id = s.user_id
    WHERE u.email IS NOT NULL AND (s.reminder_enabled OR s.weekly_digest OR s.monthly_digest OR s.releases)
""")
_ALREADY = sa.text("SELECT EXISTS (SELECT FROM notifications_sent WHERE user_id = :user_id AND kind = :kind "
                   "AND period = :period)")
# The entries a user has logged, as the timeline in occurred order knows them now (retracted ones gone).
_ENTRIES_IN = sa.text("""
    SELECT EXISTS (SELECT FROM tracker_moments WHERE user_id = :user_id AND known_until IS NULL
                   AND updated_at >= :start AND updated_at < :end)
""")
# The titles the user plans that came out in the week up to :today (the user's day) and were not
# announced to them yet: what a release mail of that day says is out now.
_OUT_NOW_SQL = """
    SELECT t.id, t.name, t.release_date FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.active AND s.status = 'planned'
      AND t.release_date BETWEEN CAST(:today AS date) - 6 AND CAST(:today AS date)
      AND NOT EXISTS (SELECT FROM releases_announced a WHERE a.user_id = s.user_id AND a.title_id = t.id)
"""
_OUT_NOW = sa.text(_OUT_NOW_SQL + " ORDER BY t.release_date, t.name")


def period_of(kind: str, local: datetime) -> tuple[str, date, date]:
    """The period a mail of this kind sent at this local time is about: (name, first day, day after)."""
    today = local.date()
    if kind in _DAILY:
        return today.isoformat(), today, today + timedelta(days=1)
    if kind == "weekly_digest":
        start = today - timedelta(days=today.weekday() + 7)
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}", start, start + timedelta(days=7)
    end = today.replace(day=1)
    start = (end - timedelta(days=1)).replace(day=1)
    return f"{start:%Y-%m}", start, end


def parse_period(kind: str, period: str) -> tuple[date, date]:
    if kind in _DAILY:
        start = date.fromisoformat(period)
        return start, start + timedelta(days=1)
    if kind == "weekly_digest":
        year, week = period.split("-W")
        start = date.fromisocalendar(int(year), int(week), 1)
        return start, start + timedelta(days=7)
    start = date.fromisoformat(f"{period}-01")
    return start, (start + timedelta(days=32)).replace(day=1)


def _bounds(zone: ZoneInfo, start: date, end: date) -> dict[str, datetime]:
    return {"start": datetime.combine(start, time(), zone), "end": datetime.combine(end, time(), zone)}


def find_due(db: Database, at: datetime) -> list[Due]:
    """Every mail due at ``at`` that has not been sent."""
    due: list[Due] = []
    with db.read() as conn:
        for row in conn.execute(_WANTING).mappings():
            zone = ZoneInfo(row["timezone"])
            local = at.astimezone(zone)
            for kind in KINDS:
                if not row[_SETTING[kind]]:
                    continue
                period, start, end = period_of(kind, local)
                if kind == "daily_reminder" and (local.time() < row["reminder_at"] or conn.execute(
                        _ENTRIES_IN, {"user_id": row["user_id"], **_bounds(zone, start, end)}).scalar()):
                    continue
                if kind == "release" and not conn.execute(_OUT_NOW, {"user_id": row["user_id"],
                                                                     "today": start}).first():
                    continue
                if not conn.execute(_ALREADY, {"user_id": row["user_id"], "kind": kind, "period": period}).scalar():
                    due.append(Due(row["user_id"], kind, period))
    return due


# ---- the mails --------------------------------------------------------------------------------

_ACCOUNT = sa.text("""
    SELECT u.username, u.email, s.timezone, s.reminder_enabled, s.weekly_digest, s.monthly_digest, s.releases
    FROM users u JOIN notification_settings s ON s.user_id = u.id WHERE u.id = :user_id
""")
# The period's entries by title: how many, the units done (progress at the period's end less at its
# start) and the completions, from the trackers at the moments their entries occurred.
_DIGEST = sa.text("""
    WITH known AS (
        SELECT m.title_id, m.updated_at, m.version, m.progress, m.times_completed FROM tracker_moments m
        WHERE m.user_id = :user_id AND m.known_until IS NULL AND m.updated_at < :end
    ), inside AS (SELECT * FROM known WHERE updated_at >= :start),
    last_in AS (SELECT DISTINCT ON (title_id) * FROM inside ORDER BY title_id, updated_at DESC, version DESC),
    before AS (SELECT DISTINCT ON (title_id) * FROM known WHERE updated_at < :start
               ORDER BY title_id, updated_at DESC, version DESC)
    SELECT t.name, t.unit, (SELECT count(*) FROM inside i WHERE i.title_id = l.title_id) AS entries,
           trim_scale(greatest(l.progress - coalesce(b.progress, 0), 0)) AS units,
           greatest(l.times_completed - coalesce(b.times_completed, 0), 0) AS completions
    FROM last_in l JOIN titles t ON t.id = l.title_id LEFT JOIN before b ON b.title_id = l.title_id
    ORDER BY entries DESC, t.name
""")
_DAYS = sa.text("""
    SELECT (updated_at AT TIME ZONE :timezone)::date AS day, count(*) AS entries FROM tracker_moments
    WHERE user_id = :user_id AND known_until IS NULL AND updated_at >= :start AND updated_at < :end GROUP BY 1
""")

# The releases of the titles the user tracks in [start, end) and in [end, after).
_RELEASES_AROUND = sa.text("""
    SELECT t.name, t.release_date, t.release_date >= :end_day AS coming FROM tracker_state s
    JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.active AND t.release_date >= :start_day AND t.release_date < :after
    ORDER BY t.release_date, t.name
""")


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def _title_line(title: dict[str, Any]) -> str:
    """ "Dune: 3 entries, 120 pages, completed" """
    return (f"{title['name']}: {_entries(title['entries'])}"
            + (f", {amount_in(title['units'], title['unit'])}" if title["units"] else "")
            + (", completed" if title["completions"] else ""))


def _goal_line(goal: dict[str, Any]) -> str:
    """ "20 books a year: 2 of 20 books, behind" """
    current = goal["current"]
    words = counted_words(goal["measure"], current["target"], unit=goal["unit"], kind=goal["kind"],
                          one_title=goal["title_id"] is not None)
    return (f"{goal['name']}: {amount_text(current['value'])} of {current['target']} {words}, "
            f"{'on track' if current['on_track'] else 'behind'}")


def _release_line(release: dict[str, Any]) -> str:
    return f"{release['name']}, {_day(release['release_date'])}"


def unsubscribe_token(secret: str, user_id: int, kind: str) -> str:
    return jwt.encode({"sub": str(user_id), "unsubscribe": kind}, secret, algorithm="HS256")


def compose(conn: sa.Connection, config: Config, secret: str, due: Due) -> EmailMessage | None:
    """The mail, or None when it is no longer due (the kind turned off, the address removed, an entry
    logged on the reminder's day, nothing left to announce)."""
    account = conn.execute(_ACCOUNT, {"user_id": due.user_id}).mappings().first()
    if account is None or not account["email"] or not account[_SETTING[due.kind]]:
        return None
    zone = ZoneInfo(account["timezone"])
    start, end = parse_period(due.kind, due.period)
    bounds = {"user_id": due.user_id, **_bounds(zone, start, end)}
    base = config.public_url or f"http://127.0.0.1:{config.port}"
    link = f"{base}/api/notifications/unsubscribe?" + urlencode(
        {"token": unsubscribe_token(secret, due.user_id, due.kind)})
    footer_text = f"You get this {WORDS[due.kind]} from progress-service. Stop it: {link}"
    footer_html = (f'<p style="color:#666;font-size:12px">You get this {WORDS[due.kind]} from progress-service. '
                   f'<a href="{html.escape(link)}">Unsubscribe</a></p>')
    message = EmailMessage()
    if due.kind == "daily_reminder":
        if conn.execute(_ENTRIES_IN, bounds).scalar():
            return None
        message["Subject"] = f"Nothing logged today ({_day(start)})"
        greeting = f"Hello {account['username']}, you have logged nothing today, {_day(start)}."
        message.set_content(f"{greeting}\nLog what you watched, read or heard at {base}/\n\n{footer_text}\n")
        message.add_alternative(f"<html><body><p>{html.escape(greeting)}</p><p><a href=\"{html.escape(base)}/\">"
                                f"Log what you watched, read or heard</a></p>{footer_html}</body></html>",
                                subtype="html")
    elif due.kind == "release":
        out = conn.execute(_OUT_NOW, {"user_id": due.user_id, "today": start}).mappings().all()
        if not out:
            return None
        message["Subject"] = "Out now: " + ", ".join(title["name"] for title in out)
        lines = [f"Out now: {title['name']} (since {_day(title['release_date'])})" for title in out]
        message.set_content(f"Hello {account['username']}, a title you plan has come out.\n\n" + "\n".join(lines)
                            + f"\n\nGo on at {base}/\n\n{footer_text}\n")
        message.add_alternative(f"<html><body><p>Hello {html.escape(account['username'])}, a title you plan has "
                                f"come out.</p><ul>{''.join(f'<li>{html.escape(line)}</li>' for line in lines)}</ul>"
                                f"{footer_html}</body></html>", subtype="html")
    else:
        _digest(conn, message, due, account, start, end, bounds, footer_text, footer_html)
    message["From"] = SENDER
    message["To"] = account["email"]
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = f"<{due.key}@progress-service>"
    message["List-Unsubscribe"] = f"<{link}>"
    return message


def _digest(conn, message, due, account, start, end, bounds, footer_text, footer_html) -> None:
    titles = [dict(row) for row in conn.execute(_DIGEST, bounds).mappings()]
    per_day = {row.day: row.entries for row in conn.execute(_DAYS, {**bounds, "timezone": account["timezone"]})}
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    label = "%a" if due.kind == "weekly_digest" else "%d"
    chart = bar_chart([(f"{day:{label}}".lstrip("0"), per_day.get(day, 0)) for day in days],
                      title=f"Entries per day, {_day(start)} to {_day(end - timedelta(days=1))}")
    entries = sum(title["entries"] for title in titles)
    completions = sum(title["completions"] for title in titles)
    units: dict[str, int] = {}
    for title in titles:
        units[title["unit"]] = units.get(title["unit"], 0) + title["units"]
    span = (f"the week of {_day(start)}" if due.kind == "weekly_digest" else f"{start:%B %Y}")
    message["Subject"] = f"Your {'week' if due.kind == 'weekly_digest' else 'month'}: {_entries(entries)}, {span}"
    unit_words = ", ".join(amount_in(count, unit) for unit, count in units.items() if count) or "no units"
    lines = [f"Hello {account['username']}, here is {span}.", "",
             f"Entries: {entries}", f"Units: {unit_words}", f"Completions: {completions}", ""]
    lines += [f"- {_title_line(title)}" for title in titles] or ["Nothing was logged."]
    # the goals whose period holds the digest's last day, counted as the goals' route counts them
    goals = [goal for goal in standing(conn, due.user_id, today=end - timedelta(days=1))
             if goal["current"]["period_start"] < end and goal["current"]["period_end"] >= start]
    after = end + timedelta(days=7) if due.kind == "weekly_digest" else (end + timedelta(days=32)).replace(day=1)
    releases = [dict(row) for row in conn.execute(_RELEASES_AROUND, {"user_id": due.user_id, "start_day": start,
                                                                     "end_day": end, "after": after}).mappings()]
    next_span = "next week" if due.kind == "weekly_digest" else f"in {end:%B %Y}"
    sections = [("Goals", [_goal_line(goal) for goal in goals]),
                ("Out in this period", [_release_line(r) for r in releases if not r["coming"]]),
                (f"Coming out {next_span}", [_release_line(r) for r in releases if r["coming"]])]
    sections = [(heading, items) for heading, items in sections if items]
    for heading, items in sections:
        lines += ["", f"{heading}:"] + [f"- {item}" for item in items]
    message.set_content("\n".join(lines) + f"\n\n{footer_text}\n")
    items = "".join(f"<li>{html.escape(_title_line(title))}</li>" for title in titles)
    more = "".join(f"<h3>{html.escape(heading)}</h3><ul>{''.join(f'<li>{html.escape(item)}</li>' for item in items)}"
                   f"</ul>" for heading, items in sections)
    message.add_alternative(
        f"<html><body><h2>{html.escape(span[0].upper() + span[1:])}</h2>"
        f"<p>{_entries(entries)} · {html.escape(unit_words)} · {completions} completed</p>"
        f'<p><img src="cid:activity" alt="Entries per day" width="560" height="220"></p>'
        f"<ul>{items or '<li>Nothing was logged.</li>'}</ul>{more}{footer_html}</body></html>", subtype="html")
    message.get_payload()[1].add_related(chart, maintype="image", subtype="svg+xml", cid="<activity>",
                                         filename="activity.svg")


# ---- delivery ---------------------------------------------------------------------------------

_CLAIM = sa.text("""
    INSERT INTO notifications_sent (user_id, kind, period, subject) VALUES (:user_id, :kind, :period, :subject)
    ON CONFLICT DO NOTHING RETURNING sent_at
""")
_RELEASE = sa.text("DELETE FROM notifications_sent WHERE user_id = :user_id AND kind = :kind AND period = :period "
                   "AND delivered_at IS NULL")
# A release mail claims each title it announces too (once per user and title, whatever the day):
# senders for one user take turns, so a second one reads the first one's claims.
_ONE_ANNOUNCER = sa.text("SELECT pg_advisory_xact_lock(hashtext('progress-service release mail'), "
                         "CAST(:user_id AS integer))")
_ANNOUNCE = sa.text("INSERT INTO releases_announced (user_id, title_id, period) SELECT :user_id, id, :period FROM ("
                    + _OUT_NOW_SQL + ") out ON CONFLICT DO NOTHING")
_UNANNOUNCE = sa.text("DELETE FROM releases_announced WHERE user_id = :user_id AND period = :period")
_DELIVERED = sa.text("UPDATE notifications_sent SET delivered_at = now() WHERE user_id = :user_id AND kind = :kind "
                     "AND period = :period")


def deliver(db: Database, mailer: Mailer, config: Config, secret: str, due: Due) -> EmailMessage | None:
    """Send one due mail at most once: the message, or None when it was sent already or is no
    longer due. A send that fails gives the claim up and raises (the queue retries it)."""
    key = {"user_id": due.user_id, "kind": due.kind, "period": due.period}
    with db.transaction() as conn:
        if due.kind == "release":
            conn.execute(_ONE_ANNOUNCER, key)
        message = compose(conn, config, secret, due)
        if message is None or conn.execute(_CLAIM, {**key, "subject": message["Subject"]}).first() is None:
            return None
        if due.kind == "release":
            conn.execute(_ANNOUNCE, {**key, "today": parse_period(due.kind, due.period)[0]})
    try:
        mailer.send(message)
    except Exception as error:
        log.warning("the %s of %s for user %d to %s was not sent (%s: %s); it will be tried again",
                    WORDS[due.kind], due.period, due.user_id, message["To"], type(error).__name__, error)
        with db.transaction() as conn:
            conn.execute(_RELEASE, key)
            if due.kind == "release":
                conn.execute(_UNANNOUNCE, key)
        raise
    with db.transaction() as conn:
        conn.execute(_DELIVERED, key)
    return message


def describe(due: Due, message: EmailMessage) -> str:
    """One line for an operator: what went to whom."""
    return f"sent the {WORDS[due.kind]} for {due.period} to {message['To']}: {message['Subject']}"


_UNSUBSCRIBE = {kind: sa.text(f"UPDATE notification_settings SET {column} = false WHERE user_id = :user_id")
                for kind, column in _SETTING.items()}


def unsubscribe(db: Database, secret: str, token: str) -> str | None:
    """Turn off the kind of mail a link's token names; the kind in words, or None for a bad token."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "unsubscribe"]})
        user_id, kind = int(claims["sub"]), claims["unsubscribe"]
    except (jwt.PyJWTError, TypeError, ValueError):
        return None
    if kind not in _UNSUBSCRIBE:
        return None
    with db.transaction() as conn:
        conn.execute(_UNSUBSCRIBE[kind], {"user_id": user_id})
    return WORDS[kind]
