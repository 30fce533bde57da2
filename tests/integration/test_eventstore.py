"""The event store on real PostgreSQL: append and read, conflicts, idempotency, immutability,
concurrent writers, and a follower that must see every event exactly once."""
from __future__ import annotations

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from progress_service import catalog, eventstore
from progress_service.domain.events import NoteAdded, ProgressLogged, Recorded, TrackerAdded
from progress_service.domain.rules import AddProgress, Rate, SetProgress, SetStatus
from progress_service.projections import rebuild
from progress_service.errors import IdempotencyKeyReused, InvalidProgress, TitleNotFound, VersionConflict
from progress_service.eventstore import Stream
from progress_service.db import Database
from progress_service.services import Idempotency, Trackers


def bare_user(db) -> int:
    with db.transaction() as conn:
        return conn.execute(sa.text("INSERT INTO users (username, password_hash) VALUES "
                                    "('bare_' || gen_random_uuid(), '-') RETURNING id")).scalar_one()


def title_rating_count(db, title_id: int) -> int:
    with db.transaction() as conn:
        return conn.execute(sa.text("SELECT rating_count FROM title_stats WHERE title_id = :t"), {"t": title_id}).scalar()


def count_events(db, user_id: int) -> int:
    with db.transaction() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events WHERE user_id = :u"), {"u": user_id}).scalar()


def test_appended_entries_read_back_in_order_with_positions_and_times(bare_db, show, now):
    db, user = bare_db, bare_user(bare_db)
    stream = Stream(user, show[0])
    entries = [Recorded(1, TrackerAdded("planned", show[1]), now - timedelta(days=2)),
               Recorded(2, ProgressLogged(progress=3, total=show[1]), now - timedelta(days=1)),
               Recorded(3, NoteAdded("hooked"), now)]
    with db.transaction() as conn:
        appended = eventstore.append(conn, stream, entries, expected_version=0, metadata={"actor": user})
    with db.transaction() as conn:
        read = eventstore.read_stream(conn, stream)
        first = eventstore.read_entry(conn, appended[0].id)
    assert [(e.version, e.event, e.occurred_at) for e in read] == [(e.version, e.event, e.occurred_at) for e in entries]
    assert [e.id for e in read] == [e.id for e in appended] == sorted(e.id for e in appended)
    assert all(e.recorded_at is not None for e in read)
    assert first.stream == stream and first.metadata == {"actor": user} and first.entry == read[0]
    with db.transaction() as conn:
        names = conn.execute(sa.text("SELECT DISTINCT stream FROM events WHERE user_id = :u"), {"u": user}).scalars()
        assert list(names) == [stream.name] == [f"tracker-{user}-{show[0]}"]


def test_append_at_the_wrong_expected_version_is_a_clear_conflict(bare_db, show, now):
    db, user = bare_db, bare_user(bare_db)
    stream = Stream(user, show[0])
    with db.transaction() as conn:
        eventstore.append(conn, stream, [Recorded(1, TrackerAdded(), now)], expected_version=0)
    with pytest.raises(VersionConflict) as conflict, db.transaction() as conn:
        eventstore.append(conn, stream, [Recorded(1, NoteAdded("again"), now)], expected_version=0)
    assert (conflict.value.expected, conflict.value.actual, conflict.value.status) == (0, 1, 412)
    assert "version 1, not 0" in conflict.value.detail
    assert count_events(db, user) == 1


def test_a_write_that_expects_an_old_version_appends_nothing(tracker, db, user, show):
    tracker.log(user, show[0], [SetStatus("planned")])
    tracker.log(user, show[0], [AddProgress(1)])
    with pytest.raises(VersionConflict) as conflict:
        tracker.log(user, show[0], [Rate(4)], expected_version=1)
    assert conflict.value.actual == 2
    assert count_events(db, user) == 2
    assert tracker.log(user, show[0], [Rate(4)], expected_version=2).state.version == 3


def test_an_unknown_title_is_refused_and_appends_nothing(tracker, db, user):
    with pytest.raises(TitleNotFound):
        tracker.log(user, 987654321, [SetStatus("planned")])
    assert count_events(db, user) == 0


def test_a_retried_write_with_the_same_key_appends_once_and_answers_the_same(tracker, db, user, show):
    key = Idempotency("retry-1", "POST /api/progress/log {delta: 1}")
    first = tracker.log(user, show[0], [AddProgress(1)], idempotency=key)
    tracker.log(user, show[0], [AddProgress(1)])  # the tracker moves on meanwhile
    again = tracker.log(user, show[0], [AddProgress(1)], idempotency=key)
    assert again.repeated and not first.repeated
    assert again.entries == first.entries and again.state == first.state
    assert count_events(db, user) == 2
    with db.read() as conn:
        assert eventstore.read_entry(conn, first.entries[0].id).metadata == {"actor": user, "idempotency_key": "retry-1"}


def test_every_entry_names_who_made_it(tracker, db, make_user, song):
    owner, admin = make_user(), make_user("admin")
    own = tracker.log(owner, song[0], [AddProgress(1)])
    on_behalf = tracker.log(owner, song[0], [AddProgress(1)], metadata={"actor": admin, "request_id": "r-7"})
    with db.read() as conn:
        assert eventstore.read_entry(conn, own.entries[0].id).metadata == {"actor": owner}
        assert eventstore.read_entry(conn, on_behalf.entries[0].id).metadata == {"actor": admin, "request_id": "r-7"}


def test_the_same_key_with_another_request_is_refused(tracker, db, user, show, song):
    tracker.log(user, show[0], [AddProgress(1)], idempotency=Idempotency("k", "first body"))
    with pytest.raises(IdempotencyKeyReused) as refused:
        tracker.log(user, song[0], [AddProgress(2)], idempotency=Idempotency("k", "other body"))
    assert refused.value.status == 422
    assert count_events(db, user) == 1


def test_concurrent_retries_with_one_key_append_once(tracker, db, user, song):
    key = Idempotency("burst", "same body")
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: tracker.log(user, song[0], [AddProgress(1)], idempotency=key), range(8)))
    assert count_events(db, user) == 1
    assert len({tuple(e.id for e in o.entries) for o in outcomes}) == 1
    assert sum(not o.repeated for o in outcomes) == 1


def test_idempotency_keys_belong_to_one_user(tracker, db, make_user, song):
    alice, bob = make_user(), make_user()
    tracker.log(alice, song[0], [AddProgress(1)], idempotency=Idempotency("shared", "a"))
    tracker.log(bob, song[0], [AddProgress(1)], idempotency=Idempotency("shared", "b"))
    assert (count_events(db, alice), count_events(db, bob)) == (1, 1)


@pytest.mark.parametrize("statement", [
    "UPDATE events SET data = '{}' WHERE user_id = :u",
    "DELETE FROM events WHERE user_id = :u",
    "TRUNCATE events CASCADE",
])
def test_the_database_refuses_to_rewrite_the_log(tracker, db, user, show, statement):
    tracker.log(user, show[0], [SetStatus("planned")])
    with pytest.raises(sa_exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text(statement), {"u": user})
    assert count_events(db, user) == 1


def test_erasing_an_account_is_the_one_explicit_way_to_delete_events(tracker, db, make_user, show):
    leaving, staying = make_user(), make_user()
    for user_id in (leaving, staying):
        tracker.log(user_id, show[0], [SetProgress(2), Rate(4)])
    rated_before = title_rating_count(db, show[0])
    assert tracker.erase_user(leaving) == 2
    assert (count_events(db, leaving), count_events(db, staying)) == (0, 2)
    assert title_rating_count(db, show[0]) == rated_before - 1  # reports stop counting the erased user
    with db.transaction() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM tracker_state WHERE user_id = :u"), {"u": leaving}).scalar() == 0
        assert rebuild.verify(conn) == []
    with pytest.raises(sa_exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE user_id = :u"), {"u": staying})


@pytest.mark.parametrize("processes", ["one process", "a process each"])
def test_sixteen_concurrent_writers_on_one_tracker_lose_nothing(tracker, db, user, song, processes):
    per_writer = 10
    trackers = [tracker] * 16 if processes == "one process" else [Trackers(db) for _ in range(16)]

    def writer(i):
        for _ in range(per_writer):
            trackers[i].log(user, song[0], [AddProgress(1)])

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(writer, range(16)))
    history = tracker.history(user, song[0])
    assert [e.version for e in history] == list(range(1, 16 * per_writer + 1))
    with db.transaction() as conn:
        progress, version = conn.execute(sa.text(
            "SELECT progress, version FROM tracker_state WHERE user_id = :u AND title_id = :t"),
            {"u": user, "t": song[0]}).one()
    assert (progress, version) == (16 * per_writer, 16 * per_writer)


def test_a_write_builds_on_what_other_processes_wrote_since_this_one_last_wrote(db, user, song):
    here, elsewhere = Trackers(db), Trackers(db)  # two processes of the service, each remembering its last writes
    here.log(user, song[0], [AddProgress(1)])
    elsewhere.log(user, song[0], [AddProgress(1)])
    elsewhere.log(user, song[0], [AddProgress(2)])
    last = here.log(user, song[0], [AddProgress(1)])
    assert (last.entries[0].version, last.entries[0].event.progress, last.state.progress) == (4, 5, 5)
    assert [e.version for e in here.history(user, song[0])] == [1, 2, 3, 4]


def test_a_stale_state_found_on_a_fresh_connection_is_loaded_there(db, database_url, user, song):
    pool = Database(database_url, pool_size=1)
    here, elsewhere = Trackers(pool), Trackers(db)
    here.log(user, song[0], [AddProgress(1)])
    pool.dispose()  # its next connection has prepared nothing yet, when the remembered state fails
    elsewhere.log(user, song[0], [AddProgress(1)])
    try:
        assert here.log(user, song[0], [AddProgress(1)]).state.progress == 3
        assert here.log(user, song[0], [AddProgress(1)]).state.progress == 4  # and that connection goes on
    finally:
        pool.dispose()


def test_a_change_refused_by_the_state_a_process_remembers_is_decided_on_the_tracker_as_it_is(db, user, show):
    title, total = show
    here, elsewhere = Trackers(db), Trackers(db)
    here.log(user, title, [SetProgress(total)])  # finished, as this process remembers it
    elsewhere.log(user, title, [SetProgress(3)])  # back to episode 3 since
    assert here.log(user, title, [AddProgress(1)]).state.progress == 4
    with pytest.raises(InvalidProgress):  # and a change the tracker as it is refuses stays refused
        here.log(user, title, [AddProgress(total)])
    assert [e.version for e in here.history(user, title)] == [1, 2, 3]


def test_a_write_after_its_title_was_edited_is_decided_on_the_title_as_it_is_now(tracker, db, user):
    with db.transaction() as conn:
        title = catalog.create(conn, {"kind": "tv_show", "name": f"Shortened {uuid.uuid4().hex[:8]}", "creator": "",
                                      "genres": [], "description": "", "total_units": 10})["id"]
    tracker.log(user, title, [SetProgress(5)])
    with db.transaction() as conn:
        catalog.update(conn, title, {"total_units": 6})
    with pytest.raises(InvalidProgress):  # 7 of 6: the process remembered 10 episodes
        tracker.log(user, title, [AddProgress(2)])
    assert tracker.log(user, title, [AddProgress(1)]).state.total == 6
    assert [e.version for e in tracker.history(user, title)] == [1, 2]


def test_a_follower_sees_every_event_exactly_once_while_commits_land_late(bare_db, show, now):
    """Writers take no common lock and hold their transaction open for a random while after
    drawing log ids, so ids commit out of order; a follower of the feed must still never skip one
    that commits late, nor see one twice."""
    db, writers, appends = bare_db, 8, 25
    users = [bare_user(db) for _ in range(writers)]
    with db.transaction() as conn:
        start = eventstore.high_water(conn) or eventstore.FEED_START
    done = threading.Event()
    seen: list[int] = []
    out_of_order = threading.Event()

    def follow():
        position = start
        while True:
            finished = done.is_set()
            with db.transaction() as conn:
                page = eventstore.read_feed(conn, after=position, limit=50)
            seen.extend(e.id for e in page if e.stream.user_id in users)
            position = page[-1].position if page else position
            if finished and not page:
                return
            time.sleep(0.001)

    def write(user_id):
        rng = random.Random(user_id)
        stream = Stream(user_id, show[0])
        for version in range(1, appends + 1):
            with db.transaction() as conn:
                [entry] = eventstore.append(conn, stream, [Recorded(version, NoteAdded(f"n{version}"), now)],
                                            expected_version=version - 1)
                time.sleep(rng.uniform(0, 0.01))  # commit late
                if conn.execute(sa.text("SELECT EXISTS (SELECT FROM events WHERE id > :id)"), {"id": entry.id}).scalar():
                    out_of_order.set()  # a later id committed while this one was still open

    follower = threading.Thread(target=follow)
    follower.start()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, users))
    done.set()
    follower.join(timeout=60)
    with db.transaction() as conn:
        committed = conn.execute(sa.text("SELECT id FROM events WHERE user_id = ANY(:users) ORDER BY tx, id"),
                                 {"users": users}).scalars().all()
    assert len(committed) == writers * appends
    assert out_of_order.is_set()  # the ids did commit out of order: there was something to get wrong
    assert seen == committed  # every one, once, in feed order
