"""The read side: the tracker object and the history pages, in SQL over projections and the log."""
from __future__ import annotations

from datetime import timedelta

from progress_service import queries
from progress_service.domain.rules import AddNote, AddProgress, Rate, SetProgress, SetStatus


def test_a_tracker_reads_as_the_api_object(db, tracker, user, show):
    title_id, total = show
    tracker.log(user, title_id, [SetProgress(12), Rate(4.5), AddNote("slow burn")])
    with db.read() as conn:
        found = queries.tracker(conn, user, title_id)
    assert found["title"]["id"] == title_id and found["title"]["unit"] == "episode"
    assert found["title"]["total_units"] == total and found["total"] == total
    assert (found["status"], found["progress"], found["rating"], found["notes"]) == ("in_progress", 12, 4.5, ["slow burn"])
    assert found["percent"] == round(1200 / total, 1)
    assert found["version"] == 3 and found["times_completed"] == 0 and found["completed_at"] is None


def test_a_removed_or_never_started_tracker_is_not_found(db, tracker, user, show, song):
    tracker.log(user, show[0], [SetStatus("planned")])
    tracker.remove(user, show[0])
    with db.read() as conn:
        assert queries.tracker(conn, user, show[0]) is None
        assert queries.tracker(conn, user, song[0]) is None


def test_history_pages_newest_first_without_gaps_or_overlap(db, tracker, user, song):
    for _ in range(7):
        tracker.log(user, song[0], [AddProgress(1)])
    pages, before = [], None
    with db.read() as conn:
        while True:
            page = queries.history(conn, user, limit=3, before=before)
            if not page:
                break
            pages.append([entry["id"] for entry in page])
            before = page[-1]["id"]
    ids = [entry_id for page in pages for entry_id in page]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7


def test_history_filters_by_title_and_time(db, tracker, user, show, song, now):
    tracker.log(user, show[0], [SetProgress(1)], occurred_at=now - timedelta(days=10))
    tracker.log(user, song[0], [AddProgress(1)], occurred_at=now - timedelta(days=5))
    tracker.log(user, song[0], [AddProgress(1)], occurred_at=now)
    with db.read() as conn:
        songs_only = queries.history(conn, user, title_id=song[0])
        last_week = queries.history(conn, user, since=now - timedelta(days=7))
        before_today = queries.history(conn, user, until=now - timedelta(days=1))
    assert [e["title_id"] for e in songs_only] == [song[0], song[0]]
    assert [e["occurred_at"] for e in last_week] == [now, now - timedelta(days=5)]
    assert [e["occurred_at"] for e in before_today] == [now - timedelta(days=5), now - timedelta(days=10)]
    assert set(songs_only[0]) == {"id", "user_id", "title_id", "version", "type", "data", "occurred_at", "recorded_at"}
    assert songs_only[0]["data"] == {"progress": 2, "delta": 1, "total": None}  # the second +1 reached play 2


def test_another_users_history_is_not_in_mine(db, tracker, make_user, song):
    me, other = make_user(), make_user()
    tracker.log(other, song[0], [AddProgress(1)])
    with db.read() as conn:
        assert queries.history(conn, me) == []
