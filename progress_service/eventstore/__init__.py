"""The event store: one append-only log in PostgreSQL.

Ordering: every append takes one transaction-scoped advisory lock (the *log lock*) right before
it draws positions from the sequence, and holds it until commit. So commits happen in position
order, and a reader of ``events after P`` can never see P+2 before P+1 commits: nothing is
skipped. Appends to one stream are serialized first by a per-stream advisory lock, taken before
the caller reads the state it decides on.
"""
from __future__ import annotations

import functools
import itertools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Iterator, NamedTuple, Sequence

import sqlalchemy as sa

from ..db import Statement, run_together
from ..domain.events import Recorded, event_from
from ..errors import InvalidChange

LOG_LOCK = (0x70726f67, 1)  # (class, key) of the two-int advisory lock space; streams use the bigint one


class Stream(NamedTuple):
    """One tracker's stream: a user's events on one title."""

    user_id: int
    title_id: int

    @property
    def name(self) -> str:
        return f"tracker-{self.user_id}-{self.title_id}"


@dataclass(frozen=True)
class StoredEvent:
    """An event read from the whole log, with its stream."""

    stream: Stream
    entry: Recorded
    metadata: dict[str, Any]

    @property
    def id(self) -> int:
        return self.entry.id  # type: ignore[return-value]


_LOCK_STREAM = sa.text("SELECT pg_advisory_xact_lock((CAST(:user_id AS bigint) << 32) # CAST(:title_id AS bigint))")

_LOG_LOCK = sa.text("SELECT pg_advisory_xact_lock(:lock_class, :lock_key)")

_APPEND = sa.text("""
    SELECT id, version, recorded_at
    FROM append_events(:user_id, :title_id, :expected_version, CAST(:events AS jsonb), CAST(:metadata AS jsonb))
""")

_APPENDED = sa.text("""
    SELECT id, version, recorded_at FROM events
    WHERE user_id = :user_id AND title_id = :title_id AND version > :expected_version ORDER BY version
""")

_COLUMNS = "id, user_id, title_id, version, type, data, metadata, occurred_at, recorded_at"

_READ_STREAM = sa.text(f"""
    SELECT {_COLUMNS} FROM events WHERE user_id = :user_id AND title_id = :title_id
      AND (CAST(:up_to AS integer) IS NULL OR version <= :up_to)
    ORDER BY version
""")

_READ_ALL = sa.text(f"SELECT {_COLUMNS} FROM events WHERE id > :after ORDER BY id LIMIT :limit")

_READ_ENTRY = sa.text(f"SELECT {_COLUMNS} FROM events WHERE id = :id")


def stream_lock(stream: Stream) -> Statement:
    """Serialize writers of one stream until the transaction ends (take it before reading state)."""
    return _LOCK_STREAM, stream._asdict()


def append_statements(stream: Stream, entries: Sequence[Recorded], *, expected_version: int,
                      metadata: dict[str, Any] | None = None) -> list[Statement]:
    """The statements that append ``entries`` (numbered from ``expected_version + 1``) to
    ``stream``: the log lock, then the append, which raises VersionConflict when the stream is not
    at ``expected_version``. Take the stream lock first in the same transaction, and send COMMIT
    in the same round trip (then ``positions``), so that the log lock is never held across a round
    trip to the client."""
    if [e.version for e in entries] != list(range(expected_version + 1, expected_version + 1 + len(entries))):
        raise ValueError("entries must be numbered consecutively after the expected version")
    payload = [{"version": e.version, "type": e.event.type, "data": e.event.data(),
                "occurred_at": e.occurred_at.isoformat()} for e in entries]
    params = {**stream._asdict(), "expected_version": expected_version,
              "events": json.dumps(payload), "metadata": json.dumps(metadata or {})}
    return [(_LOG_LOCK, {"lock_class": LOG_LOCK[0], "lock_key": LOG_LOCK[1]}), (_APPEND, params)]


def positions(stream: Stream, *, expected_version: int) -> Statement:
    """The statement that reads back, after the commit, the positions an append made final."""
    return _APPENDED, {**stream._asdict(), "expected_version": expected_version}


def appended(entries: Sequence[Recorded], rows: Sequence[dict[str, Any]]) -> list[Recorded]:
    """``entries`` with the positions and record times the log gave them (rows of ``positions``, or of the append itself)."""
    stored = {row["version"]: row for row in rows}
    return [Recorded(version=e.version, event=e.event, occurred_at=e.occurred_at,
                     id=stored[e.version]["id"], recorded_at=stored[e.version]["recorded_at"]) for e in entries]


def append(conn: sa.Connection, stream: Stream, entries: Sequence[Recorded], *, expected_version: int,
           metadata: dict[str, Any] | None = None) -> list[Recorded]:
    """Append ``entries`` in the caller's transaction (``Database.transaction``), with no
    projection: for tools and tests of the log alone (the service writes through
    ``store.Writing``). Takes the stream lock, then the log lock, which is held until the caller
    commits."""
    if not entries:
        return []
    return appended(entries, run_together(conn, [
        stream_lock(stream), *append_statements(stream, entries, expected_version=expected_version,
                                                metadata=metadata)]))


def read_stream(conn: sa.Connection, stream: Stream, *, up_to: int | None = None) -> list[Recorded]:
    """A stream's entries in version order (up to version ``up_to`` when given)."""
    return [stored_event(row).entry for row in conn.execute(_READ_STREAM, {**stream._asdict(), "up_to": up_to})]


def read_entry(conn: sa.Connection, event_id: int) -> StoredEvent | None:
    row = conn.execute(_READ_ENTRY, {"id": event_id}).first()
    return stored_event(row) if row else None


def read_all(conn: sa.Connection, *, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
    """Events with a position after ``after``, in position order: a follower's next page."""
    return [stored_event(row) for row in conn.execute(_READ_ALL, {"after": after, "limit": limit})]


_TITLES_RECORDED_BETWEEN = sa.text("""
    SELECT coalesce(array_agg(DISTINCT title_id ORDER BY title_id), '{}') AS title_ids, clock_timestamp() AS now
    FROM events WHERE user_id = :user_id AND recorded_at >= :since AND recorded_at < :until
                  AND (CAST(:title_id AS bigint) IS NULL OR title_id = :title_id)
""")

_UNDO_ENTRIES = sa.text("""
    SELECT title_id, version FROM events
    WHERE user_id = :user_id AND type = 'entry_retracted' AND metadata ->> 'undo_id' = :undo_id ORDER BY id
""")

_TITLE_EXISTS = sa.text("SELECT EXISTS (SELECT FROM titles WHERE id = :id AND (owner_id IS NULL OR owner_id = :user_id))")


def titles_recorded_between(conn: sa.Connection, user_id: int, since: datetime, until: datetime, *,
                            title_id: int | None = None) -> tuple[list[int], datetime]:
    """The titles on which the user recorded entries in [since, until) (only ``title_id``, if
    given), and the time of asking."""
    row = conn.execute(_TITLES_RECORDED_BETWEEN, {"user_id": user_id, "since": since, "until": until,
                                                  "title_id": title_id}).one()
    return list(row.title_ids), row.now


def undo_entries(conn: sa.Connection, user_id: int, undo_id: str) -> dict[Stream, list[int]]:
    """The retractions one undo appended (metadata ``undo_id``), as the versions on each stream."""
    made: dict[Stream, list[int]] = {}
    for row in conn.execute(_UNDO_ENTRIES, {"user_id": user_id, "undo_id": undo_id}):
        made.setdefault(Stream(user_id, row.title_id), []).append(row.version)
    return made


def title_exists(conn: sa.Connection, title_id: int, user_id: int) -> bool:
    """Whether the title is there for the user: in the catalog, or one of their own."""
    return conn.execute(_TITLE_EXISTS, {"id": title_id, "user_id": user_id}).scalar_one()


def stored_event(row: sa.Row) -> StoredEvent:
    return StoredEvent(
        stream=Stream(row.user_id, row.title_id),
        entry=Recorded(version=row.version, event=event_from(row.type, row.data),
                       occurred_at=row.occurred_at, id=row.id, recorded_at=row.recorded_at),
        metadata=row.metadata,
    )




def stream_entries(rows: Iterable[sa.Row]) -> Iterator[tuple[Stream, list[Recorded]]]:
    """Group event rows ordered by stream and version into (stream, entries)."""
    for stream, group in itertools.groupby((stored_event(row) for row in rows), key=lambda stored: stored.stream):
        yield stream, [stored.entry for stored in group]


# -- pages of a user's entries ------------------------------------------------------------------
# The entries that retracted and last corrected the entry ``page.e``, each counting unless itself
# retracted: for a timeline item's retracted_by and corrected_by.
REWRITES = """
    LEFT JOIN LATERAL (
        SELECT max(m.id) FILTER (WHERE m.type = 'entry_retracted' AND m.undone IS NULL) AS retracted_by,
               max(m.id) FILTER (WHERE m.type = 'entry_corrected' AND m.undone IS NULL) AS corrected_by
        FROM (SELECT m.*, entry_retracted_by(m.user_id, m.title_id, m.version) AS undone
              FROM events m) m  -- events_rewrites: the few corrections and retractions of this entry,
                                -- each counting unless retracted itself
        WHERE m.user_id = (page.e).user_id AND m.title_id = (page.e).title_id
          AND m.type IN ('entry_corrected', 'entry_retracted')
          AND (m.data ->> 'entry_version')::integer = (page.e).version) rewrites ON true"""

_PAGE_CONDITIONS = {"title_id": "e.title_id = :title_id", "before": "e.id < :before", "type_": "e.type = :type_",
                    "since": "e.occurred_at >= :since", "until": "e.occurred_at < :until"}


@functools.lru_cache(maxsize=None)
def page_sql(item: str, joins: str, conditions: tuple[str, ...]) -> sa.TextClause:
    """A page of a user's entries, newest first, as ``{items: [item...], next_before}``: ``limit``
    entries below the cursor ``before`` (a log id), meeting ``conditions`` (keys of _PAGE_CONDITIONS).
    Walks the (user_id, id) primary key backwards, so its cost follows the page, not the log."""
    where = " AND ".join(["e.user_id = :user_id", *(_PAGE_CONDITIONS[key] for key in conditions)])
    return sa.text(f"""
        WITH page AS (SELECT e FROM events e WHERE {where} ORDER BY e.id DESC LIMIT :limit)
        SELECT json_build_object('items', coalesce(json_agg({item} ORDER BY (page.e).id DESC), '[]'),
                                 'next_before', CASE WHEN count(*) = :limit THEN min((page.e).id) END)::text AS body
        FROM page {joins}
    """)


def check_range(since: datetime | None, until: datetime | None) -> None:
    """A range of times must end after it starts (422 otherwise)."""
    if since is not None and until is not None and until <= since:
        raise InvalidChange(f"until ({until.isoformat()}) must come after since ({since.isoformat()}): the range "
                            "holds the times from since up to until.", field="until")


def page(conn: sa.Connection, item: str, joins: str, user_id: int, limit: int, conditions: dict[str, Any]) -> str:
    """A page of a user's entries (JSON), each rendered by the SQL expression ``item`` over the
    event row ``page.e`` and ``joins``; ``conditions``: title_id, before, type_, since, until."""
    given = {key: value for key, value in conditions.items() if value is not None}
    check_range(given.get("since"), given.get("until"))
    statement = page_sql(item, joins, tuple(sorted(given)))
    return run_together(conn, [(statement, {"user_id": user_id, "limit": limit, **given})])[0]["body"]


def entries_page(conn: sa.Connection, user_id: int, *, limit: int = 50, **conditions: Any) -> str:
    """A page of a user's entries as the API's ``event`` objects, newest first (JSON)."""
    return page(conn, "event_json(page.e)", "", user_id, limit, conditions)

