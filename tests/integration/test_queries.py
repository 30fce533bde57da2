"""The read side: the tracker object and the history pages, in SQL over projections and the log."""
from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from progress_service import eventstore
from progress_service.projections import tracker_state, tracker_versions
from progress_service.domain.rules import AddNote, AddProgress, Rate, SetProgress, SetStatus
from progress_service.schemas import api_time


def test_a_tracker_reads_as_the_api_object(db, tracker, user, show):
    title_id, total = show
    tracker.log(user, title_id, [SetProgress(12), Rate(4.5), AddNote("slow burn")])
    with db.read() as conn:
        body, version = tracker_state.tracker(conn, user, title_id)
    found = json.loads(body)
    assert found["title"]["id"] == title_id and found["title"]["unit"] == "episode"
    assert found["title"]["total_units"] == total and found["total"] == total
    assert (found["status"], found["progress"], found["rating"], found["notes"]) == ("in_progress", 12, 4.5, ["slow burn"])
    assert found["percent"] == round(1200 / total, 1)
    assert found["version"] == version == 3 and found["times_completed"] == 0 and found["completed_at"] is None


def test_a_removed_or_never_started_tracker_is_not_found(db, tracker, user, show, song):
    tracker.log(user, show[0], [SetStatus("planned")])
    tracker.remove(user, show[0])
    with db.read() as conn:
        assert tracker_state.tracker(conn, user, show[0]) is None
        assert tracker_state.tracker(conn, user, song[0]) is None


def test_history_pages_newest_first_without_gaps_or_overlap(db, tracker, user, song):
    for _ in range(7):
        tracker.log(user, song[0], [AddProgress(1)])
    pages, before = [], None
    with db.read() as conn:
        while True:
            page = json.loads(eventstore.entries_page(conn, user, limit=3, before=before))
            pages.append([entry["id"] for entry in page["items"]])
            before = page["next_before"]
            if before is None:
                break
    ids = [entry_id for page in pages for entry_id in page]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7


def test_history_filters_by_title_and_time(db, tracker, user, show, song, now):
    tracker.log(user, show[0], [SetProgress(1)], occurred_at=now - timedelta(days=10))
    tracker.log(user, song[0], [AddProgress(1)], occurred_at=now - timedelta(days=5))
    tracker.log(user, song[0], [AddProgress(1)], occurred_at=now)
    with db.read() as conn:
        songs_only, last_week, before_today = (json.loads(eventstore.entries_page(conn, user, **conditions))["items"] for conditions in (
            {"title_id": song[0]}, {"since": now - timedelta(days=7)}, {"until": now - timedelta(days=1)}))
    assert [e["title_id"] for e in songs_only] == [song[0], song[0]]
    assert [e["occurred_at"] for e in last_week] == [api_time(now), api_time(now - timedelta(days=5))]
    assert [e["occurred_at"] for e in before_today] == [api_time(now - timedelta(days=5)),
                                                        api_time(now - timedelta(days=10))]
    assert set(songs_only[0]) == {"id", "user_id", "title_id", "version", "type", "data", "occurred_at", "recorded_at",
                                  "metadata"}
    assert songs_only[0]["metadata"] == {}  # nothing a client may see: no import, request id or undo
    assert songs_only[0]["data"] == {"progress": 2, "delta": 1, "total": None}  # the second +1 reached play 2


def test_another_users_history_is_not_in_mine(db, tracker, make_user, song):
    me, other = make_user(), make_user()
    tracker.log(other, song[0], [AddProgress(1)])
    with db.read() as conn:
        assert json.loads(eventstore.entries_page(conn, me)) == {"items": [], "next_before": None}


def timeline_of(db, user: int, **conditions) -> list[dict]:
    with db.read() as conn:
        return json.loads(tracker_versions.timeline(conn, user, limit=200, **conditions))["items"][::-1]


def test_each_entry_reads_as_a_plain_sentence(db, tracker, user, show, book, song):
    tracker.log(user, show[0], [SetProgress(13)])
    tracker.log(user, book[0], [AddProgress(40)])
    tracker.log(user, song[0], [AddProgress(1)])
    tracker.log(user, show[0], [Rate(4.5)])
    tracker.log(user, show[0], [AddNote("great finale")])
    tracker.log(user, show[0], [SetStatus("completed")])
    first = tracker.history(user, show[0])[0]
    tracker.correct(user, first.id, SetProgress(20))
    tracker.roll_back(user, show[0], to_version=2)
    played = tracker.history(user, song[0])[0]
    tracker.correct(user, played.id, AddProgress(2))
    tracker.log(user, song[0], [Rate(4)])
    tracker.retract(user, played.id)
    tracker.log(user, show[0], [SetStatus("paused")])
    tracker.remove(user, show[0])
    assert [item["summary"] for item in timeline_of(db, user)] == [
        f"Watched episode 13 of {show[1]}", f"Read to page 40 of {book[1]}", "Played it (1 play so far)",
        "Rated 4.5", "Noted: great finale", "Finished", f"Corrected entry {first.id} to: episode 20",
        "Restored to how it was at version 2", f"Corrected entry {played.id} to: +2 plays", "Rated 4",
        f"Retracted entry {played.id}", "Paused", "Removed from the board"]


def test_each_write_keeps_the_tracker_object_of_each_state_it_went_through(db, tracker, user, show):
    tracker.log(user, show[0], [SetProgress(4), Rate(3.5)])
    with db.read() as conn:
        kept = conn.execute(sa.text("SELECT tracker::text FROM tracker_versions WHERE user_id = :u "
                                    "ORDER BY version"), {"u": user}).scalars().all()
    items = timeline_of(db, user)  # oldest first
    moved_by_the_clock = ("release_date", "released")  # added to the kept object when it is read
    assert [json.loads(state) for state in kept] == [
        {name: value for name, value in item["state"].items() if name not in moved_by_the_clock} for item in items]
    assert all(set(moved_by_the_clock) <= set(item["state"]) for item in items)
    assert [(item["state"]["progress"], item["state"]["rating"]) for item in items] == [(4, None), (4, 3.5)]