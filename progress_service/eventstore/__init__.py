"""The event store: one append-only log in PostgreSQL.

Appends to one stream are serialized by a per-stream advisory lock, taken before the caller reads
the state it decides on. Appends to different streams take no common lock and commit in any
order, so log ids (drawn from a sequence) do not commit in order: event 12 may become visible
after event 13. Followers therefore read the *feed* (``read_feed``), which is ordered by the
appending transaction's id (``events.tx``, an ``xid8``) and then the log id, and which serves
only events of transactions older than the oldest one still in flight
(``pg_snapshot_xmin(pg_current_snapshot())``). Every transaction below that horizon has committed
or rolled back, and no new one can start below it, so nothing can ever appear behind a position a
follower has passed: every committed event, once, in one order (docs/ARCHITECTURE.md, "The
feed").
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



class Stream(NamedTuple):
    """One tracker's stream: a user's events on one title."""

    user_id: int
    title_id: int

    @property
    def name(self) -> str:
        return f"tracker-{self.user_id}-{self.title_id}"


class FeedPosition(NamedTuple):
    """Where an event stands in the feed: its appending transaction, then its log id. Said as
    ``"<tx>:<id>"`` (the event object's ``position``)."""

    tx: int
    id: int

    def __str__(self) -> str:
        return f"{self.tx}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> FeedPosition | None:
        """The position ``"<tx>:<id>"`` says, or None when it says none."""
        tx, colon, event_id = text.partition(":")
        if not colon or not tx.isdigit() or not event_id.isdigit() or int(tx) >= 2**64 or int(event_id) >= 2**63:
            return None
        return cls(int(tx), int(event_id))


FEED_START = FeedPosition(0, 0)  # before every event


@dataclass(frozen=True)
class StoredEvent:
    """An event read from the whole log, with its stream (and, read from the feed, its position)."""

    stream: Stream
    entry: Recorded
    metadata: dict[str, Any]
    position: FeedPosition | None = None

    @property
    def id(self) -> int:
        return self.entry.id  # type: ignore[return-value]


_LOCK_STREAM = sa.text("SELECT pg_advisory_xact_lock((CAST(:user_id AS bigint) << 32) # CAST(:title_id AS bigint))")

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

# The feed: events of transactions below the horizon (module docstring), after a position, in feed
# order, walking the events_feed index; ``high_water`` is the last position below the horizon.
_FEED = """
    WITH horizon AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
    SELECT {columns}, e.tx::text AS tx, event_json(e)::text AS body FROM events e, horizon h
    WHERE (e.tx, e.id) > (CAST(:after_tx AS text)::xid8, CAST(:after_id AS bigint)) AND e.tx < h.xmin {filters}
    ORDER BY e.tx, e.id LIMIT :limit
"""
_FEED_FILTERS = {"types": "e.type = ANY(CAST(:types AS text[]))", "user_id": "e.user_id = :user_id"}

_HIGH_WATER = sa.text("""
    SELECT e.tx::text AS tx, e.id FROM events e
    WHERE e.tx < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY e.tx DESC, e.id DESC LIMIT 1
""")

_POSITION_OF = sa.text("SELECT tx::text AS tx, id FROM events WHERE id = :id")

_READ_ENTRY = sa.text(f"SELECT {_COLUMNS} FROM events WHERE id = :id")


def stream_lock(stream: Stream) -> Statement:
    """Serialize writers of one stream until the transaction ends (take it before reading state)."""
    return _LOCK_STREAM, stream._asdict()


_LOCK_STREAMS = sa.text("""
    SELECT count(pg_advisory_xact_lock((s.user_id << 32) # s.title_id))
    FROM unnest(CAST(:user_ids AS bigint[]), CAST(:title_ids AS bigint[])) WITH ORDINALITY AS s(user_id, title_id, n)
""")


def streams_lock(streams: Sequence[Stream]) -> list[Statement]:
    """Lock several streams, in the order given (give them sorted: two writers over the same
    streams then never wait on each other in a circle), in one statement."""
    return [(_LOCK_STREAMS, {"user_ids": [s.user_id for s in streams], "title_ids": [s.title_id for s in streams]})]


def append_statements(stream: Stream, entries: Sequence[Recorded], *, expected_version: int,
                      metadata: dict[str, Any] | None = None,
                      entry_metadata: Sequence[dict[str, Any]] | None = None) -> list[Statement]:
    """The statements that append ``entries`` (numbered from ``expected_version + 1``) to
    ``stream``: the append, which raises VersionConflict when the stream is not at
    ``expected_version``. Take the stream lock first in the same transaction. An entry with an
    ``id`` keeps it (one drawn by ``reserve_ids``); ``entry_metadata``, one per entry, adds to
    ``metadata``."""
    if [e.version for e in entries] != list(range(expected_version + 1, expected_version + 1 + len(entries))):
        raise ValueError("entries must be numbered consecutively after the expected version")
    payload = [{"version": e.version, "type": e.event.type, "data": e.event.data(),
                "occurred_at": e.occurred_at.isoformat(), **({"id": e.id} if e.id is not None else {})}
               for e in entries]
    for item, own in zip(payload, entry_metadata or ()):
        item["metadata"] = own
    params = {**stream._asdict(), "expected_version": expected_version,
              "events": json.dumps(payload), "metadata": json.dumps(metadata or {})}
    return [(_APPEND, params)]


_RESERVE_IDS = sa.text("SELECT nextval('events_id_seq') AS id FROM generate_series(1, :count) ORDER BY 1")


def reserve_ids(count: int) -> Statement:
    """The statement that draws ``count`` log ids ahead of their entries, in increasing order (for
    entries that name each other before they are appended: an import's corrections). Draw them
    under the streams' locks, so that each stream's ids still increase with its versions."""
    return _RESERVE_IDS, {"count": count}


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
    ``store.Writing``). Takes the stream lock, held until the caller commits."""
    if not entries:
        return []
    return appended(entries, run_together(conn, [
        stream_lock(stream), *append_statements(stream, entries, expected_version=expected_version,
                                                metadata=metadata)]))


def read_stream(conn: sa.Connection, stream: Stream, *, up_to: int | None = None) -> list[Recorded]:
    """A stream's entries in version order (up to version ``up_to`` when given)."""
    return [stored_event(row).entry for row in conn.execute(_READ_STREAM, {**stream._asdict(), "up_to": up_to})]


_READ_STREAMS = sa.text(f"""
    SELECT {_COLUMNS} FROM events
    WHERE user_id = :user_id AND title_id = ANY(CAST(:title_ids AS bigint[])) ORDER BY title_id, version
""")


def read_streams(conn: sa.Connection, streams: Sequence[Stream]) -> dict[Stream, list[Recorded]]:
    """The entries of several streams of one user, each in version order (a stream with none is left out)."""
    if not streams:
        return {}
    rows = conn.execute(_READ_STREAMS, {"user_id": streams[0].user_id, "title_ids": [s.title_id for s in streams]})
    return dict(stream_entries(rows))


def read_entry(conn: sa.Connection, event_id: int) -> StoredEvent | None:
    row = conn.execute(_READ_ENTRY, {"id": event_id}).first()
    return stored_event(row) if row else None


@functools.lru_cache(maxsize=None)
def _feed_sql(filters: tuple[str, ...]) -> sa.TextClause:
    return sa.text(_FEED.format(columns=", ".join(f"e.{c}" for c in _COLUMNS.split(", ")),
                                filters="".join(f" AND {_FEED_FILTERS[f]}" for f in filters)))


def read_feed(conn: sa.Connection, *, after: FeedPosition = FEED_START, limit: int = 1000,
              types: Sequence[str] | None = None, user_id: int | None = None) -> list[StoredEvent]:
    """The feed's next page: the committed events after ``after``, in feed order, of ``types`` and
    of ``user_id`` when given. A follower passes the last one's ``position`` as ``after`` next."""
    return [stored_event(row, FeedPosition(int(row.tx), row.id))
            for row in _feed_rows(conn, after, limit, types, user_id)]


def _feed_rows(conn: sa.Connection, after: FeedPosition, limit: int, types: Sequence[str] | None,
               user_id: int | None) -> sa.CursorResult:
    given = {"types": list(types) if types else None, "user_id": user_id}
    filters = tuple(name for name, value in given.items() if value is not None)
    return conn.execute(_feed_sql(filters), {"after_tx": str(after.tx), "after_id": after.id, "limit": limit,
                                             **{name: given[name] for name in filters}})


class FeedItem(NamedTuple):
    """An event of the feed as the API gives it: its position, log id, type and event object (JSON)."""

    position: FeedPosition
    id: int
    type: str
    body: str
    user_id: int

    def with_position(self) -> str:
        """The event object with its ``position``, as followers get it (JSON)."""
        return self.body[:-1] + f', "position": "{self.position}"}}'


def feed_items(conn: sa.Connection, *, after: FeedPosition = FEED_START, limit: int = 1000,
               types: Sequence[str] | None = None, user_id: int | None = None) -> list[FeedItem]:
    """``read_feed``'s page as the API's event objects (for the HTTP feed, its stream and the relay)."""
    return [FeedItem(FeedPosition(int(row.tx), row.id), row.id, row.type, row.body, row.user_id)
            for row in _feed_rows(conn, after, limit, types, user_id)]


def high_water(conn: sa.Connection) -> FeedPosition | None:
    """The feed's last position: that of the last event a follower can read now (None: none yet)."""
    row = conn.execute(_HIGH_WATER).first()
    return FeedPosition(int(row.tx), row.id) if row else None


_HELD_BACK = sa.text("""
    SELECT count(*) AS events, coalesce(extract(epoch FROM clock_timestamp() - min(recorded_at)), 0) AS seconds
    FROM events WHERE tx >= pg_snapshot_xmin(pg_current_snapshot())
""")


def held_back(conn: sa.Connection) -> tuple[int, float]:
    """The committed events a follower cannot read yet, because an older transaction is still
    appending (they lie at or above the feed's horizon), and how long the oldest has waited (s)."""
    row = conn.execute(_HELD_BACK).one()
    return row.events, float(row.seconds)


def position_of(conn: sa.Connection, event_id: int) -> FeedPosition | None:
    """The feed position of the event with log id ``event_id`` (None: there is no such event)."""
    row = conn.execute(_POSITION_OF, {"id": event_id}).first()
    return FeedPosition(int(row.tx), row.id) if row else None


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


def stored_event(row: sa.Row, position: FeedPosition | None = None) -> StoredEvent:
    return StoredEvent(
        stream=Stream(row.user_id, row.title_id),
        entry=Recorded(version=row.version, event=event_from(row.type, row.data),
                       occurred_at=row.occurred_at, id=row.id, recorded_at=row.recorded_at),
        metadata=row.metadata,
        position=position,
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

