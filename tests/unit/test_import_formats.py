"""The import formats (issue 15) on the pure domain: what each file's rows become, folded as the
service folds them, which rows are skipped and why, which files are refused, and fingerprints."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from progress_service.domain.events import (
    EntryCorrected, NoteAdded, PassStarted, ProgressLogged, RatingSet, Recorded, StatusChanged, TrackerAdded,
)
from progress_service.domain.imports import Parsed, TitleRef, normalized, parse, with_total
from progress_service.domain.tracker import fold
from progress_service.errors import ImportRejected

SAMPLES = Path(__file__).parent.parent / "samples" / "imports"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
HEADER = ("Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,"
          "Binding,Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,"
          "Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies\n")


def day(year, month, date, hour=0, minute=0):
    return datetime(year, month, date, hour, minute, tzinfo=timezone.utc)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def by_title(parsed: Parsed) -> dict[str, list]:
    titles: dict[str, list] = {}
    for entry in parsed.entries:
        titles.setdefault(entry.title.name, []).append(entry)
    return titles


def tracker(entries, total=None):
    """The tracker the entries make, appended in the order given and folded as the service folds,
    with the title's total put on them (as the service does once it knows the title)."""
    return fold([Recorded(version, with_total(entry.event, total), entry.occurred_at)
                 for version, entry in enumerate(entries, start=1)])


def goodreads_row(title="Night Ferry", author="Ada Marsh", rating="0", pages="200", published="2001",
                  original="1999", read="", added="2020/01/02", shelf="to-read", review="", notes="", count="0"):
    return (f'1,{title},{author},"Marsh, Ada",,"=""""","=""""",{rating},3.9,Press,Paperback,{pages},{published},'
            f'{original},{read},{added},,,{shelf},"{review}",,"{notes}",{count},0\n')


def json_file(format: str, *items) -> Parsed:
    return parse(format, json.dumps(list(items)).encode(), now=NOW)


def goodreads(*rows: str) -> Parsed:
    return parse("goodreads", (HEADER + "".join(rows)).encode(), now=NOW)


# -- goodreads ---------------------------------------------------------------------------------------

def test_the_goodreads_sample_gives_each_book_its_tracker():
    parsed = parse("goodreads", sample("goodreads.csv"), now=NOW)
    assert (parsed.format, parsed.rows) == ("goodreads", 6)
    books = by_title(parsed)
    assert set(books) == {"The Lantern Keeper", "Salt and Iron", "A Quiet Orbit", "Paper Rivers", "Glass Meridian"}

    lantern = tracker(books["The Lantern Keeper"], total=312)
    assert (lantern.status, lantern.progress, lantern.rating, lantern.times_completed) == ("completed", 312, 4.0, 1)
    assert lantern.completed_at == day(2021, 3, 14)
    assert lantern.notes == ("Slow to start, then I could not put it down.\nThe ending stays with you.",)
    assert books["The Lantern Keeper"][0].title == TitleRef("book", "The Lantern Keeper", "Mara Quill", 2015, 312)

    planned = tracker(books["Salt and Iron"], total=480)
    assert (planned.status, planned.progress, planned.rating, planned.started_at) == ("planned", 0, None, None)

    reading = tracker(books["A Quiet Orbit"], total=256)
    assert (reading.status, reading.started_at, reading.rating) == ("in_progress", day(2023, 1, 5), None)
    assert books["A Quiet Orbit"][0].title.year == 2020  # no original year: the year published

    twice = tracker(books["Paper Rivers"], total=198)
    assert (twice.status, twice.times_completed, twice.pass_number, twice.rating) == ("completed", 2, 2, 5.0)
    assert twice.notes == ("Reread every autumn.",)

    unrated = tracker(books["Glass Meridian"])
    assert (unrated.status, unrated.rating, unrated.completed_at) == ("completed", None, day(2020, 8, 15))
    assert [skipped.row for skipped in parsed.skipped] == [6]
    assert "2021/13/40" in parsed.skipped[0].reason


def test_a_read_book_is_planned_when_added_then_completed_on_the_day_it_was_read():
    parsed = goodreads(goodreads_row(shelf="read", read="2020/03/04", added="2020/01/02", count="1"))
    assert [(entry.event, entry.occurred_at) for entry in parsed.entries] == [
        (TrackerAdded(status="planned", total=200), day(2020, 1, 2)),
        (StatusChanged(status="completed", total=200), day(2020, 3, 4)),
    ]
    state = tracker(parsed.entries, total=200)
    assert (state.progress, state.started_at, state.completed_at) == (200, day(2020, 3, 4), day(2020, 3, 4))


def test_a_book_read_before_it_was_shelved_starts_completed():
    parsed = goodreads(goodreads_row(shelf="read", read="2015/06/01", added="2020/01/02", count="1"))
    assert [(entry.event, entry.occurred_at) for entry in parsed.entries] == [
        (TrackerAdded(status="completed", total=200), day(2015, 6, 1))]


def test_a_read_book_without_a_date_read_is_completed_on_the_day_it_was_added():
    parsed = goodreads(goodreads_row(shelf="read", added="2020/01/02", count="1"))
    assert tracker(parsed.entries, total=200).completed_at == day(2020, 1, 2)


def test_read_three_times_is_three_passes_each_completed():
    parsed = goodreads(goodreads_row(shelf="read", read="2021/05/05", count="3"))
    assert [entry.event for entry in parsed.entries][1:] == [
        StatusChanged(status="completed", total=200), PassStarted(number=2, total=200),
        StatusChanged(status="completed", total=200), PassStarted(number=3, total=200),
        StatusChanged(status="completed", total=200)]
    state = tracker(parsed.entries, total=200)
    assert (state.times_completed, state.pass_number, state.progress) == (3, 3, 200)


def test_a_rating_of_0_is_no_rating_and_1_to_5_is_that_rating():
    assert not any(isinstance(entry.event, RatingSet) for entry in goodreads(goodreads_row(rating="0")).entries)
    [rating] = [entry for entry in goodreads(goodreads_row(rating="3")).entries if isinstance(entry.event, RatingSet)]
    assert (rating.event, rating.occurred_at) == (RatingSet(rating=3.0), day(2020, 1, 2))


def test_the_review_and_the_private_notes_are_notes_with_goodreads_line_breaks_as_lines():
    parsed = goodreads(goodreads_row(review="Loved it.<br/><br />Again!", notes="lent to Sam"))
    assert [entry.event for entry in parsed.entries if isinstance(entry.event, NoteAdded)] == [
        NoteAdded(text="Loved it.\n\nAgain!"), NoteAdded(text="lent to Sam")]


def test_a_review_longer_than_a_note_is_kept_whole_in_several_notes():
    review = " ".join(["word"] * 900)  # 4,499 characters
    notes = [entry.event.text for entry in goodreads(goodreads_row(review=review)).entries
             if isinstance(entry.event, NoteAdded)]
    assert len(notes) == 3 and all(len(note) <= 2000 for note in notes)
    assert " ".join(notes) == review


def test_a_series_in_the_title_is_left_out_of_its_name():
    [entry] = goodreads(goodreads_row(title="\"Ember Road (The Ash Cycle, #2)\"")).entries
    assert entry.title.name == "Ember Road"


def test_no_pages_is_no_total_and_the_year_falls_back_to_the_year_published():
    [entry] = goodreads(goodreads_row(pages="", original="")).entries
    assert (entry.title.total, entry.title.year, entry.event) == (None, 2001, TrackerAdded(status="planned"))


@pytest.mark.parametrize("row, reason", [
    (goodreads_row(title=""), "No title in this row."),
    (goodreads_row(shelf="abandoned"), "The shelf 'abandoned' is none of to-read, currently-reading, read"),
    (goodreads_row(shelf=""), "This row names no shelf (Exclusive Shelf)."),
    (goodreads_row(added=""), "This row has no date (Date Added) to put its entries at."),
    (goodreads_row(added="02/01/2020"), "The Date Added '02/01/2020' is not a date like 2019/05/01."),
    (goodreads_row(rating="7"), "The My Rating '7' is not 0 to 5."),
    (goodreads_row(shelf="read", count="twice"), "The Read Count 'twice' is not 0 to 1000."),
    ('1,Short Row,Someone\n', "This row has 3 fields where the header has 24"),
])
def test_a_row_that_cannot_be_read_is_skipped_with_its_reason_and_the_rest_imported(row, reason):
    parsed = goodreads(goodreads_row(title="Kept"), row)
    assert parsed.rows == 2
    assert [skipped.row for skipped in parsed.skipped] == [2]
    assert parsed.skipped[0].reason.startswith(reason)
    assert {entry.title.name for entry in parsed.entries} == {"Kept"}


@pytest.mark.parametrize("body, said", [
    (b"", "The file is empty"),
    (b"  \n", "The file is empty"),
    (b'[{"watched_at": "2024-01-01T00:00:00Z"}]', "This file is JSON, not a Goodreads library export"),
    ((HEADER + goodreads_row()).encode("utf-16"), "The file is not UTF-8 text"),
    (b"Title,Author\nDune,Frank Herbert\n", "This Goodreads export has no column My Rating, Number of Pages"),
    (b"id,occurred_at,title\n1,2024-01-01,Dune\n", "This is not a Goodreads library export (CSV): its first row"),
    ((HEADER + goodreads_row(added="2027/01/01")).encode(), "Row 1 says it happened on 01 Jan 2027"),
    ((HEADER + ",,,\n").encode(), "The file has the Goodreads header row but no books under it"),
    ((HEADER + goodreads_row(review="x" * 200_000)).encode(), "The file cannot be read as CSV (field larger than"),
])
def test_a_file_goodreads_cannot_read_is_rejected_with_a_sentence_naming_why(body, said):
    with pytest.raises(ImportRejected) as rejected:
        parse("goodreads", body, now=NOW)
    assert rejected.value.detail.startswith(said)
    assert rejected.value.status == 422 and rejected.value.title == "Import rejected"


def test_a_byte_order_mark_and_windows_line_ends_read_as_the_same_file():
    plain = goodreads(goodreads_row(rating="4"))
    marked = parse("goodreads", ("\ufeff" + HEADER + goodreads_row(rating="4")).replace("\n", "\r\n").encode(),
                   now=NOW)
    assert marked.entries == plain.entries


def test_the_same_goodreads_row_in_a_newer_export_has_the_same_fingerprints_and_a_new_rating_a_new_one():
    before = goodreads(goodreads_row(shelf="read", read="2021/05/05", rating="3", count="1"))
    newer = goodreads(goodreads_row(title="Other", added="2022/02/02"),
                      goodreads_row(shelf="read", read="2021/05/05", rating="4", count="1"))
    old, new = {e.fingerprint for e in before.entries}, {e.fingerprint for e in newer.entries}
    [added] = [e for e in newer.entries if e.fingerprint not in old and e.title.name == "Night Ferry"]
    assert added.event == RatingSet(rating=4.0)
    assert len(old - new) == 1  # the rating of 3
    assert len({e.fingerprint for e in newer.entries}) == len(newer.entries)


def test_finishing_a_book_between_two_exports_adds_only_its_completion():
    reading = goodreads(goodreads_row(shelf="currently-reading", added="2021/04/01"))
    done = goodreads(goodreads_row(shelf="read", added="2021/04/01", read="2021/05/05", count="1"))
    old = {entry.fingerprint for entry in reading.entries}
    assert [entry.event for entry in done.entries if entry.fingerprint not in old] == [
        StatusChanged(status="completed", total=200)]


# -- what every format shares -------------------------------------------------------------------------

def test_an_unknown_format_is_rejected_naming_the_formats():
    with pytest.raises(ImportRejected, match="format is one of goodreads, trakt, spotify, progress-service"):
        parse("letterboxd", b"x", now=NOW)


@pytest.mark.parametrize("text, same", [
    ("Amélie", "amelie"), ("THE SHINING", "the shining"), ("Don't Look Now!", "don t look now"),
    ("Mötley Crüe", "motley crue"), ("  Spaced   Out ", "spaced out"), ("Café—Society…", "cafe society"),
    ("Ｆｕｌｌ　Ｗｉｄｔｈ", "full width"),
])
def test_normalized_sets_case_accents_and_punctuation_aside(text, same):
    assert normalized(text) == same


def test_a_title_key_is_its_normalized_name_and_creator_and_its_year():
    assert TitleRef("book", "Les Misérables", "Victor Hugo", 1862, None).key() == ("les miserables", "victor hugo",
                                                                                    1862)
    assert TitleRef("tv_show", "Dark", None, 2017, None).key() == ("dark", "", 2017)


def test_with_total_puts_the_titles_total_on_the_entries_that_carry_one():
    assert with_total(ProgressLogged(progress=12), 10) == ProgressLogged(progress=10, total=10)
    assert with_total(TrackerAdded(status="planned"), 8) == TrackerAdded(status="planned", total=8)
    assert with_total(RatingSet(rating=4.0), 8) == RatingSet(rating=4.0)
    assert with_total(EntryCorrected(entry_id=7, entry_version=1, change=ProgressLogged(progress=3)), 8) == \
        EntryCorrected(entry_id=7, entry_version=1, change=ProgressLogged(progress=3, total=8))


# -- trakt ------------------------------------------------------------------------------------------

def play(at="2024-01-05T20:15:00.000Z", show="Harbor Lights", year=2019, season=1, number=1, type_="episode"):
    return {"watched_at": at, "action": "watch", "type": type_, "show": {"title": show, "year": year},
            "episode": {"season": season, "number": number}}


def test_the_trakt_sample_gives_each_show_its_progress_and_a_rewatch_its_pass():
    parsed = parse("trakt", sample("trakt.json"), now=NOW)
    assert (parsed.format, parsed.rows) == ("trakt", 9)
    shows = by_title(parsed)
    harbor = shows["Harbor Lights"]
    assert harbor[0].title == TitleRef("tv_show", "Harbor Lights", None, 2019, None)
    assert [(entry.row, entry.event) for entry in harbor] == [
        (1, ProgressLogged(progress=1)), (2, ProgressLogged(progress=2)), (3, ProgressLogged(progress=3)),
        (4, ProgressLogged(progress=4)),  # season 2's first episode: after season 1's three
        (7, PassStarted(number=2)), (7, ProgressLogged(progress=1))]
    state = tracker(harbor, total=4)  # with the title's total the last episode completes the show
    assert (state.status, state.progress, state.times_completed, state.pass_number) == ("in_progress", 1, 1, 2)
    assert state.completed_at == day(2024, 1, 7, 19, 30)
    assert [(entry.event, entry.occurred_at) for entry in shows["Gardeners of Mars"]] == [
        (ProgressLogged(progress=1), day(2024, 1, 10, 22))]
    assert [(skipped.row, skipped.reason) for skipped in parsed.skipped] == [
        (5, "A movie play: a Trakt import brings episodes of shows, so this one is left out."),
        (6, "A special (season 0): specials are not among a show's counted episodes, so this play is left out."),
        (9, "No episode number in this item (episode.number)."),
    ]


def test_without_the_titles_total_a_show_stays_in_progress_at_its_furthest_episode():
    state = tracker(json_file("trakt", play(number=1), play(at="2024-01-06T20:00:00Z", number=2)).entries)
    assert (state.status, state.progress, state.started_at) == ("in_progress", 2, day(2024, 1, 5, 20, 15))


def test_a_later_season_counts_after_the_highest_episode_watched_of_each_earlier_one():
    parsed = json_file("trakt", play(season=1, number=10), play(at="2024-01-06T00:00:00Z", season=2, number=8),
                   play(at="2024-01-07T00:00:00Z", season=3, number=1))
    assert [entry.event.progress for entry in parsed.entries] == [10, 18, 19]


def test_plays_count_in_the_order_they_were_watched_and_progress_does_not_go_back():
    parsed = json_file("trakt", play(at="2024-01-07T00:00:00Z", number=3), play(at="2024-01-05T00:00:00Z", number=1),
                   play(at="2024-01-08T00:00:00Z", number=2))  # a file lists the newest first
    assert [(entry.row, entry.event.progress) for entry in parsed.entries] == [(2, 1), (1, 3), (3, 3)]


def test_the_same_play_twice_in_the_file_counts_once():
    parsed = json_file("trakt", play(), play(number=2, at="2024-01-06T00:00:00Z"), play())
    assert [entry.event for entry in parsed.entries] == [ProgressLogged(progress=1), ProgressLogged(progress=2)]
    assert parsed.skipped[0].row == 3 and parsed.skipped[0].reason.startswith("The same play as row 1")


def test_a_newer_trakt_history_with_one_more_play_gives_only_that_play_a_new_fingerprint():
    plays = [play(number=1), play(at="2024-01-06T20:00:00Z", number=2), play(at="2024-01-07T20:00:00Z", season=2)]
    old = {entry.fingerprint for entry in json_file("trakt", *plays[:2]).entries}
    newer = json_file("trakt", plays[2], *plays[:2])  # Trakt lists the newest first
    assert [entry.event for entry in newer.entries if entry.fingerprint not in old] == [ProgressLogged(progress=3)]


# -- spotify ----------------------------------------------------------------------------------------

def listen(at="2024-03-01 07:42", artist="Lumi Halvorsen", track="Salt Road", played=200_000):
    return {"endTime": at, "artistName": artist, "trackName": track, "msPlayed": played}


def test_the_spotify_sample_gives_each_song_its_plays_from_30_seconds_on():
    parsed = parse("spotify", sample("spotify.json"), now=NOW)
    assert (parsed.format, parsed.rows) == ("spotify", 6)
    songs = by_title(parsed)
    ferry = songs["Morning Ferry"]
    assert ferry[0].title == TitleRef("song", "Morning Ferry", "The Paper Kites of Ostend", None, None)
    assert [(entry.row, entry.event, entry.occurred_at) for entry in ferry] == [
        (1, ProgressLogged(progress=1, delta=1), day(2024, 3, 1, 7, 42)),
        (4, ProgressLogged(progress=2, delta=1), day(2024, 3, 2, 18, 3))]  # exactly 30 s counts
    assert (tracker(ferry).status, tracker(ferry).progress) == ("in_progress", 2)
    assert [entry.row for entry in songs["Salt Road"]] == [3]
    assert [(skipped.row, skipped.reason) for skipped in parsed.skipped] == [
        (2, "Played for 10 seconds: a play counts from 30 seconds."),
        (5, "Played for 29 seconds: a play counts from 30 seconds."),
        (6, "No track name in this item (trackName)."),
    ]


def test_a_song_played_twice_in_one_minute_is_two_plays_with_two_fingerprints():
    parsed = json_file("spotify", listen(played=40_000), listen(played=45_000))
    assert tracker(parsed.entries).progress == 2
    assert len({entry.fingerprint for entry in parsed.entries}) == 2


def test_a_newer_spotify_history_that_no_longer_holds_the_oldest_play_keeps_the_others_fingerprints():
    older = json_file("spotify", listen(at="2024-03-01 07:42"), listen(at="2024-03-02 07:42"))
    newer = json_file("spotify", listen(at="2024-03-02 07:42"), listen(at="2024-03-03 07:42"))
    assert older.entries[1].fingerprint == newer.entries[0].fingerprint
    assert newer.entries[1].fingerprint not in {entry.fingerprint for entry in older.entries}


@pytest.mark.parametrize("format, item, reason", [
    ("trakt", {**play(), "watched_at": "last tuesday"},
     "The watched_at 'last tuesday' is not a time like 2024-01-05T20:15:00.000Z."),
    ("trakt", {**play(), "show": {"year": 2019}}, "No show title in this item (show.title)."),
    ("trakt", {**play(), "episode": {"season": "one", "number": 1}},
     'The season number in this item (episode.season) is "one", not a whole number.'),
    ("trakt", play(season=1, number=0), "Season 1, episode 0 is not an episode of a show."),
    ("trakt", "Harbor Lights 1x01", "This item is not an object."),
    ("spotify", listen(at="2024-03-01T07:42:00Z"),
     "The endTime '2024-03-01T07:42:00Z' is not a time like 2024-01-05 20:15."),
    ("spotify", listen(artist=""), "No artist name in this item (artistName)."),
    ("spotify", listen(played="long"), 'The time played in this item (msPlayed) is "long", not a whole number.'),
])
def test_a_json_row_that_cannot_be_read_is_skipped_with_its_reason_and_the_rest_imported(format, item, reason):
    kept = play(show="Kept") if format == "trakt" else listen(track="Kept")
    parsed = json_file(format, kept, item)
    assert [(skipped.row, skipped.reason) for skipped in parsed.skipped] == [(2, reason)]
    assert {entry.title.name for entry in parsed.entries} == {"Kept"}


# -- files a JSON format cannot read ----------------------------------------------------------------

@pytest.mark.parametrize("format, body, said", [
    ("trakt", b"", "The file is empty; send a Trakt history (JSON)."),
    ("spotify", HEADER.encode(), "The file is not JSON; spotify is a Spotify streaming history (JSON)."),
    ("trakt", b'[{"watched_at": "2024-01-05T20:15:00Z",', "The file is not valid JSON (line 1, column 40"),
    ("trakt", b'{"history": []}', "The file's JSON is an object, not a list; trakt is a Trakt history (JSON)"),
    ("spotify", b"[]", "The file's list is empty: there is nothing to import."),
    ("spotify", json.dumps([play()]).encode(), "This file is a Trakt history (JSON), not a Spotify streaming "
                                               "history (JSON); import it as format trakt."),
    ("trakt", json.dumps([listen()]).encode(), "This file is a Spotify streaming history (JSON), not a Trakt"),
    ("trakt", b'[{"title": "Dune"}]', "This file is not a Trakt history (JSON): no item of its list has watched_at."),
    ("spotify", "[{\"endTime\": \"é\"}]".encode("latin-1"), "The file is not UTF-8 text (at byte 15); send a Spotify"),
    ("trakt", json.dumps([play(), play(at="2026-12-25T00:00:00Z")]).encode(),
     "Row 2 says it happened on 25 Dec 2026 at 00:00 UTC, which is still to come"),
    ("spotify", json.dumps([listen(at="2026-12-04 12:06")]).encode(), "Row 1 says it happened on 04 Dec 2026"),
])
def test_a_json_file_that_is_not_the_named_format_is_rejected_with_a_sentence(format, body, said):
    with pytest.raises(ImportRejected) as rejected:
        parse(format, body, now=NOW)
    assert rejected.value.detail.startswith(said)


def test_a_time_within_five_minutes_of_now_is_not_to_come():
    assert json_file("spotify", listen(at="2026-12-04 12:05")).entries  # a clock a little ahead of the server's


# -- progress-service: this service's own export ------------------------------------------------------

def own_export(*changes) -> bytes:
    """The sample export with ``changes(items)`` made to its items."""
    items = json.loads(sample("progress-service.json"))
    for change in changes:
        change(items)
    return json.dumps(items).encode()


def replayed(entries, total=None):
    """The tracker the entries make appended as one stream in the order given, at their own versions."""
    return fold([Recorded(entry.source_version, with_total(entry.event, total), entry.occurred_at, id=entry.source_id)
                 for entry in entries])


def test_the_own_export_sample_replays_every_tracker_with_its_corrections_retractions_rollback_and_passes():
    parsed = parse("progress-service", sample("progress-service.json"), now=NOW)
    assert (parsed.format, parsed.rows, parsed.skipped) == ("progress-service", 12, ())
    titles = by_title(parsed)
    show, run = titles["Harbor Lights"], titles["Morning run"]
    assert show[0].title == TitleRef("tv_show", "Harbor Lights", "Nadia Brel", 2019, 8)
    assert run[0].title == TitleRef("custom", "Morning run", None, None, None, unit="km", own=True)
    assert [(entry.source_id, entry.source_version, entry.row) for entry in show] == [
        (101, 1, 1), (102, 2, 2), (103, 3, 3), (106, 4, 6), (107, 5, 7), (108, 6, 8), (109, 7, 9), (110, 8, 10),
        (111, 9, 11)]
    assert [entry.title.name for entry in parsed.entries] == ["Harbor Lights"] * 9 + ["Morning run"] * 3
    # by hand: episode 3 corrected to 5, +1 = 6, its rating retracted; episode 8 completes it; a
    # rewatch, +2, then rolled back to the rewatch's start
    state = replayed(show, total=8)
    assert (state.status, state.progress, state.rating, state.times_completed, state.pass_number) == (
        "in_progress", 0, None, 1, 2)
    assert state.completed_at == day(2024, 1, 8, 20)
    state = replayed(run)
    assert (state.status, state.progress, state.notes) == ("in_progress", 10.5, ("new shoes",))


def test_a_newer_own_export_gives_new_fingerprints_only_to_its_new_entries():
    def one_more(items):
        items.append({**items[-1], "event": {**items[-1]["event"], "id": 113, "version": 4,
                                             "data": {"text": "rain"}, "occurred_at": "2024-02-05T07:30:00+00:00"}})
    before = parse("progress-service", own_export(), now=NOW)
    after = parse("progress-service", own_export(one_more), now=NOW)
    old = {entry.fingerprint for entry in before.entries}
    assert [(entry.source_id, entry.event) for entry in after.entries if entry.fingerprint not in old] == [
        (113, NoteAdded(text="rain"))]
    assert old < {entry.fingerprint for entry in after.entries}


def item_set(index, path, value):
    """A change to the export: the value at ``path`` of its item ``index`` set (left out for None)."""
    def change(items):
        holder = items[index]
        *parents, last = path.split(".")
        for key in parents:
            holder = holder[key]
        holder.pop(last) if value is None else holder.update({last: value})
    return change


@pytest.mark.parametrize("change, reason", [
    (item_set(1, "event.type", "tracker_polished"), "The entry type 'tracker_polished' is not one progress-service "
                                                    "records."),
    (item_set(1, "event.data", {"stars": 5}), "The data of this progress_logged entry is not what such an entry "
                                              "holds."),
    (item_set(1, "title", {"name": "Harbor Lights", "kind": "film"}), "The title kind 'film' is none of tv_show, "
                                                                      "book, album, song, custom."),
    (item_set(1, "title.name", None), "No title name in this item (title.name)."),
    (item_set(3, "title.unit", None), "This entry's custom title names no unit (title.unit)."),
    (item_set(1, "event.occurred_at", "yesterday"), "The occurred_at 'yesterday' is not a time like "
                                                    "2024-01-05T20:15:00+00:00."),
    (item_set(1, "event.version", "2"), 'The entry version in this item (event.version) is "2", not a whole number.'),
])
def test_an_own_export_entry_that_cannot_be_read_is_skipped_with_its_reason(change, reason):
    parsed = parse("progress-service", own_export(change), now=NOW)
    assert [(skipped.row, skipped.reason) for skipped in parsed.skipped] in ([(2, reason)], [(4, reason)])
    assert len(parsed.entries) == 11


def test_an_export_without_the_titles_details_still_reads_its_names_and_kinds():
    def older(items):
        for item in items:
            item["title"] = {key: item["title"][key] for key in ("id", "name", "kind", "unit")}
    [first] = parse("progress-service", own_export(older), now=NOW).entries[:1]
    assert first.title == TitleRef("tv_show", "Harbor Lights", None, None, None)


@pytest.mark.parametrize("body, said", [
    (b"id,occurred_at,recorded_at,title_id,title\n1,2024-01-01T00:00:00+00:00,x,1,Dune\n",
     "The file is not JSON; progress-service is a progress-service export (JSON)."),
    (b'{"items": []}', "The file's JSON is an object, not a list"),
    (json.dumps([play()]).encode(), "This file is a Trakt history (JSON), not a progress-service export (JSON)"),
    (own_export(item_set(11, "event.occurred_at", "2027-01-01T00:00:00+00:00")), "Row 12 says it happened on "
                                                                                  "01 Jan 2027"),
])
def test_a_file_that_is_not_an_own_export_is_rejected_with_a_sentence(body, said):
    with pytest.raises(ImportRejected) as rejected:
        parse("progress-service", body, now=NOW)
    assert rejected.value.detail.startswith(said)

