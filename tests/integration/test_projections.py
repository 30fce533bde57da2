"""Projections on real PostgreSQL: what the append keeps inline equals a rebuild from the log."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from progress_service.domain.rules import AddNote, AddProgress, Rate, Restart, SetProgress, SetStatus
from progress_service.projections import rebuild
from tests.histories import decimal_service_writes, service_writes, write_through


def differences(db):
    with db.transaction(isolation_level="REPEATABLE READ") as conn:
        return rebuild.verify(conn)


def tracker_row(db, user_id, title_id):
    with db.transaction() as conn:
        return conn.execute(sa.text("SELECT * FROM tracker_state WHERE user_id = :u AND title_id = :t"),
                            {"u": user_id, "t": title_id}).mappings().one()


def title_stats(db, title_id):
    with db.transaction() as conn:
        row = conn.execute(sa.text("SELECT * FROM title_stats WHERE title_id = :t"), {"t": title_id}).mappings().first()
    return dict(row) if row else {}


def three_titles(db, show, song) -> list[int]:
    """A show, a song and a small title with at most 12 units, for the random writes."""
    with db.transaction() as conn:
        small = conn.execute(sa.text("SELECT id FROM titles WHERE total_units <= 12 ORDER BY id LIMIT 1")).scalar()
    return [show[0], song[0], small]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=service_writes)
def test_inline_projections_equal_a_rebuild_from_the_log(tracker, db, make_user, show, song, script, now):
    write_through(tracker, make_user(), three_titles(db, show, song), script, now)
    assert differences(db) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=decimal_service_writes)
def test_a_custom_titles_decimal_progress_is_kept_as_a_rebuild_folds_it(tracker, db, make_user, show, song, script,
                                                                         now):
    user = make_user()
    with db.transaction() as conn:
        running = conn.execute(sa.text("""
            INSERT INTO titles (kind, name, owner_id, own_unit, total_units) VALUES ('custom', 'Running', :user, 'km', 42)
            RETURNING id"""), {"user": user}).scalar_one()
    write_through(tracker, user, [running, show[0], three_titles(db, show, song)[2]], script, now)
    assert differences(db) == []


SCENARIOS = {
    "completed as the first entry": [[SetStatus("completed")]],
    "completed by progress, first entry": [[SetProgress(10)]],
    "rewatch": [[SetProgress(10)], [SetProgress(2)], [AddProgress(8)], [SetStatus("completed")]],
    "progress back to zero": [[SetProgress(4)], [SetProgress(0)], [SetStatus("paused")], [AddProgress(1)]],
    "rating cleared, notes kept": [[Rate(3.5), AddNote("a")], [Rate(None)], [AddNote("b")]],
    "removed": [[SetProgress(3), Rate(2)], "remove"],
    "removed and started again": [[SetProgress(10)], "remove", [AddProgress(2)]],
    "finished before it was started": [[SetProgress(2)], [SetProgress(10), "backdated"]],
    "listened twice, started a third time": [[SetProgress(10)], [Rate(4)], [Restart()], [AddProgress(10)],
                                             [Restart()], [AddProgress(3)]],
    "started again halfway, then paused": [[SetProgress(6)], [Restart()], [SetStatus("paused")]],
    "started again, removed, added again": [[SetProgress(10)], [Restart()], "remove", [SetStatus("planned")],
                                            [Restart()]],
    "started again, logged late": [[SetProgress(10), "backdated"], [AddProgress(-4)], [Restart(), "backdated"]],
}


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_each_rule_projects_the_same_inline_and_rebuilt(tracker, db, user, now, steps):
    with db.transaction() as conn:
        title = conn.execute(sa.text("INSERT INTO titles (kind, name, creator, total_units) VALUES "
                                     "('album', 'Scenario ' || gen_random_uuid(), 'Tester', 10) RETURNING id")).scalar()
    for step in steps:
        if step == "remove":
            tracker.remove(user, title)
        elif step[-1] == "backdated":
            tracker.log(user, title, step[:-1], occurred_at=now - timedelta(days=30))
        else:
            tracker.log(user, title, step)
    assert differences(db) == []


def test_stats_count_trackers_ratings_and_completions_per_title(tracker, db, make_user, now):
    with db.transaction() as conn:
        title, total = conn.execute(sa.text(
            "INSERT INTO titles (kind, name, creator, total_units) VALUES ('book', 'Stats ' || gen_random_uuid(), "
            "'Tester', 100) RETURNING id, total_units")).one()
    readers = [make_user() for _ in range(4)]
    tracker.log(readers[0], title, [SetProgress(100)], occurred_at=now)
    tracker.log(readers[0], title, [Rate(4.5)])
    tracker.log(readers[1], title, [SetProgress(10)], occurred_at=now - timedelta(days=2))
    tracker.log(readers[1], title, [SetProgress(100)], occurred_at=now)
    tracker.log(readers[1], title, [Rate(3)])
    tracker.log(readers[2], title, [SetStatus("planned"), Rate(4.5)])
    tracker.log(readers[3], title, [SetStatus("dropped")])
    tracker.remove(readers[3], title)
    stats = title_stats(db, title)
    assert {k: stats[k] for k in ("trackers", "planned", "in_progress", "completed", "dropped")} == \
        {"trackers": 3, "planned": 1, "in_progress": 0, "completed": 2, "dropped": 0}
    assert (stats["rating_count"], stats["rating_sum"], stats["rating_4_5"], stats["rating_3_0"]) == (3, 12, 2, 1)
    assert (stats["completions"], stats["seconds_to_complete"]) == (2, 2 * 24 * 3600)
    assert differences(db) == []


def test_activity_counts_entries_on_the_day_they_happened(tracker, db, user, song, now):
    tracker.log(user, song[0], [AddProgress(1), AddNote("on repeat")], occurred_at=now - timedelta(days=3))
    tracker.log(user, song[0], [AddProgress(1)], occurred_at=now)
    with db.transaction() as conn:
        days = dict(conn.execute(sa.text("SELECT day, events FROM user_activity WHERE user_id = :u"), {"u": user}).all())
    assert days == {(now - timedelta(days=3)).date(): 2, now.date(): 1}


def test_verify_names_every_tampered_row_and_rebuild_repairs_it(tracker, db, user, show, song, database_url):
    tracker.log(user, show[0], [SetProgress(3), Rate(4)])
    tracker.log(user, song[0], [AddProgress(7)])
    good = tracker_row(db, user, show[0])
    with db.transaction() as conn:
        conn.execute(sa.text("UPDATE tracker_state SET progress = 99 WHERE user_id = :u AND title_id = :t"),
                     {"u": user, "t": show[0]})
        conn.execute(sa.text("DELETE FROM tracker_state WHERE user_id = :u AND title_id = :t"),
                     {"u": user, "t": song[0]})
        conn.execute(sa.text("UPDATE tracker_versions SET rating = 1 WHERE user_id = :u AND title_id = :t AND version = 2"),
                     {"u": user, "t": show[0]})
        conn.execute(sa.text("""UPDATE tracker_versions SET tracker = '{"progress": 62}'
                                WHERE user_id = :u AND title_id = :t AND version = 1"""), {"u": user, "t": show[0]})
    env = {**os.environ, "DATABASE_URL": database_url}
    verify = subprocess.run([sys.executable, "-m", "progress_service", "verify"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 1
    assert f"tracker_state user_id={user} title_id={show[0]}: progress is 99, a rebuild says 3" in verify.stdout
    assert f"tracker_state user_id={user} title_id={song[0]}: missing" in verify.stdout
    assert f"tracker_versions user_id={user} title_id={show[0]} version=2: rating is 1.0, a rebuild says 4.0" \
        in verify.stdout
    assert f"tracker_versions user_id={user} title_id={show[0]} version=1: tracker is 'as kept', a rebuild " \
        "says 'rendered anew'" in verify.stdout
    rebuilt = subprocess.run([sys.executable, "-m", "progress_service", "rebuild"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "100%" in rebuilt.stderr  # the progress bar ran to the end
    with db.read() as conn:
        kept = conn.execute(sa.text("SELECT tracker::text FROM tracker_versions WHERE user_id = :u AND "
                                    "title_id = :t ORDER BY version"), {"u": user, "t": show[0]}).scalars().all()
    # the tracker objects are rendered again
    assert [(json.loads(k)["progress"], json.loads(k)["rating"]) for k in kept] == [(3, None), (3, 4)]
    assert tracker_row(db, user, show[0]) == good
    again = subprocess.run([sys.executable, "-m", "progress_service", "verify"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 difference(s)" in again.stdout


def test_rebuild_keeps_live_projections_exactly(tracker, db, user, show):
    tracker.log(user, show[0], [SetProgress(5), Rate(2.5), AddNote("ok")])
    history = tracker.history(user, show[0])
    tracker.correct(user, history[0].id, SetProgress(6))
    before = tracker_row(db, user, show[0])
    with db.transaction() as conn:
        rebuild.rebuild(conn)
    assert tracker_row(db, user, show[0]) == before
    assert before["progress"] == 6 and before["version"] == 4
    with db.read() as conn:  # the foreign keys it lifted for the load are back
        keys = conn.execute(sa.text("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                                    "WHERE conrelid = 'tracker_state'::regclass AND contype = 'f' ORDER BY 1")).scalars().all()
    assert keys == ["FOREIGN KEY (title_id) REFERENCES titles(id)", "FOREIGN KEY (user_id) REFERENCES users(id)"]

