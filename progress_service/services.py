"""Use cases on the trackers: each builds a command in the domain's words and carries it out as
load → decide → append in one unit of work of the store (``store.Writing``)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from . import eventstore
from .db import Database
from .domain.events import Recorded
from .domain.rules import (
    ChangeRequest, Command, CorrectEntry, LogChanges, RemoveTracker, RetractEntry, RollBack, decide, needs_history,
)
from .errors import EntryNotFound, PermissionDenied, TrackerNotFound
from .eventstore import Stream
from .projections import tracker_state
from .store import Idempotency, Outcome, Store, erase_user
from .user_service import UserServiceClient

__all__ = ["Idempotency", "Outcome", "Trackers", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


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
                events = decide(w.state, command, history=history, total=w.title.total_units, now=self.clock())
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
