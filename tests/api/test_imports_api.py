"""Imports through the real Flask stack: a file in, previewed, landed whole, listed, tagged on its
entries, undone; and every file or request it refuses, with nothing appended."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from progress_service import queue
from tests.api.test_catalog import admin, headers_for  # noqa: F401 (fixtures)
from tests.helpers import log, problem_of
from tests.import_files import goodreads, read, spotify, to_read

SAMPLES = Path(__file__).parent.parent / "samples" / "imports"
CSV = {"Content-Type": "text/csv"}
JSON = {"Content-Type": "application/json"}


def post_import(client, headers, user, body: bytes, format_: str, *, dry_run: bool | None = None,
                content_type: dict | None = None):
    query = {"format": format_, **({"dry_run": str(dry_run).lower()} if dry_run is not None else {})}
    return client.post(f"/api/progress/{user['id']}/imports", query_string=query, data=body,
                       headers={**headers, **(content_type or (CSV if format_ == "goodreads" else JSON))})


def entries(client, headers, user) -> list[dict]:
    return client.get(f"/api/progress/{user['id']}", query_string={"limit": 200}, headers=headers).json["items"]


def board(client, headers, user) -> dict[str, dict]:
    """Every tracker of the user by its title's name."""
    columns = client.get(f"/api/progress/{user['id']}/trackers", headers=headers).json
    return {tracker["title"]["name"]: tracker for column in columns.values() for tracker in column}


def test_a_goodreads_export_lands_whole_with_its_titles_its_skipped_row_and_every_entry_tagged(client, register):
    user, headers = register()
    answer = post_import(client, headers, user, (SAMPLES / "goodreads.csv").read_bytes(), "goodreads")
    assert answer.status_code == 201, answer.json
    imported = answer.json
    assert answer.headers["Location"] == f"/api/progress/{user['id']}/imports/{imported['import_id']}"
    assert (imported["format"], imported["dry_run"], imported["state"], imported["rows"]) == \
        ("goodreads", False, "done", 6)
    # the sample's books are made up: each becomes one of the user's own books, with its pages
    assert sorted(t["name"] for t in imported["titles_created"]) == [
        "A Quiet Orbit", "Glass Meridian", "Paper Rivers", "Salt and Iron", "The Lantern Keeper"]
    assert imported["titles_matched"] == [] and all(t["own"] and t["kind"] == "book" for t in imported["titles_created"])
    assert [row["row"] for row in imported["skipped"]] == [6]
    assert "2021/13/40" in imported["skipped"][0]["reason"]
    trackers = board(client, headers, user)
    lantern = trackers["The Lantern Keeper"]
    assert (lantern["status"], lantern["progress"], lantern["total"], lantern["rating"]) == ("completed", 312, 312, 4.0)
    assert lantern["completed_at"].startswith("2021-03-14") and lantern["notes"][0].startswith("Slow to start")
    rivers = trackers["Paper Rivers"]  # read twice, rated 5
    assert (rivers["times_completed"], rivers["pass"], rivers["rating"]) == (2, 2, 5.0)
    assert trackers["Salt and Iron"]["status"] == "planned" and trackers["A Quiet Orbit"]["status"] == "in_progress"
    made = entries(client, headers, user)
    assert len(made) == imported["entries"]
    assert {json.dumps(e["metadata"]["import"], sort_keys=True) for e in made} >= {json.dumps(
        {"id": imported["import_id"], "format": "goodreads", "row": 1}, sort_keys=True)}
    assert all(e["metadata"]["import"]["id"] == imported["import_id"] for e in made)
    assert {e["metadata"]["import"]["row"] for e in made} == {1, 2, 3, 4, 5}
    # the import is listed and can be read back
    listed = client.get(f"/api/progress/{user['id']}/imports", headers=headers).json["items"]
    assert [i["import_id"] for i in listed] == [imported["import_id"]]
    one = client.get(f"/api/progress/{user['id']}/imports/{imported['import_id']}", headers=headers).json
    assert (one["state"], one["progress"], one["entries"], one["undone_at"]) == ("done", 100, imported["entries"], None)
    assert one["skipped"] == imported["skipped"] and one["titles_created"] == imported["titles_created"]


def test_rows_match_catalog_titles_whatever_their_case_accents_and_punctuation(client, register):
    user, headers = register()
    file = goodreads(read("NINETEEN EIGHTY FOUR", "george orwell", on="2020/01/10", rating=5, year=1949),
                     read("Jane Eyre!", "Charlotte Bronte", on="2020/02/01"),
                     to_read("Animal Farm", "George Orwell", added="2020/03/01", year=1999))  # another year: not it
    imported = post_import(client, headers, user, file, "goodreads").json
    matched = {t["name"]: t for t in imported["titles_matched"]}
    assert set(matched) == {"Nineteen Eighty-Four", "Jane Eyre"}
    assert not any(t["own"] for t in matched.values())
    assert [t["name"] for t in imported["titles_created"]] == ["Animal Farm"]
    catalog = client.get("/api/titles", query_string={"q": "Nineteen Eighty-Four", "kind": "book"}).json["items"][0]
    assert matched["Nineteen Eighty-Four"]["title_id"] == catalog["id"]
    orwell = board(client, headers, user)["Nineteen Eighty-Four"]
    assert (orwell["status"], orwell["progress"], orwell["rating"]) == ("completed", 328, 5.0)  # the catalog's 328 pages


def test_a_dry_run_appends_nothing_makes_no_title_and_previews_what_the_import_then_does(client, register):
    user, headers = register()
    file = (SAMPLES / "goodreads.csv").read_bytes()
    preview = post_import(client, headers, user, file, "goodreads", dry_run=True)
    assert preview.status_code == 200 and preview.json["import_id"] is None and preview.json["dry_run"] is True
    assert entries(client, headers, user) == []
    assert client.get(f"/api/progress/{user['id']}/titles", headers=headers).json["items"] == []
    assert client.get(f"/api/progress/{user['id']}/imports", headers=headers).json["items"] == []
    done = post_import(client, headers, user, file, "goodreads").json

    def said(answer):  # what a person reads in the preview, without the ids of titles made anew
        return [(c["title"]["name"], c["before"], {key: c["after"][key] for key in
                                                   ("status", "progress", "total", "rating", "notes", "times_completed")})
                for c in answer["changes"]]
    assert said(preview.json) == said(done) and len(done["changes"]) == 5
    assert preview.json["entries"] == done["entries"] and preview.json["skipped"] == done["skipped"]


def test_importing_the_same_file_again_appends_nothing_and_a_newer_export_only_what_is_new(client, register):
    user, headers = register()
    first = spotify(("2024-03-01 07:42", "Queen", "Bohemian Rhapsody"), ("2024-03-02 08:00", "Queen", "Bohemian Rhapsody"))
    assert post_import(client, headers, user, first, "spotify").json["entries"] == 2
    again = post_import(client, headers, user, first, "spotify")
    assert again.status_code == 201 and again.json["entries"] == 0 and again.json["changes"] == []
    newer = spotify(("2024-03-01 07:42", "Queen", "Bohemian Rhapsody"), ("2024-03-02 08:00", "Queen", "Bohemian Rhapsody"),
                    ("2024-03-05 19:30", "Queen", "Bohemian Rhapsody"))
    third = post_import(client, headers, user, newer, "spotify").json
    assert third["entries"] == 1
    [change] = third["changes"]
    assert (change["before"]["progress"], change["after"]["progress"]) == (2, 3)
    assert len(entries(client, headers, user)) == 3
    assert board(client, headers, user)["Bohemian Rhapsody"]["progress"] == 3


def test_undoing_an_import_retracts_its_entries_and_keeps_what_was_logged_by_hand(client, register):
    user, headers = register()
    file = spotify(("2024-03-01 07:42", "Queen", "Bohemian Rhapsody"), ("2024-03-02 08:00", "Queen", "Bohemian Rhapsody"))
    imported = post_import(client, headers, user, file, "spotify").json
    song_id = imported["titles_matched"][0]["title_id"]
    # one more play, logged by hand, that happened between the two imported ones
    by_hand = log(client, headers, title_id=song_id, delta=1, occurred_at="2024-03-01T12:00:00Z").json
    base = f"/api/progress/{user['id']}/imports/{imported['import_id']}"
    preview = client.delete(base, query_string={"dry_run": "true"}, headers=headers)
    assert preview.status_code == 200 and preview.json["undo_id"] is None
    [change] = preview.json["changes"]
    assert (change["before"]["progress"], change["after"]["progress"]) == (3, 1)
    assert board(client, headers, user)["Bohemian Rhapsody"]["progress"] == 3  # the preview changed nothing
    undone = client.delete(base, headers=headers).json
    made = [e["id"] for e in entries(client, headers, user) if "import" in e["metadata"]]
    assert sorted(undone["entries"]) == sorted(made) and by_hand["id"] not in undone["entries"]
    assert board(client, headers, user)["Bohemian Rhapsody"]["progress"] == 1
    assert client.get(base, headers=headers).json["undo_id"] == undone["undo_id"]
    assert "already been undone" in problem_of(client.delete(base, headers=headers), 409)["detail"]
    # the undo's retractions say which undo made them; undoing the undo brings the import back
    retractions = [e for e in entries(client, headers, user) if e["type"] == "entry_retracted"]
    assert {e["metadata"]["undo_id"] for e in retractions} == {undone["undo_id"]}
    taken_back = client.delete(f"/api/progress/{user['id']}/undo/{undone['undo_id']}", headers=headers)
    assert taken_back.status_code == 200, taken_back.json
    assert board(client, headers, user)["Bohemian Rhapsody"]["progress"] == 3
    assert client.get(base, headers=headers).json["undone_at"] is None


@pytest.mark.parametrize("format_, body, content_type, said", [
    ("goodreads", b'[{"endTime": "2024-03-01 07:42"}]', CSV, "JSON, not a Goodreads library export"),
    ("spotify", (SAMPLES / "trakt.json").read_bytes(), JSON, "is a Trakt history (JSON), not a Spotify"),
    ("goodreads", b"", CSV, "The file is empty"),
    ("trakt", b"   \n", JSON, "The file is empty"),
    ("goodreads", b"Title,Author,Exclusive Shelf\nDune,Frank Herbert,read\n", CSV, "no column My Rating"),
    ("spotify", b'{"endTime": "2024-03-01 07:42", "artistName": "Queen", "trackName": "Imagine", "msPlayed": 90000}',
     JSON, "not a list"),
    ("spotify", b'[{"endTime": "2099-03-01 07:42", "artistName": "Queen", "trackName": "Imagine", "msPlayed": 90000}]',
     JSON, "still to come"),
])
def test_a_file_that_cannot_be_imported_is_refused_in_words_and_nothing_is_appended(client, register, format_, body,
                                                                                     content_type, said):
    user, headers = register()
    refused = problem_of(post_import(client, headers, user, body, format_, content_type=content_type), 422)
    assert refused["title"] == "Import rejected" and said in refused["detail"], refused["detail"]
    assert entries(client, headers, user) == []
    assert client.get(f"/api/progress/{user['id']}/imports", headers=headers).json["items"] == []
    assert client.get(f"/api/progress/{user['id']}/titles", headers=headers).json["items"] == []


def test_an_unknown_format_a_misspelt_parameter_and_a_wrong_content_type_are_refused(client, register):
    user, headers = register()
    file = (SAMPLES / "goodreads.csv").read_bytes()
    unknown = problem_of(post_import(client, headers, user, file, "letterboxd"), 400)
    assert "format" in unknown["errors"]
    misspelt = client.post(f"/api/progress/{user['id']}/imports", query_string={"format": "goodreads", "dryrun": "true"},
                           data=file, headers={**headers, **CSV})
    assert "dryrun" in problem_of(misspelt, 400)["detail"]
    wrong = problem_of(post_import(client, headers, user, file, "goodreads", content_type={"Content-Type": "text/plain"}),
                       415)
    assert "text/csv or application/json" in wrong["detail"]
    assert entries(client, headers, user) == []


def test_a_file_past_the_import_limit_is_a_413_naming_the_limit_and_other_routes_keep_theirs(client, register, app):
    user, headers = register()
    limit = app.config["PROGRESS_SERVICE"].import_max_bytes
    huge = b"Title,Author\n" + b"x" * (50 * 1024 * 1024)  # a 50 MB file
    refused = problem_of(post_import(client, headers, user, huge, "goodreads"), 413)
    assert f"{limit:,} bytes" in refused["detail"] and limit == 20_971_520
    # a 2 MB file is past the 1 MiB of every other route, and well within an import's
    two_mb = json.dumps([{"endTime": f"2024-03-{1 + n // 1440 % 28:02} {n // 60 % 24:02}:{n % 60:02}",
                          "artistName": "Queen", "trackName": "Bohemian Rhapsody", "msPlayed": 180_000,
                          "reasonEnd": "trackdone" * 20} for n in range(6000)]).encode()
    assert len(two_mb) > 1_048_576
    assert post_import(client, headers, user, two_mb, "spotify", dry_run=True).status_code == 200
    assert "1,048,576 bytes" in problem_of(client.post("/api/progress/log", data=two_mb, headers={**headers, **JSON}),
                                           413)["detail"]
    assert entries(client, headers, user) == []


def test_imports_are_ones_own_an_admin_reads_them_and_writes_none(client, register, admin):  # noqa: F811
    owner, owner_headers = register()
    other, other_headers = register()
    file = spotify(("2024-03-01 07:42", "Queen", "Bohemian Rhapsody"))
    imported = post_import(client, owner_headers, owner, file, "spotify").json
    base = f"/api/progress/{owner['id']}/imports"
    problem_of(post_import(client, other_headers, owner, file, "spotify"), 403)
    problem_of(client.get(base, headers=other_headers), 403)
    problem_of(client.get(f"{base}/{imported['import_id']}", headers=other_headers), 403)
    problem_of(client.delete(f"{base}/{imported['import_id']}", headers=other_headers), 403)
    # another's import is not found among one's own
    problem_of(client.get(f"/api/progress/{other['id']}/imports/{imported['import_id']}", headers=other_headers), 404)
    problem_of(client.get(f"/api/progress/{other['id']}/imports/not-an-id", headers=other_headers), 404)
    assert [i["import_id"] for i in client.get(base, headers=admin).json["items"]] == [imported["import_id"]]
    problem_of(post_import(client, admin, owner, file, "spotify"), 403)
    problem_of(client.delete(f"{base}/{imported['import_id']}", headers=admin), 403)
    assert len(entries(client, owner_headers, owner)) == 1


def test_a_file_of_more_than_ten_thousand_rows_is_queued_and_its_import_shows_how_far_it_got(client, register, app):
    user, headers = register()
    plays = [(f"2024-{1 + n // 28 // 24 % 12:02}-{1 + n // 24 % 28:02} {n % 24:02}:{n % 60:02}", "Queen",
              "Bohemian Rhapsody") for n in range(10_001)]
    queued = post_import(client, headers, user, spotify(*plays), "spotify")
    assert queued.status_code == 202, queued.json
    assert (queued.json["state"], queued.json["rows"], queued.json["entries"]) == ("queued", 10_001, 0)
    base = f"/api/progress/{user['id']}/imports/{queued.json['import_id']}"
    assert client.get(base, headers=headers).json["state"] == "queued"
    assert entries(client, headers, user) == []
    config = app.config["PROGRESS_SERVICE"]
    asyncio.run(queue.work(config, config.database_url, wait=False))  # the worker serve runs beside the app
    landed = client.get(base, headers=headers).json
    assert (landed["state"], landed["progress"], landed["entries"]) == ("done", 100, 10_001)
    assert board(client, headers, user)["Bohemian Rhapsody"]["progress"] == 10_001


def test_an_admins_purge_takes_the_imports_with_the_entries_so_a_file_lands_anew(client, register, admin):  # noqa: F811
    user, headers = register()
    file = spotify(("2024-03-01 07:42", "Queen", "Bohemian Rhapsody"))
    post_import(client, headers, user, file, "spotify")
    purged = client.delete(f"/api/progress/user/{user['id']}/logs", query_string={"purge": "true"}, headers=admin)
    assert purged.json == {"purged": 1}
    assert client.get(f"/api/progress/{user['id']}/imports", headers=headers).json["items"] == []
    assert post_import(client, headers, user, file, "spotify").json["entries"] == 1


def test_an_entry_logged_by_hand_says_its_request_id_and_nothing_of_its_actor(client, register, song):
    user, headers = register()
    entry = client.post("/api/progress/log", json={"title_id": song[0], "delta": 1},
                        headers={**headers, "X-Request-Id": "req-42"}).json
    assert entry["metadata"] == {"request_id": "req-42"}
    [read] = entries(client, headers, user)
    assert read["metadata"] == {"request_id": "req-42"}


def test_numbers_past_what_the_log_holds_are_skipped_or_left_out_never_a_500(client, register):
    user, headers = register()
    title = {"kind": "book", "name": "The Endless Ledger", "creator": "Ada Vale", "year": 10**12,
             "total_units": 10**12, "unit": "page", "own": True}
    file = json.dumps([
        {"event": {"id": 1, "version": 1, "type": "tracker_added", "data": {"status": "planned"},
                   "occurred_at": "2024-01-01T10:00:00Z"}, "title": title},
        {"event": {"id": 2, "version": 2, "type": "progress_logged", "data": {"progress": 10**15},
                   "occurred_at": "2024-01-02T10:00:00Z"}, "title": title},
    ]).encode()
    imported = post_import(client, headers, user, file, "progress-service")
    assert imported.status_code == 201, imported.json
    [made] = imported.json["titles_created"]
    assert (made["name"], made["year"]) == ("The Endless Ledger", None)  # a year no calendar has: left out
    [skipped] = imported.json["skipped"]
    assert skipped["row"] == 2 and "more than an entry can hold" in skipped["reason"]
    assert board(client, headers, user)["The Endless Ledger"]["status"] == "planned"


def test_a_row_with_a_nul_character_is_skipped_and_the_rest_imported(client, register):
    user, headers = register()
    file = goodreads(read("Bad\x00Name", "Ada Vale", on="2020/01/01"), read("Good Name", "Ada Vale", on="2020/01/02"),
                     read("Noted", "Ada Vale", on="2020/01/03", review="fine\x00print"))
    imported = post_import(client, headers, user, file, "goodreads")
    assert imported.status_code == 201, imported.json
    assert [(s["row"], "NUL character" in s["reason"]) for s in imported.json["skipped"]] == [(1, True), (3, True)]
    assert sorted(board(client, headers, user)) == ["Good Name", "Noted"]  # the note's row keeps its other entries
