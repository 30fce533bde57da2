"""Imports on real PostgreSQL: the SQL copy of the matching key, own titles of the right kind, a
busy history carried from one account to another through the export, a file imported twice at
once, and a queued import whose job dies: tried again, it lands once."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from progress_service import catalog, queue
from progress_service.config import Config
from progress_service.domain.imports import normalized, parse
from progress_service.domain.rules import AddNote, AddProgress, Rate, Restart, SetProgress, SetStatus
from progress_service.imports import Imports
from progress_service.projections import tracker_versions
from progress_service.store import Together
from tests.import_files import spotify

T0 = datetime(2026, 1, 5, 20, 0, tzinfo=timezone.utc)


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def imports(tracker) -> Imports:
    return Imports(tracker)


def board(db, user_id: int) -> dict[tuple[str, str], dict]:
    """Every tracker on the user's board by its title's kind and name: what a person sees of it."""
    with db.read() as conn:
        rows = conn.execute(sa.text("""
            SELECT t.kind, t.name, s.status, s.progress, s.rating, s.notes, s.times_completed, s.pass
            FROM tracker_state s JOIN titles t ON t.id = s.title_id WHERE s.user_id = :user_id AND s.active
        """), {"user_id": user_id}).mappings()
        return {(row["kind"], row["name"]): {"status": row["status"], "progress": row["progress"],
                                             "rating": row["rating"], "notes": list(row["notes"]),
                                             "times_completed": row["times_completed"], "pass": row["pass"]}
                for row in rows}


def entry_count(db, user_id: int) -> int:
    with db.read() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events WHERE user_id = :u"), {"u": user_id}).scalar_one()


@pytest.mark.parametrize("text", [
    "Amélie", "AMELIE", "Jane Eyre!", "Charlotte Brontë", "Nineteen Eighty-Four", "l'Étranger", "Straße",
    "  two   spaces\tand a tab ", "“Quoted” — dashed… · dotted", "Ça, c'est (très) bien?", "Zoë & Chloé: #1",
    "ﬁnal ligature", "Ｆｕｌｌｗｉｄｔｈ", "mañana", "Dvořák", "", "100% [draft] {x} <y> |z| ~w~ ^v^ `u` _t_ @s $r *q +p =o",
])
def test_the_sql_matching_key_says_what_normalized_says(db, text):
    with db.read() as conn:
        assert conn.execute(sa.text("SELECT title_key(:text)"), {"text": text}).scalar_one() == normalized(text)


def test_unmatched_rows_become_own_titles_of_their_kind_once_each(db, imports, user):
    history = json.dumps([
        {"watched_at": "2024-01-05T20:15:00.000Z", "type": "episode", "show": {"title": "Harbour Nights", "year": 2021},
         "episode": {"season": 1, "number": 1}},
        {"watched_at": "2024-01-06T20:15:00.000Z", "type": "episode", "show": {"title": "harbour nights", "year": 2021},
         "episode": {"season": 1, "number": 2}},
    ]).encode()
    shows = imports.start(user, "trakt", history)
    songs = imports.start(user, "spotify", spotify(("2024-03-01 07:42", "Mira Sol", "Tin Roof Rain")))
    assert [(t["kind"], t["name"], t["own"]) for t in shows.titles_created] == [("tv_show", "Harbour Nights", True)]
    assert [(t["kind"], t["name"], t["creator"]) for t in songs.titles_created] == [("song", "Tin Roof Rain", "Mira Sol")]
    with db.read() as conn:
        own = catalog.own_titles(conn, user)["items"]
    assert sorted((t["kind"], t["unit"]) for t in own) == [("song", "play"), ("tv_show", "episode")]
    assert board(db, user)[("tv_show", "Harbour Nights")]["progress"] == 2
    # a later file finds the own titles made before, and makes none
    again = imports.start(user, "spotify", spotify(("2024-04-01 07:42", "MIRA SOL", "Tin Roof Rain")))
    assert again.titles_created == [] and [t["title_id"] for t in again.titles_matched] == \
        [t["title_id"] for t in songs.titles_created]


def _busy_history(tracker, db, user: int, show: tuple[int, int], book: tuple[int, int], song: tuple[int, None]) -> None:
    """Corrections, retractions (one of them undone), a rollback, a new pass, a removal and an own title."""
    show_id, show_total = show
    tracker.log(user, show_id, [SetProgress(10)], occurred_at=at(1))
    second = tracker.log(user, show_id, [SetProgress(20)], occurred_at=at(2)).entries[0]
    tracker.correct(user, second.id, SetProgress(30))  # counts as 30 from now on
    tracker.log(user, show_id, [Rate(4)], occurred_at=at(4))
    tracker.log(user, show_id, [AddNote("rewatch soon")], occurred_at=at(5))
    tracker.log(user, show_id, [SetStatus("completed")], occurred_at=at(6))  # all episodes: the first completion
    tracker.log(user, show_id, [Restart()], occurred_at=at(7))  # pass 2
    fifth = tracker.log(user, show_id, [SetProgress(5)], occurred_at=at(8)).entries[0]
    tracker.retract(user, fifth.id)
    tracker.log(user, show_id, [SetProgress(12)], occurred_at=at(10))

    book_id, _ = book
    tracker.log(user, book_id, [SetProgress(50)], occurred_at=at(1))
    tracker.log(user, book_id, [Rate(3)], occurred_at=at(2))
    tracker.log(user, book_id, [SetProgress(100)], occurred_at=at(3))
    tracker.roll_back(user, book_id, to_version=2)  # back to page 50, rated 3
    tracker.log(user, book_id, [AddNote("slow middle")], occurred_at=at(5))

    song_id, _ = song
    for hour in (1, 2, 3):
        tracker.log(user, song_id, [AddProgress(1)], occurred_at=at(hour))
    plays = tracker.history(user, song_id)
    tracker.correct(user, plays[1].id, AddProgress(2))  # the second "play" was two: 4 plays
    retraction = tracker.retract(user, plays[2].id).entries[0]  # 3 plays
    tracker.retract(user, retraction.id)  # taken back: 4 plays again

    with db.transaction() as conn:
        running = catalog.create(conn, {"kind": "custom", "name": "Morning runs", "unit": "km", "creator": "", "description": ""}, owner_id=user)
        album = conn.execute(sa.text("SELECT id FROM titles WHERE kind = 'album' AND owner_id IS NULL ORDER BY id "
                                     "LIMIT 1")).scalar_one()
    tracker.log(user, running["id"], [AddProgress(Decimal("5.25"))], occurred_at=at(1))
    tracker.log(user, running["id"], [AddProgress(Decimal("2.5"))], occurred_at=at(2))
    tracker.log(user, album, [SetStatus("planned")], occurred_at=at(1))
    tracker.remove(user, album)  # off the board: it stays off in the other account


def _export(db, user: int) -> bytes:
    """The JSON export, as GET .../export?format=json writes it."""
    with db.read() as conn:
        return ("[" + ",".join(row.item for row in tracker_versions.export(conn, user)) + "]").encode()


def test_an_own_export_imported_into_a_new_account_gives_the_same_trackers_title_for_title(
        db, tracker, imports, make_user, show, book, song):
    mine, new_account = make_user(), make_user()
    _busy_history(tracker, db, mine, show, book, song)
    imported = imports.start(new_account, "progress-service", _export(db, mine))
    assert imported.skipped == [] and imported.entries == entry_count(db, mine)
    assert [(t["kind"], t["name"]) for t in imported.titles_created] == [("custom", "Morning runs")]
    before, after = board(db, mine), board(db, new_account)
    assert after == before
    show_name = next(name for kind, name in before if kind == "tv_show")
    book_name = next(name for kind, name in before if kind == "book")
    song_name = next(name for kind, name in before if kind == "song")
    # worked out by hand from the history above
    assert after[("tv_show", show_name)] == {"status": "in_progress", "progress": 12, "rating": 4,
                                             "notes": ["rewatch soon"], "times_completed": 1, "pass": 2}
    assert after[("book", book_name)] == {"status": "in_progress", "progress": 50, "rating": 3,
                                          "notes": ["slow middle"], "times_completed": 0, "pass": 1}
    assert after[("song", song_name)]["progress"] == 4
    assert after[("custom", "Morning runs")]["progress"] == Decimal("7.75")
    assert len(after) == 4  # the removed album is not on the board
    with db.read() as conn:
        unit = conn.execute(sa.text("SELECT unit FROM titles WHERE owner_id = :u"), {"u": new_account}).scalar_one()
    assert unit == "km"
    # the same export once more adds nothing
    assert imports.start(new_account, "progress-service", _export(db, mine)).entries == 0


def test_a_newer_own_export_brings_a_correction_of_an_entry_imported_before(db, tracker, imports, make_user, show):
    mine, new_account = make_user(), make_user()
    first = tracker.log(mine, show[0], [SetProgress(3)], occurred_at=at(1)).entries[0]
    imports.start(new_account, "progress-service", _export(db, mine))
    tracker.correct(mine, first.id, SetProgress(7))  # after the first export
    newer = imports.start(new_account, "progress-service", _export(db, mine))
    assert newer.entries == 1 and newer.skipped == []
    assert board(db, new_account) == board(db, mine)
    assert next(iter(board(db, new_account).values()))["progress"] == 7


def test_the_same_file_imported_twice_at_once_lands_once(db, imports, user):
    file = spotify(*[(f"2024-03-01 07:{minute:02}", "Queen", "Bohemian Rhapsody") for minute in range(40)])
    barrier = threading.Barrier(2)
    answers = []

    def run():
        barrier.wait()
        answers.append(imports.start(user, "spotify", file).entries)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [0, 40] and entry_count(db, user) == 40


def test_a_queued_import_whose_job_dies_is_tried_again_and_lands_once(db, imports, user, monkeypatch, tmp_path):
    monkeypatch.setattr("progress_service.imports.QUEUED_ROWS", 2)  # three rows wait for the queue
    file = spotify(*[(f"2024-03-0{day} 07:00", "Queen", "Bohemian Rhapsody") for day in (1, 2, 3)])
    queued = imports.start(user, "spotify", file, defer=queue.ImportDeferrer(db.url))
    assert queued.state == "queued" and imports.get(user, queued.import_id)["state"] == "queued"
    commit, deaths = Together.commit, []

    def dies_once(self, **kwargs):  # the worker dies in the middle of the import, once
        if not deaths:
            deaths.append(time.monotonic())
            raise ConnectionError("the worker lost its database in the middle of the import")
        return commit(self, **kwargs)
    monkeypatch.setattr(Together, "commit", dies_once)
    config = Config(database_url=db.url, data_dir=tmp_path)
    deadline = time.monotonic() + 60
    while imports.get(user, queued.import_id)["state"] != "done" and time.monotonic() < deadline:
        asyncio.run(queue.work(config, db.url, wait=False))  # the queue tries it again after 5 s
        time.sleep(0.5)
    assert deaths and imports.get(user, queued.import_id)["state"] == "done"
    assert entry_count(db, user) == 3 and board(db, user)[("song", "Bohemian Rhapsody")]["progress"] == 3
    # a job that dies after its import committed, tried again, finds it landed and appends nothing
    assert imports.carry_out_queued(user, queued.import_id) is None
    assert imports.carry_out(user, parse("spotify", file, now=datetime.now(timezone.utc))).entries == 0
    assert entry_count(db, user) == 3
