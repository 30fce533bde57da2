"""The feed as other services follow it: pages after a position, a wait for the next event that
holds no database connection, and the stream's slots.

One ``FeedWaiter`` per process watches the feed's high water for every request that waits: while
anyone waits, it reads the high water every ``interval`` on a pooled connection it returns at
once, and wakes the waiters when it moves. So a hundred waiting followers cost one short query
per interval, and none of them holds a connection while it waits. (LISTEN/NOTIFY would wake it sooner, but NOTIFY takes a
database-wide lock at commit, which would serialize every append again: docs/ARCHITECTURE.md,
"The feed".)

A long poll or an open stream holds one of the worker's threads for as long as it lasts. The
worker has ``feed_slots`` threads beyond those for ordinary requests, and a wait takes one of
the slots (``FeedSlots``) or is refused with 503: at most ``feed_slots`` threads ever wait, so
the ordinary threads always remain for ordinary requests.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from . import eventstore
from .db import Database
from .errors import FeedBusy
from .eventstore import FeedPosition

MAX_WAIT = 30  # seconds a long poll may ask to wait
HEARTBEAT = 15  # seconds between the stream's comments when nothing happens


class FeedWaiter:
    """Waits for the feed's high water to pass a position, for every waiting request of a process."""

    def __init__(self, db: Database, *, interval: float = 0.05):
        self.db, self.interval = db, interval
        self._changed = threading.Condition()
        self._waiting = 0
        self._high_water: FeedPosition | None = None
        self._thread: threading.Thread | None = None

    def wait_past(self, position: FeedPosition, timeout: float) -> bool:
        """Wait until the feed holds an event after ``position`` (True), or ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._waiting += 1
            self._start()
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

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._watch, name="feed-waiter", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while True:
            with self._changed:
                while not self._waiting:
                    self._changed.wait()
            try:
                with self.db.read() as conn:
                    high_water = eventstore.high_water(conn)
            except Exception:  # the database is away: the waiters time out, or find it back
                high_water = self._high_water
            with self._changed:
                if high_water != self._high_water:
                    self._high_water = high_water
                    self._changed.notify_all()
                self._changed.wait(self.interval)


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
