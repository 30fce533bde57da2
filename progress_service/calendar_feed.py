"""The secret calendar feed: an iCalendar file of the release dates of the titles a user tracks
and of their completions, at a URL that needs no bearer token (a calendar app cannot send one).

The URL's token is a credential. It is not kept anywhere: it is ``{user_id}-{mac}``, where mac is
the HMAC-SHA256, under the service's secret key, of 32 random bytes kept per user (the seed). A
keyed hash of a random value is the standard for lookup tokens: nothing in it can be guessed, so
no slow hash is needed; the database alone (a leaked backup) opens no feed, the key alone neither;
and the same URL can be shown again. A new seed ends the old URL (404 from then on).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone

import sqlalchemy as sa
from icalendar import Calendar, Event

from .db import Database
from .errors import NotFound

_TOKEN = re.compile(r"(?P<user_id>[1-9][0-9]{0,18})-(?P<mac>[A-Za-z0-9_-]{43})")

_SEED = sa.text("SELECT seed FROM calendar_feeds WHERE user_id = :user_id")
_NEW_SEED = sa.text("""
    INSERT INTO calendar_feeds (user_id, seed) VALUES (:user_id, :seed)
    ON CONFLICT (user_id) DO UPDATE SET seed = EXCLUDED.seed, created_at = now()
""")
_FIRST_SEED = sa.text("""
    INSERT INTO calendar_feeds (user_id, seed) VALUES (:user_id, :seed) ON CONFLICT (user_id) DO NOTHING
""")
# What the feed shows: the release of every title the user tracks that has a date, and each
# completion by everything known now (the moment an entry completed the tracker).
_RELEASES = sa.text("""
    SELECT t.id, t.name, t.kind, t.release_date FROM tracker_state s JOIN titles t ON t.id = s.title_id
    WHERE s.user_id = :user_id AND s.active AND t.release_date IS NOT NULL ORDER BY t.release_date, t.id
""")
_COMPLETIONS = sa.text("""
    SELECT DISTINCT ON (m.title_id, m.completed_at) m.title_id, t.name, m.completed_at
    FROM tracker_moments m JOIN titles t ON t.id = m.title_id
    WHERE m.user_id = :user_id AND m.known_until IS NULL AND m.active AND m.status = 'completed'
      AND m.completed_at = m.updated_at
    ORDER BY m.title_id, m.completed_at, m.version
""")


class CalendarFeeds:
    """Each user's feed: its token (made on first asking, replaced on renewal) and its file."""

    def __init__(self, db: Database, secret: str):
        self.db = db
        # a key of the feeds' own, from the service's secret key: bearer tokens and feeds never share one
        self._key = hashlib.sha256(b"progress-service calendar feed\0" + secret.encode()).digest()

    def token(self, user_id: int) -> str:
        """The user's feed token (made on first asking)."""
        with self.db.transaction() as conn:
            conn.execute(_FIRST_SEED, {"user_id": user_id, "seed": secrets.token_bytes(32)})
            return self._token(user_id, conn.execute(_SEED, {"user_id": user_id}).scalar_one())

    def renew(self, user_id: int) -> str:
        """A new feed token; the old one opens nothing from now on."""
        seed = secrets.token_bytes(32)
        with self.db.transaction() as conn:
            conn.execute(_NEW_SEED, {"user_id": user_id, "seed": seed})
        return self._token(user_id, seed)

    def feed(self, token: str) -> bytes:
        """The iCalendar file the token opens; NotFound for a token that opens none."""
        with self.db.read() as conn:
            user_id = self._owner(conn, token)
            releases = conn.execute(_RELEASES, {"user_id": user_id}).all()
            completions = conn.execute(_COMPLETIONS, {"user_id": user_id}).all()
        return calendar(releases, completions)

    def _owner(self, conn: sa.Connection, token: str) -> int:
        """The user whose feed the token opens; NotFound when it opens none."""
        found = _TOKEN.fullmatch(token)
        user_id = int(found["user_id"]) if found else 0
        seed = conn.execute(_SEED, {"user_id": user_id}).scalar() if 0 < user_id < 2**63 else None
        if seed is None or not hmac.compare_digest(self._token(user_id, seed), token):
            raise NotFound("There is no calendar feed at this address; it may have been replaced by a new one.")
        return user_id

    def _token(self, user_id: int, seed: bytes) -> str:
        mac = hmac.new(self._key, seed, hashlib.sha256).digest()
        return f"{user_id}-{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

def calendar(releases, completions) -> bytes:
    """The feed: an all-day event on each release date, a moment's event for each completion."""
    cal = Calendar()
    cal.add("prodid", "-//progress-service//calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "progress-service: releases and completions")
    stamp = datetime.now(timezone.utc)
    for title in releases:
        event = Event()
        event.add("uid", f"release-{title.id}@progress-service")
        event.add("dtstamp", stamp)
        event.add("summary", f"{title.name} comes out")
        event.add("dtstart", title.release_date)
        cal.add_component(event)
    for done in completions:
        event = Event()
        event.add("uid", f"completion-{done.title_id}-{done.completed_at:%Y%m%dT%H%M%S%fZ}@progress-service")
        event.add("dtstamp", stamp)
        event.add("summary", f"Finished {done.name}")
        event.add("dtstart", done.completed_at.astimezone(timezone.utc))
        cal.add_component(event)
    return cal.to_ical()
