"""Use cases: each is one transaction of lock → load → decide → fold → project → append (the load
left out when the process remembers the tracker's state from its last write to it)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

import sqlalchemy as sa

from . import eventstore, projections, queries
from .db import BEGIN, Database, StaleState, Statement
from .directory import UserDirectory
from .domain.events import Event, Recorded, is_change
from .domain.rules import (
    ChangeRequest, Command, CorrectEntry, LogChanges, RemoveTracker, RetractEntry, RollBack, decide,
)
from .domain.tracker import TrackerState, advance, state_at_version, version_as_of
from .errors import (
    EntryNotFound, IdempotencyKeyReused, InvalidChange, PermissionDenied, ProgressServiceError, TitleNotFound,
    TrackerNotFound, VersionConflict,
)
from .eventstore import Stream
from .projections import TitleFacts


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
    replayed: bool = False


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# How many trackers a Tracker remembers the state of (Tracker._known): about 6 MB of them.
KNOWN_TRACKERS = 10_000


class _DecideAgain(Exception):
    """A write on a remembered state needs the tracker loaded to decide."""


_FIND_KEY = sa.text("""
    SELECT fingerprint, title_id, from_version, to_version FROM idempotency_keys
    WHERE user_id = :user_id AND key = :key
""")
_SAVE_KEY = sa.text("""
    INSERT INTO idempotency_keys (user_id, key, fingerprint, title_id, from_version, to_version)
    VALUES (:user_id, :key, :fingerprint, :title_id, :from_version, :to_version)
""")


class Tracker:
    """Writes and time travel on the trackers of one database."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow, users: UserDirectory | None = None):
        self.db = db
        self.clock = clock
        self.users = users  # checked before every write, when configured
        # The state each tracker was left in by this process's last write to it, with its title's
        # facts (most recently written last). The next write to it decides on that state at once
        # and proves it current in the round trip that appends (projections.still_current, under
        # the stream lock), instead of loading the tracker in a round trip of its own first.
        self._known: dict[Stream, tuple[TitleFacts, TrackerState]] = {}

    # -- writes ---------------------------------------------------------------------------------
    def log(self, user_id: int, title_id: int, changes: Sequence[ChangeRequest], *,
            occurred_at: datetime | None = None, **options: Any) -> Outcome:
        """One entry per change, appended atomically (the first entry on a title creates its tracker)."""
        at = occurred_at or self.clock()
        return self._write(Stream(user_id, title_id), lambda history: LogChanges(tuple(changes), at), **options)

    def remove(self, user_id: int, title_id: int, **options: Any) -> Outcome:
        return self._write(Stream(user_id, title_id), lambda history: RemoveTracker(self.clock()), **options)

    def roll_back(self, user_id: int, title_id: int, *, to_version: int | None = None,
                  to_time: datetime | None = None, **options: Any) -> Outcome:
        def command(history: Sequence[Recorded]) -> Command:
            version = to_version
            if to_time is not None:
                version = version_as_of(history, to_time)
                if version == 0:
                    raise InvalidChange(f"The tracker had no entries yet at {to_time.isoformat()}.",
                                        field="to_time")
            if version is None:
                raise InvalidChange("Say which version (to_version) or time (to_time) to roll back to.")
            return RollBack(version, self.clock())
        return self._write(Stream(user_id, title_id), command, needs_history=to_time is not None, **options)

    def correct(self, user_id: int, entry_id: int, change: ChangeRequest, **options: Any) -> Outcome:
        """Make entry ``entry_id`` count as if it had carried ``change``; everything after re-folds."""
        stream, entry = self._entry_of(user_id, entry_id)
        return self._write(stream, lambda history: CorrectEntry(history, entry.version, change, self.clock()),
                           needs_history=True, **options)

    def retract(self, user_id: int, entry_id: int, **options: Any) -> Outcome:
        """Make entry ``entry_id`` count as if it had never happened."""
        stream, entry = self._entry_of(user_id, entry_id)
        return self._write(stream, lambda history: RetractEntry(history, entry.version, self.clock()),
                           needs_history=True, **options)

    def erase_user(self, user_id: int) -> int:
        """Erase every event of a user and all that was derived from them; returns how many events."""
        with self.db.transaction() as conn:
            return projections.erase_user(conn, user_id)

    # -- reads ----------------------------------------------------------------------------------
    def history(self, user_id: int, title_id: int) -> list[Recorded]:
        with self.db.read() as conn:
            return eventstore.read_stream(conn, Stream(user_id, title_id))

    def clear(self, user_id: int, **options: Any) -> int:
        """Remove every tracker of the user by new entries (history keeps all); how many were removed."""
        with self.db.read() as conn:
            title_ids = queries.active_titles(conn, user_id)
        removed = 0
        for title_id in title_ids:
            try:
                self.remove(user_id, title_id, **options)
                removed += 1
            except TrackerNotFound:  # removed meanwhile by another request
                pass
        return removed

    # -- the one write path ---------------------------------------------------------------------
    def _entry_of(self, user_id: int, entry_id: int) -> tuple[Stream, Recorded]:
        with self.db.read() as conn:
            found = eventstore.read_entry(conn, entry_id)
        if found is None:
            raise EntryNotFound(f"There is no entry {entry_id} in the log.")
        if found.stream.user_id != user_id:
            raise PermissionDenied(f"Entry {entry_id} belongs to another user's log.")
        return found.stream, found.entry

    def _write(self, stream: Stream, make_command: Callable[[Sequence[Recorded]], Command], *,
               needs_history: bool = False, expected_version: int | None = None,
               idempotency: Idempotency | None = None, metadata: dict[str, Any] | None = None) -> Outcome:
        if self.users is not None:
            self.users.check(stream.user_id)
        metadata = {"actor": stream.user_id, **(metadata or {}),
                    **({"idempotency_key": idempotency.key} if idempotency else {})}
        known = self._known.pop(stream, None)
        with self.db.write() as conn:
            if known is not None and not needs_history and idempotency is None \
                    and expected_version in (None, known[1].version):
                try:
                    return self._write_on_known(conn, stream, *known, make_command, metadata)
                except (_DecideAgain, StaleState):
                    pass  # another write came first, or the title was edited: load the tracker
            title, state = projections.load_tracker(conn, stream, first=[BEGIN, eventstore.stream_lock(stream)])
            if title is None:
                raise TitleNotFound(f"There is no title {stream.title_id} in the catalog.")
            if idempotency is not None:
                replay = self._replay(conn, stream, idempotency)
                if replay is not None:
                    return replay
            if expected_version is not None and expected_version != state.version:
                raise VersionConflict(
                    f"The tracker is at version {state.version}, not {expected_version}; reload it and "
                    "try again.", expected=expected_version, actual=state.version)
            history = eventstore.read_stream(conn, stream) if needs_history else []
            command = make_command(history)
            events = decide(state, command, total=title.total_units, now=self.clock())
            return self._append(conn, stream, title, state, command, events, metadata, idempotency=idempotency,
                                load_history=lambda: history or eventstore.read_stream(conn, stream))

    def _write_on_known(self, conn: sa.Connection, stream: Stream, title: TitleFacts, state: TrackerState,
                        make_command: Callable[[Sequence[Recorded]], Command], metadata: dict[str, Any]) -> Outcome:
        """The write decided on the state this process's last write left the tracker in, sent in one
        round trip that first proves that state current. Raises _DecideAgain, before sending
        anything, when the decision would rest on the remembered state alone (a refusal, or an
        entry that re-folds the past), and StaleState when the state is no longer current (the
        transaction is then aborted, and nothing written)."""
        command = make_command([])
        try:
            events = decide(state, command, total=title.total_units, now=self.clock())
        except ProgressServiceError:
            raise _DecideAgain() from None  # only a current state may refuse a change
        if not all(is_change(event) for event in events):
            raise _DecideAgain()
        proof = [BEGIN, eventstore.stream_lock(stream), projections.still_current(stream, title, state)]
        return self._append(conn, stream, title, state, command, events, metadata, load_history=lambda: [],
                            first=proof)

    def _append(self, conn: sa.Connection, stream: Stream, title: TitleFacts, state: TrackerState, command: Command,
                events: Sequence[Event], metadata: dict[str, Any], *, load_history: Callable[[], Sequence[Recorded]],
                idempotency: Idempotency | None = None, first: Sequence[Statement] = ()) -> Outcome:
        """Fold ``events`` (decided on ``state``) and append them with their projections, ``first``
        ahead of them in the round trip; the process remembers the state they leave."""
        entries = [Recorded(state.version + i, event, command.occurred_at) for i, event in enumerate(events, start=1)]
        states = advance(state, entries, load_history)
        key = [self._key_statement(stream, idempotency, entries)] if idempotency is not None else []
        appended = eventstore.append(conn, stream, entries, expected_version=state.version, commit=True,
                                     metadata=metadata,
                                     before=[*first, *key, *projections.changes(stream, state, states, entries)])
        return self._remember(Outcome(stream, appended, states[-1]), title)

    def _remember(self, outcome: Outcome, title: TitleFacts) -> Outcome:
        self._known[outcome.stream] = (title, outcome.state)
        if len(self._known) > KNOWN_TRACKERS:  # the least recently written goes
            self._known.pop(next(iter(self._known)), None)
        return outcome

    def _replay(self, conn: sa.Connection, stream: Stream, idempotency: Idempotency) -> Outcome | None:
        row = conn.execute(_FIND_KEY, {"user_id": stream.user_id, "key": idempotency.key}).first()
        if row is None:
            return None
        if row.fingerprint != idempotency.fingerprint:
            raise IdempotencyKeyReused()
        history = eventstore.read_stream(conn, Stream(stream.user_id, row.title_id))
        entries = [e for e in history if row.from_version <= e.version <= row.to_version]
        return Outcome(Stream(stream.user_id, row.title_id), entries,
                       state_at_version(history, row.to_version), replayed=True)

    @staticmethod
    def _key_statement(stream: Stream, idempotency: Idempotency, entries: Sequence[Recorded]) -> Statement:
        # A key used concurrently for another tracker fails here on the primary key (translated in db).
        return _SAVE_KEY, {"user_id": stream.user_id, "key": idempotency.key, "fingerprint": idempotency.fingerprint,
                           "title_id": stream.title_id, "from_version": entries[0].version,
                           "to_version": entries[-1].version}
