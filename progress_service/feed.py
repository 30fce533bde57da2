"""The feed as other services follow it: pages after a position, a wait for the next event that
holds no database connection, and the stream's slots.

One ``FeedWaiter`` per process watches the feed for every request that waits: while anyone
follows, it reads the high water and the new events every ``interval`` on a pooled connection it
returns at once, wakes the waiters when the high water moves, and hands streams that have caught
up their pages from what it read. So a hundred live streams cost one reader per interval, and
none of them holds a connection while it waits. (LISTEN/NOTIFY would wake it sooner, but NOTIFY takes a
database-wide lock at commit, which would serialize every append again: docs/ARCHITECTURE.md,
"The feed".)

A long poll or an open stream holds one of the worker's threads for as long as it lasts. The
worker has ``feed_slots`` threads beyond those for ordinary requests, and a wait takes one of
the slots (``FeedSlots``) or is refused with 503: at most ``feed_slots`` threads ever wait, so
the ordinary threads always remain for ordinary requests.
"""
from __future__ import annotations

import bisect
import collections
import contextlib
import itertools
import threading
import time
from typing import Callable, Iterator, NamedTuple, Sequence

from . import eventstore
from .accounts import credential_proof
from .db import Database, run_together
from .errors import AuthenticationFailed, FeedBusy
from .eventstore import FEED_START, FeedItem, FeedPosition
from .security import Caller

MAX_WAIT = 30  # seconds a long poll may ask to wait
HEARTBEAT = 15  # seconds between the stream's comments when nothing happens
KEEP = 10_000  # recent events a process holds for its live streams
READ_AT_ONCE = 1_000  # events the watcher reads in one look
IDLE_AFTER = 5.0  # seconds after the last follower left that the watcher stops and forgets


class FeedWaiter:
    """Waits for the feed's high water to pass a position, for every waiting request of a process,
    and keeps the feed's recent events for the streams that follow it live.

    While anyone follows, the watcher reads the high water and then the events after the last it
    holds, every ``interval``, on a pooled connection it returns at once. Everything up to the
    high water it read is final (no transaction below it is still open), so the events it holds
    are every event after ``_start`` up to ``_covered``, none missing: a stream that has reached
    them takes its pages from here, and however many streams follow, the database answers one
    reader per process (a stream further behind reads its own pages until it catches up).
    """

    def __init__(self, db: Database, *, interval: float = 0.05, keep: int = KEEP):
        self.db, self.interval, self.keep = db, interval, keep
        self._changed = threading.Condition()
        self._waiting = 0
        self._wanted = 0.0  # when a follower last waited or read here
        self._high_water: FeedPosition | None = None
        self._start: FeedPosition | None = None  # the events held are every one after this ...
        self._covered: FeedPosition | None = None  # ... up to this
        self._items: list[FeedItem] = []
        self._positions: list[FeedPosition] = []
        self._following: collections.Counter[Caller] = collections.Counter()  # the live streams' callers
        self._proved: set[Caller] = set()  # callers whose credential stood after the last look's events
        self._ended: set[Caller] = set()  # and those whose credential had ended by then
        self._thread: threading.Thread | None = None

    def wait_past(self, position: FeedPosition, timeout: float) -> bool:
        """Wait until the feed holds an event after ``position`` (True), or ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._waiting += 1
            self._wanted = time.monotonic()
            self._start_watching()
            self._changed.notify_all()  # the watcher may be resting while nobody waited
            try:
                while self._high_water is None or self._high_water <= position:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._changed.wait(left)
                return True
            finally:
                self._waiting -= 1
                self._wanted = time.monotonic()

    @contextlib.contextmanager
    def following(self, caller: Caller) -> Iterator[None]:
        """While a stream of ``caller``'s is open: each look proves its credential after the
        events it read, for every stream of that caller at once."""
        with self._changed:
            self._following[caller] += 1
        try:
            yield
        finally:
            with self._changed:
                self._following[caller] -= 1
                if not self._following[caller]:
                    del self._following[caller]
                    self._proved.discard(caller)
                    self._ended.discard(caller)

    def recent(self, after: FeedPosition, limit: int, types: Sequence[str] | None = None,
               user_id: int | None = None, caller: Caller | None = None) -> Recent | None:
        """The page after ``after`` from the events held (of ``types``, of ``user_id``), and where
        to read on from; None when they do not reach back to ``after`` (read the database).
        AuthenticationFailed when ``caller``'s credential had ended by the look that read them."""
        with self._changed:
            if caller in self._ended:
                raise AuthenticationFailed("The token of this stream no longer stands.")
            if self._start is None or after < self._start:
                return None
            self._wanted = time.monotonic()
            items, covered, proved = self._items, self._covered, caller in self._proved
            first = bisect.bisect_right(self._positions, after)
        page = []
        for item in itertools.islice(items, first, None):
            if (types is None or item.type in types) and (user_id is None or item.user_id == user_id):
                page.append(item)
                if len(page) == limit:
                    return Recent(page, item.position, proved)
        return Recent(page, max(after, covered), proved)

    def _start_watching(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._watch, name="feed-waiter", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and time.monotonic() - self._wanted > IDLE_AFTER:
                    self._forget()  # nobody follows: what is held would only grow stale
                    self._changed.wait()
                read_after, callers = self._covered, set(self._following)
            full, ended = False, set()
            try:
                with self.db.read() as conn:
                    high_water = eventstore.high_water(conn)  # first: everything up to it is final
                    items = ([] if read_after is None else
                             eventstore.feed_items(conn, after=read_after, limit=READ_AT_ONCE))
                    # after the events: a credential ended before one of them committed has ended here
                    ended = {caller for caller in callers if not _stands(conn, caller)}
                full = len(items) == READ_AT_ONCE
            except Exception:  # the database is away: the waiters time out, or find it back
                high_water, items, callers = self._high_water, [], set()
            with self._changed:
                self._hold(read_after, high_water, items, full)
                self._proved, self._ended = callers - ended, self._ended | ended
                if not full:
                    self._changed.wait(self.interval)

    def _hold(self, read_after: FeedPosition | None, high_water: FeedPosition | None, items: list[FeedItem],
              full: bool) -> None:
        if read_after is None:  # the first look: hold what comes after the high water
            self._start = self._covered = high_water or FEED_START
        else:
            self._items = self._items + items  # a new list: a reader may be walking the old one
            self._positions = self._positions + [item.position for item in items]
            last = items[-1].position if items else read_after
            self._covered = last if full else max(last, high_water or FEED_START)
            if len(self._items) > self.keep:
                dropped = len(self._items) - self.keep
                self._start = self._positions[dropped - 1]
                self._items, self._positions = self._items[dropped:], self._positions[dropped:]
        if high_water != self._high_water:
            self._high_water = high_water
            self._changed.notify_all()

    def _forget(self) -> None:
        self._start = self._covered = None
        self._items, self._positions = [], []


class Recent(NamedTuple):
    items: list[FeedItem]
    onward: FeedPosition  # where to read on from
    proved: bool  # the caller's credential stood after these events (else prove it before sending them)


def _stands(conn, caller: Caller) -> bool:
    try:
        run_together(conn, [credential_proof(caller)])
        return True
    except AuthenticationFailed:
        return False


class FeedSlots:
    """The threads of a worker that may wait on the feed (module docstring)."""

    def __init__(self, slots: int):
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)

    def take(self) -> Callable[[], None]:
        """Take a slot (FeedBusy when none is free); the function that gives it back, once."""
        if not self._free.acquire(blocking=False):
            raise FeedBusy(f"All {self.slots} of this worker's feed streams and long polls are open; try again "
                           f"in a moment, or follow without wait.")
        given_back = threading.Event()

        def give_back() -> None:
            if not given_back.is_set():
                given_back.set()
                self._free.release()
        return give_back
