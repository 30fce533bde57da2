"""The store: the log and its projections as a use case writes them, one unit of work per write.

A ``Writing`` owns one write's transaction from start to end: the connection and the batching
of statements into round trips, the stream lock, the remembered-state proof, the idempotency
key's row, the projections' statements and the append. A use case reads as
load → decide → append:

    for w in store.writing(stream, expected_version=..., idempotency=...):
        with w:
            if w.repeated:
                return w.repeated
            history = w.entries() if needs_history(command, w.state) else ()
            events = decide(w.state, command, history=history, total=w.title.total_units, now=now,
                            release_date=w.title.release_date,
                            decimals=w.title.kind == CUSTOM)
            return w.append(events, occurred_at=command.occurred_at)

``writing`` gives one attempt, or two: when this process remembers the state its last write left
the tracker in, the first attempt decides on that state at once and sends everything in one round
trip that first proves the state still current. If the proof fails (another write came first, or
the title was edited), or the decision would rest on the remembered state alone (a refusal, or an
entry that re-folds the past), that attempt ends with nothing written and the second loads the
tracker under its stream lock on the same connection and decides again.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Sequence

import sqlalchemy as sa

from . import eventstore, metrics, projections
from .db import BEGIN, COMMIT, Database, StaleState, Statement, run_together
from .domain.events import Event, Recorded
from .domain.tracker import NEW, TrackerState, advance, state_at_version
from .errors import IdempotencyKeyReused, ProgressServiceError, TitleNotFound, VersionConflict
from .eventstore import Stream
from .projections import Change, TitleFacts, tracker_state

# How many trackers a Store remembers the state of: about 6 MB of them.
REMEMBERED_TRACKERS = 10_000


@dataclass(frozen=True)
class Idempotency:
    """An Idempotency-Key and a fingerprint of the request it came with."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class Outcome:
    """What a write did: the entries it appended and the tracker state after them."""

    stream: Stream
    entries: list[Recorded]
    state: TrackerState
    repeated: bool = False  # the answer to a request already carried out under the same key
    metadata: dict[str, Any] = field(default_factory=dict)  # what the entries carry beside their data


_FIND_KEY = sa.text("""
    SELECT k.fingerprint, k.title_id, k.from_version, k.to_version,
           (SELECT e.metadata FROM events e  -- the first answer's, for a repeat that answers it again
            WHERE e.user_id = k.user_id AND e.title_id = k.title_id AND e.version = k.from_version) AS metadata
    FROM idempotency_keys k WHERE k.user_id = :user_id AND k.key = :key
""")
_SAVE_KEY = sa.text("""
    INSERT INTO idempotency_keys (user_id, key, fingerprint, title_id, from_version, to_version)
    VALUES (:user_id, :key, :fingerprint, :title_id, :from_version, :to_version)
""")
_FORGET_KEYS = sa.text("DELETE FROM idempotency_keys WHERE user_id = :user_id")
# The imports go with the entries they made: a file imported after the erasure lands anew.
_FORGET_IMPORTS = [sa.text("DELETE FROM import_fingerprints WHERE user_id = :user_id"),
                   sa.text("DELETE FROM imports WHERE user_id = :user_id")]


class _DecideAgain(Exception):
    """The decision on a remembered state needs the tracker loaded."""


class Store:
    """Writes to one database's log, each with its projections; remembers what it wrote last."""

    def __init__(self, db: Database):
        self.db = db
        # The state each tracker was left in by this process's last write to it, with its title's
        # facts (most recently written last).
        self._remembered: dict[Stream, tuple[TitleFacts, TrackerState]] = {}

    def writing(self, stream: Stream, *, with_history: bool = False, expected_version: int | None = None,
                idempotency: Idempotency | None = None,
                metadata: dict[str, Any] | None = None) -> Iterator["Writing"]:
        """The attempts at one write on ``stream``: carry out each in a ``with`` block, returning
        from it; a second comes only when the first could not stand (see the module's doc).
        ``with_history``: the decision needs the stream's entries whatever the state
        (``Writing.entries``)."""
        metadata = {"actor": stream.user_id, **(metadata or {}),
                    **({"idempotency_key": idempotency.key} if idempotency else {})}
        remembered = self._remembered.pop(stream, None)
        kept: _Held | None = None
        if remembered is not None and not with_history and idempotency is None \
                and expected_version in (None, remembered[1].version):
            first = Writing(self, stream, metadata, remembered=remembered)
            yield first
            kept = first.kept
        second = Writing(self, stream, metadata, connection=kept, with_history=with_history,
                         expected_version=expected_version, idempotency=idempotency)
        try:
            yield second
        finally:
            if not second.entered and kept is not None:
                kept.release()

    def writing_together(self, streams: Sequence[Stream], *, metadata: dict[str, Any]) -> "Together":
        """One write over several trackers of one user, all of it or nothing (an undo)."""
        return Together(self, streams, {"actor": streams[0].user_id, **metadata} if streams else metadata)

    def _remember(self, stream: Stream, title: TitleFacts, state: TrackerState) -> None:
        self._remembered[stream] = (title, state)
        if len(self._remembered) > REMEMBERED_TRACKERS:  # the least recently written goes
            self._remembered.pop(next(iter(self._remembered)), None)


def erase_user(conn: sa.Connection, user_id: int) -> int:
    """The one erasure path, in the caller's transaction: a user's events, everything derived from
    them, their idempotency keys and their imports. Returns the events erased."""
    for statement, params in projections.erasure(user_id):
        conn.execute(statement, params)
    conn.execute(_FORGET_KEYS, {"user_id": user_id})
    for statement in _FORGET_IMPORTS:
        conn.execute(statement, {"user_id": user_id})
    return conn.execute(sa.text("SELECT erase_user_events(:user_id)"), {"user_id": user_id}).scalar_one()


class Writing:
    """One attempt at a write: the unit of work. Entering it loads the tracker (unless it decides
    on a remembered state); ``append`` sends the entries with everything they carry and commits;
    leaving it without an append rolls back."""

    def __init__(self, store: Store, stream: Stream, metadata: dict[str, Any], *,
                 remembered: tuple[TitleFacts, TrackerState] | None = None, connection: _Held | None = None,
                 with_history: bool = False, expected_version: int | None = None,
                 idempotency: Idempotency | None = None):
        self._store, self.stream, self._metadata = store, stream, metadata
        self._remembered = remembered is not None
        self.title, self.state = remembered if remembered is not None else (None, NEW)
        self._history: Sequence[Recorded] | None = None
        self.repeated: Outcome | None = None
        self._with_history, self._expected_version, self._idempotency = with_history, expected_version, idempotency
        self._held = connection
        self._sent = False  # whether the append went out
        self.kept: _Held | None = None  # the connection handed on to the next attempt
        self.entered = False

    # -- the transaction ------------------------------------------------------------------------
    def __enter__(self) -> "Writing":
        self.entered = True
        if self._held is None:
            self._held = _Held.checked_out(self._store.db)
        if not self._remembered:
            try:
                self._load()
            except BaseException as error:
                self._held.release(type(error), error, error.__traceback__)  # a driver error comes out translated
                raise
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if self._remembered and (isinstance(error, (_DecideAgain, StaleState))
                                 or (isinstance(error, ProgressServiceError) and not self._sent)):
            # Only a current state may refuse a change: the next attempt loads it, on this connection
            # (a failed proof's transaction is rolled back with the next round trip).
            self.kept = self._held
            return True
        # Whatever is left open is rolled back; an error of the driver's comes out as the service's
        # (db.translated_errors: a lost connection is a 503, never a 500).
        self._held.release(kind, error, traceback)
        return False

    @property
    def _conn(self) -> sa.Connection:
        return self._held.conn

    def _load(self) -> None:
        stream = self.stream
        self.title, self.state = tracker_state.loaded(
            run_together(self._conn, [BEGIN, eventstore.stream_lock(stream), tracker_state.load(stream)]))
        if self.title is None:
            raise TitleNotFound(f"There is no title {stream.title_id} in the catalog.")
        if self._idempotency is not None:
            self.repeated = self._first_answer(self._idempotency)
            if self.repeated is not None:
                return
        if self._expected_version is not None and self._expected_version != self.state.version:
            raise VersionConflict(
                f"The tracker is at version {self.state.version}, not {self._expected_version}; reload it and "
                "try again.", expected=self._expected_version, actual=self.state.version)
        if self._with_history:
            self.entries()

    def _first_answer(self, idempotency: Idempotency) -> Outcome | None:
        """What the request first carried out under this key answered (None: the key is new)."""
        row = self._conn.execute(_FIND_KEY, {"user_id": self.stream.user_id, "key": idempotency.key}).first()
        if row is None:
            return None
        if row.fingerprint != idempotency.fingerprint:
            raise IdempotencyKeyReused()
        stream = Stream(self.stream.user_id, row.title_id)
        history = eventstore.read_stream(self._conn, stream)
        entries = [e for e in history if row.from_version <= e.version <= row.to_version]
        return Outcome(stream, entries, state_at_version(history, row.to_version), repeated=True,
                       metadata=row.metadata or self._metadata)  # the first answer's request id, not this retry's

    # -- the append -------------------------------------------------------------------------------
    def append(self, events: Sequence[Event], *, occurred_at: datetime) -> Outcome:
        """Fold ``events`` (decided on ``state``, happened at ``occurred_at``) and append them with
        the projections' statements and the key's row, commit, and read back their positions: one
        round trip."""
        stream, state, title = self.stream, self.state, self.title
        entries = [Recorded(state.version + i, event, occurred_at) for i, event in enumerate(events, start=1)]
        # An entry that re-folds the stream reads it: on a remembered state that ends this attempt
        # (Writing.entries), before anything is sent.
        states = advance(state, entries, self.entries)
        proof = ([BEGIN, eventstore.stream_lock(stream), tracker_state.still_current(stream, title, state)]
                 if self._remembered else [])
        key = [self._key_row(entries)] if self._idempotency is not None else []
        self._sent = True
        rows = run_together(self._conn, [
            *proof, *key, *projections.changes(Change(stream, state, states, entries, self._history)),
            *eventstore.append_statements(stream, entries, expected_version=state.version, metadata=self._metadata),
            COMMIT, eventstore.positions(stream, expected_version=state.version)])
        metrics.events_appended(len(entries))
        self._store._remember(stream, title, states[-1])
        return Outcome(stream, eventstore.appended(entries, rows), states[-1], metadata=self._metadata)

    def entries(self) -> Sequence[Recorded]:
        """The stream's entries so far, read once under the stream lock (for a decision that needs
        them: ``rules.needs_history``). An attempt on a remembered state has no lock yet: it ends,
        and the next loads."""
        if self._remembered:
            raise _DecideAgain()
        if self._history is None:
            self._history = eventstore.read_stream(self._conn, self.stream)
        return self._history

    def _key_row(self, entries: Sequence[Recorded]) -> Statement:
        # A key used concurrently for another tracker fails here on the primary key (translated in db).
        idempotency = self._idempotency
        return _SAVE_KEY, {"user_id": self.stream.user_id, "key": idempotency.key,
                           "fingerprint": idempotency.fingerprint, "title_id": self.stream.title_id,
                           "from_version": entries[0].version, "to_version": entries[-1].version}


@dataclass
class _Tracker:
    title: TitleFacts
    state: TrackerState
    history: Sequence[Recorded]
    entries: list[Recorded] = field(default_factory=list)
    states: list[TrackerState] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)  # each entry's own, beside the write's


# How many trackers one round trip of a commit carries: a large import commits in several, in its
# one transaction, so that no round trip outlasts a request's bound on it.
TRACKERS_PER_ROUND_TRIP = 500


class Together:
    """One unit of work over several trackers: entering it takes their stream locks, always in one
    order (so two of them, or one and a single write, never wait on each other in a circle), and
    loads each tracker with its entries; ``decided`` folds what a decision appends to one of them,
    and ``commit`` appends all in one transaction. Leaving it without a commit (a preview) appends
    nothing. An import enters with no streams, runs its own statements (``run``), and then takes
    its streams (``take``) in the same transaction."""

    def __init__(self, store: Store, streams: Sequence[Stream], metadata: dict[str, Any]):
        self._store, self._metadata = store, metadata
        self.streams: list[Stream] = sorted(set(streams))
        self._trackers: dict[Stream, _Tracker] = {}
        self._held: _Held | None = None
        self._ids: list[int] = []  # log ids drawn ahead (reserve_ids), handed out in order

    def __enter__(self) -> "Together":
        self._held = _Held.checked_out(self._store.db)
        try:
            run_together(self._held.conn, [BEGIN])
            streams, self.streams = self.streams, []
            self.take(streams)
        except BaseException as error:
            self._held.release(type(error), error, error.__traceback__)
            raise
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        self._held.release(kind, error, traceback)  # rolls back what was not committed
        return False

    def run(self, statements: Sequence[Statement]) -> list[dict[str, Any]]:
        """Statements of the use case's own in the unit's transaction, in one round trip (the rows of the last)."""
        return run_together(self._held.conn, statements)

    def take(self, streams: Sequence[Stream]) -> None:
        """Lock and load more trackers (in one order, in one go: take them all at once), each with its entries."""
        streams = sorted(set(streams) - set(self._trackers))
        if not streams:
            return
        conn = self._held.conn
        loaded = tracker_state.loaded_many(run_together(conn, [*eventstore.streams_lock(streams),
                                                               tracker_state.load_many(streams)]))
        histories = eventstore.read_streams(conn, streams)
        for stream in streams:
            title, state = loaded.get(stream.title_id, (None, NEW))
            if title is None:
                raise TitleNotFound(f"There is no title {stream.title_id} in the catalog.")
            self._trackers[stream] = _Tracker(title, state, histories.get(stream, []))
        self.streams = sorted([*self.streams, *streams])

    def reserve_ids(self, count: int) -> None:
        """Draw ``count`` log ids for the entries decided from now on (for entries that name others
        decided in this unit: their ids are known before the append)."""
        if count:  # kept largest first: handed out from the end
            drawn = [row["id"] for row in run_together(self._held.conn, [eventstore.reserve_ids(count)])]
            self._ids = sorted(drawn, reverse=True) + self._ids

    def state(self, stream: Stream) -> TrackerState:
        """The tracker's state after everything decided on it so far."""
        tracker = self._trackers[stream]
        return tracker.states[-1] if tracker.states else tracker.state

    def title(self, stream: Stream) -> TitleFacts:
        return self._trackers[stream].title

    def entries(self, stream: Stream) -> Sequence[Recorded]:
        """The tracker's entries, with those decided on it so far."""
        tracker = self._trackers[stream]
        return [*tracker.history, *tracker.entries] if tracker.entries else tracker.history

    def decided(self, stream: Stream, events: Sequence[Event], *, occurred_at: datetime,
                metadata: dict[str, Any] | None = None) -> TrackerState:
        """Fold ``events``, decided on the tracker's state and entries (with what was decided on it
        before), onto it; the state after them. ``metadata``: the entries' own, beside the write's."""
        tracker = self._trackers[stream]
        before = self.state(stream)
        entries = [Recorded(before.version + i, event, occurred_at, id=self._ids.pop() if self._ids else None)
                   for i, event in enumerate(events, start=1)]
        tracker.states += advance(before, entries, lambda: self.entries(stream))  # read before these join them
        tracker.entries += entries
        tracker.metadata += [metadata or {}] * len(entries)
        return self.state(stream)

    def commit(self, *, also: Sequence[Statement] = ()) -> None:
        """Append everything decided, with the projections' statements and ``also`` (the use case's
        own), and commit: one round trip for every TRACKERS_PER_ROUND_TRIP trackers."""
        appending = [(stream, tracker) for stream, tracker in self._trackers.items() if tracker.entries]
        statements = [[
            *projections.changes(Change(stream, t.state, t.states, t.entries, t.history)),
            *eventstore.append_statements(stream, t.entries, expected_version=t.state.version,
                                          metadata=self._metadata,
                                          entry_metadata=t.metadata if any(t.metadata) else None)]
            for stream, t in appending]
        parts = [statements[i:i + TRACKERS_PER_ROUND_TRIP]
                 for i in range(0, len(statements), TRACKERS_PER_ROUND_TRIP)] or [[]]
        for part in parts[:-1]:
            run_together(self._held.conn, [s for tracker in part for s in tracker])
        run_together(self._held.conn, [*(s for tracker in parts[-1] for s in tracker), *also, COMMIT])
        metrics.events_appended(sum(len(tracker.entries) for _, tracker in appending))
        for stream, tracker in appending:
            self._store._remember(stream, tracker.title, tracker.states[-1])


class _Held:
    """A checked-out connection, handed from one attempt to the next until released."""

    def __init__(self, checkout: contextlib.AbstractContextManager[sa.Connection]):
        self._checkout = checkout
        self.conn = checkout.__enter__()

    @classmethod
    def checked_out(cls, db: Database) -> "_Held":
        return cls(db.connection())

    def release(self, kind=None, error=None, traceback=None) -> None:
        """Give the connection back; an error that ends its use passes through the checkout, which
        translates a driver's error."""
        self._checkout.__exit__(kind, error, traceback)
