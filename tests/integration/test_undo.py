"""An undo on real PostgreSQL: one unit of work over several trackers, all of it or none, and
serialized with the writes that race it."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from progress_service.domain.rules import AddProgress, SetProgress
from progress_service.eventstore import Stream, stream_lock
from progress_service.projections import rebuild


def _count(db, user, title):
    with db.read() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events WHERE user_id = :u AND title_id = :t"),
                            {"u": user, "t": title}).scalar_one()


def _progress(db, user, title):
    with db.read() as conn:
        return conn.execute(sa.text("SELECT progress FROM tracker_state WHERE user_id = :u AND title_id = :t"),
                            {"u": user, "t": title}).scalar_one()


def test_an_undo_over_two_trackers_lands_whole_or_not_yet(tracker, db, user, show, book):
    first = tracker.log(user, show[0], [SetProgress(3)]).entries[0]
    tracker.log(user, book[0], [SetProgress(40)])
    since, until = first.recorded_at, first.recorded_at + timedelta(hours=1)
    done: list = []
    with db.transaction() as conn:
        conn.execute(*stream_lock(Stream(user, max(show[0], book[0]))))  # a write on the later tracker holds it
        worker = threading.Thread(target=lambda: done.append(tracker.undo(user, since, until)))
        worker.start()
        time.sleep(0.5)
        # The undo holds the other tracker's lock and waits: nothing of it is visible anywhere.
        assert worker.is_alive()
        assert (_count(db, user, show[0]), _count(db, user, book[0])) == (1, 1)
    worker.join(10)
    assert len(done[0].entries) == 2
    assert (_count(db, user, show[0]), _count(db, user, book[0])) == (2, 2)


def test_writes_racing_an_undo_are_serialized_and_none_is_lost(tracker, db, make_user, show, book):
    user = make_user()
    start = tracker.log(user, show[0], [SetProgress(1)]).entries[0].recorded_at
    tracker.log(user, book[0], [SetProgress(1)])
    cut = tracker.log(user, show[0], [AddProgress(1)]).entries[0].recorded_at + timedelta(microseconds=1)

    def write(title):
        for _ in range(10):
            tracker.log(user, title, [AddProgress(1)])

    writers = [threading.Thread(target=write, args=(title,)) for title in (show[0], book[0])]
    for writer in writers:
        writer.start()
    undone = tracker.undo(user, start, cut)  # the first three entries, whatever lands meanwhile
    for writer in writers:
        writer.join()
    assert len(undone.entries) == 3
    # Every "+1" logged after the range still counts, each on what was there when it was written:
    # the show's and the book's first entries and the show's "+1" are gone, 10 "+1"s each remain.
    assert (_progress(db, user, show[0]), _progress(db, user, book[0])) == (10, 10)
    with db.read() as conn:
        versions = conn.execute(sa.text("SELECT title_id, array_agg(version ORDER BY version) FROM events "
                                        "WHERE user_id = :u GROUP BY title_id"), {"u": user}).all()
    assert all(list(v) == list(range(1, len(v) + 1)) for _, v in versions)  # contiguous, nothing lost
    with db.transaction(isolation_level="REPEATABLE READ") as conn:
        assert rebuild.verify(conn) == []
