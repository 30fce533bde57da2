"""Use cases on the trackers: each builds a command in the domain's words and carries it out as
load → decide → append in one unit of work of the store (``store.Writing``)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

import sqlalchemy as sa

from . import eventstore
from .db import Database, Statement
from .domain.events import Recorded
from .domain.vocabulary import CUSTOM
from .domain.rules import (
    ChangeRequest, Command, CorrectEntry, LogChanges, RemoveTracker, RetractEntry, RollBack, Undo, decide,
    needs_history,
)
from .domain.tracker import TrackerState, shows_differently
from .errors import AlreadyRetracted, EntryNotFound, PermissionDenied, TitleNotFound, TrackerNotFound, UndoNotFound
from .eventstore import Stream
from .projections import tracker_state
from .store import Idempotency, Outcome, Store, erase_user
from .user_service import UserServiceClient

__all__ = ["Idempotency", "Outcome", "Trackers", "Undone", "utcnow"]

# Taking back the undo of an import: the import stands again.
_IMPORT_STANDS_AGAIN = sa.text("UPDATE imports SET undo_id = NULL, undone_at = NULL WHERE user_id = :user_id AND undo_id = :undo_id")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Undone:
    """What an undo did, or would do (``dry_run``): the entries it takes back, and each tracker
    whose state changes, before and after."""

    undo_id: str | None
    dry_run: bool
    entries: list[int]
    changes: list[tuple[Stream, TrackerState, TrackerState]]


class Trackers:
    """The service for every tracker of one database: writes, and a tracker's own history."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow,
                 users: UserServiceClient | None = None):
        self.db = db
        self.store = Store(db)  # this process's writes, and the states they left trackers in
        self.clock = clock
        self.users = users  # asked before every write whether the user exists, when configured

    # -- writes ---------------------------------------------------------------------------------
    def log(self, user_id: int, title_id: int, changes: Sequence[ChangeRequest], *,
            occurred_at: datetime | None = None, **options: Any) -> Outcome:
        """One entry per change, appended atomically (the first entry on a title creates its tracker)."""
        command = LogChanges(tuple(changes), occurred_at or self.clock())
        return self._carry_out(Stream(user_id, title_id), command, **options)

    def remove(self, user_id: int, title_id: int, **options: Any) -> Outcome:
        return self._carry_out(Stream(user_id, title_id), RemoveTracker(self.clock()), **options)

    def roll_back(self, user_id: int, title_id: int, *, to_version: int | None = None,
                  to_time: datetime | None = None, **options: Any) -> Outcome:
        """Back to the state after version ``to_version`` as known now, or to the state at ``to_time``
        (what had occurred by then, as ``?at=`` shows it)."""
        return self._carry_out(Stream(user_id, title_id), RollBack(to_version, self.clock(), to_time), **options)

    def correct(self, user_id: int, entry_id: int, change: ChangeRequest, **options: Any) -> Outcome:
        """Make entry ``entry_id`` count as if it had carried ``change``; everything after re-folds."""
        stream, entry = self._entry_of(user_id, entry_id)
        return self._carry_out(stream, CorrectEntry(entry.version, change, self.clock()), **options)

    def retract(self, user_id: int, entry_id: int, **options: Any) -> Outcome:
        """Make entry ``entry_id`` count as if it had never happened."""
        stream, entry = self._entry_of(user_id, entry_id)
        return self._carry_out(stream, RetractEntry(entry.version, self.clock()), **options)

    def undo(self, user_id: int, since: datetime, until: datetime, *, title_id: int | None = None,
             dry_run: bool = False, metadata: dict[str, Any] | None = None) -> Undone:
        """Take back every entry recorded in [since, until) (of one title, if given) as if none had
        been made, all of them or none; with ``dry_run``, only say what that would do."""
        eventstore.check_range(since, until)
        with self.db.read() as conn:
            if title_id is not None and not eventstore.title_exists(conn, title_id, user_id):
                raise TitleNotFound(f"There is no title {title_id} in the catalog.")
            title_ids, began = eventstore.titles_recorded_between(conn, user_id, since, until, title_id=title_id)
        until = min(until, began)  # what was recorded before the undo began, never its own entries
        undo_id = None if dry_run else str(uuid.uuid4())
        return self._undo_in([Stream(user_id, title_id) for title_id in title_ids],
                             lambda stream, history: [e.version for e in history if since <= e.recorded_at < until],
                             undo_id, dry_run=dry_run, metadata={**(metadata or {}), **({"undo_id": undo_id} if undo_id else {})})

    def undo_entries(self, entries: dict[Stream, list[int]], undo_id: str | None, *, dry_run: bool = False,
                     metadata: dict[str, Any], also: Sequence[Statement] = (), nothing_to_undo: str) -> Undone:
        """Take back the entries at the given versions of each stream (an import's), all of them or
        none, with ``also`` (the caller's own statements) in the same transaction; when none counts
        any more, an AlreadyRetracted saying ``nothing_to_undo``."""
        return self._undo_in(list(entries), lambda stream, history: entries[stream], undo_id, dry_run=dry_run,
                             metadata=metadata, also=also, nothing_to_undo=nothing_to_undo)

    def take_back_undo(self, user_id: int, undo_id: str, *, dry_run: bool = False,
                       metadata: dict[str, Any] | None = None) -> Undone:
        """Undo an undo: every entry it took back counts again (its retractions are retracted). An
        undone import whose undo this is stands again."""
        with self.db.read() as conn:
            made = eventstore.undo_entries(conn, user_id, undo_id)
        if not made:
            raise UndoNotFound(f"There is no undo {undo_id} in your log.")
        undone = self._undo_in(list(made), lambda stream, history: made[stream], undo_id, dry_run=dry_run,
                               metadata={**(metadata or {}), "undoes_undo": undo_id},
                               also=[(_IMPORT_STANDS_AGAIN, {"user_id": user_id, "undo_id": undo_id})],
                               nothing_to_undo="This undo has already been undone.")
        return undone

    def _undo_in(self, streams: Sequence[Stream], versions: Callable[[Stream, Sequence[Recorded]], list[int]],
                 undo_id: str | None, *, dry_run: bool, metadata: dict[str, Any],
                 also: Sequence[Statement] = (), nothing_to_undo: str | None = None) -> Undone:
        """Retract, on each of ``streams``, the entries at ``versions`` that still count, all in one
        unit of work (none, for a dry run), with ``also``; when none counts any more, an
        AlreadyRetracted saying ``nothing_to_undo`` (when given)."""
        if self.users is not None and streams:
            self.users.check(streams[0].user_id)
        entries: list[int] = []
        changes: list[tuple[Stream, TrackerState, TrackerState]] = []
        with self.store.writing_together(streams, metadata=metadata) as together:
            now = self.clock()
            for stream in together.streams:
                history, before = together.entries(stream), together.state(stream)
                events = decide(before, Undo(tuple(versions(stream, history)), now), history=history,
                                total=together.title(stream).total_units, now=now)
                after = together.decided(stream, events, occurred_at=now)
                entries += [history[event.entry_version - 1].id for event in events]
                if shows_differently(before, after):
                    changes.append((stream, before, after))
            if nothing_to_undo is not None and not entries:  # refused before anything is committed
                raise AlreadyRetracted(nothing_to_undo)
            if not dry_run:
                together.commit(also=also)
        return Undone(undo_id, dry_run, sorted(entries), changes)

    def clear(self, user_id: int, **options: Any) -> int:
        """Remove every tracker of the user by new entries (history keeps all); how many were removed."""
        with self.db.read() as conn:
            title_ids = tracker_state.active_titles(conn, user_id)
        removed = 0
        for title_id in title_ids:
            try:
                self.remove(user_id, title_id, **options)
                removed += 1
            except TrackerNotFound:  # removed meanwhile by another request
                pass
        return removed

    def erase_user(self, user_id: int) -> int:
        """Erase every event of a user and all that was derived from them; returns how many events."""
        with self.db.transaction() as conn:
            return erase_user(conn, user_id)

    # -- reads ----------------------------------------------------------------------------------
    def history(self, user_id: int, title_id: int) -> list[Recorded]:
        with self.db.read() as conn:
            return eventstore.read_stream(conn, Stream(user_id, title_id))

    # -- the one write path ---------------------------------------------------------------------
    def _carry_out(self, stream: Stream, command: Command, *, expected_version: int | None = None,
                   idempotency: Idempotency | None = None, metadata: dict[str, Any] | None = None) -> Outcome:
        if self.users is not None:
            self.users.check(stream.user_id)
        for w in self.store.writing(stream, with_history=needs_history(command), expected_version=expected_version,
                                    idempotency=idempotency, metadata=metadata):
            with w:
                if w.repeated:
                    return w.repeated
                history = w.entries() if needs_history(command, w.state) else ()
                events = decide(w.state, command, history=history, total=w.title.total_units, now=self.clock(),
                                release_date=w.title.release_date,
                                decimals=w.title.kind == CUSTOM)
                return w.append(events, occurred_at=command.occurred_at)
        raise AssertionError("the last attempt of a write returns or raises")

    def _entry_of(self, user_id: int, entry_id: int) -> tuple[Stream, Recorded]:
        with self.db.read() as conn:
            found = eventstore.read_entry(conn, entry_id)
        if found is None:
            raise EntryNotFound(f"There is no entry {entry_id} in the log.")
        if found.stream.user_id != user_id:
            raise PermissionDenied(f"Entry {entry_id} belongs to another user's log.")
        return found.stream, found.entry
