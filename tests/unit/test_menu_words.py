"""How the terminal menu says what an undo does to each tracker, and names a moment: pure, no I/O
(the menu itself is driven in a pty in tests/e2e/test_menu.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from progress_service.domain.vocabulary import UNITS
from progress_service.menu.words import change_words, moment, progress_text, title_line


def tracker(unit: str = "episode", total: int | None = 62, **fields) -> dict:
    kind = next((kind for kind, its_unit in UNITS.items() if its_unit == unit), "custom")  # km: a custom title's
    return {"title": {"unit": unit, "kind": kind}, "total": total, "status": "in_progress", "progress": 0,
            "rating": None, "notes": [], "times_completed": 0, **fields}


def change(name: str, before: dict | None, after: dict | None) -> dict:
    return {"title": {"name": name}, "before": before, "after": after}


def test_only_what_changes_is_said_before_then_after():
    assert change_words(change("Breaking Bad", tracker(progress=5, rating=4.0), tracker(progress=2))) == \
        "Breaking Bad: episode 5 → episode 2; rating 4 → none"
    assert change_words(change("Fleabag", tracker(total=12, progress=12, status="completed", times_completed=1,
                                                  rating=4.5, notes=["funny"]),
                               tracker(total=12, progress=11))) == \
        "Fleabag: completed → in progress; episode 12 → episode 11; rating 4.5 → none; 1 note → 0 notes; " \
        "finished 1 time → 0 times"
    assert change_words(change("Dune", tracker("page", 412, progress=3), tracker("page", 412))) == \
        "Dune: page 3 → no pages"


def test_a_tracker_that_comes_or_goes_is_said_whole():
    assert change_words(change("Dune", None, tracker("page", 412, progress=10))) == "Dune: no tracker → page 10 of 412"
    assert change_words(change("Bad Guy", tracker("play", None, progress=3), None)) == "Bad Guy: 3 plays → removed"
    assert change_words(change("Bad Guy", None, tracker("play", None, progress=1))) == "Bad Guy: no tracker → 1 play"
    assert change_words(change("Dune", tracker("page", 412, status="planned"), None)) == "Dune: planned → removed"
    assert change_words(change("Seinfeld", None, tracker(total=180, progress=180, status="completed", rating=5.0))) == \
        "Seinfeld: no tracker → episode 180 of 180, completed, rated 5"


def test_a_custom_titles_decimal_amounts_are_said_in_its_owners_word_as_written():
    assert change_words(change("Running", tracker("km", None, progress=5.25), tracker("km", None, progress=7.75))) == \
        "Running: 5.25 km → 7.75 km"
    assert change_words(change("Running", None, tracker("km", 42, progress=12.5))) == \
        "Running: no tracker → 12.5 of 42 km"
    assert change_words(change("Water", tracker("glass", 8, progress=2), tracker("glass", 8))) == \
        "Water: 2 glass → 0 glass"
    assert progress_text(tracker("km", None, progress=12.5)) == "12.5 km"
    assert progress_text(tracker("km", 20, progress=7.75)) == "[###.......] 7.75 / 20 km"
    assert progress_text(tracker("km", None, progress=1)) == "1 km"
    running = {"name": "Running", "kind": "custom", "unit": "km", "year": None, "genres": []}
    assert title_line({**running, "total_units": None}) == "Running (custom title, counted in km)"
    assert title_line({**running, "total_units": 100}) == "Running (custom title, 100 km)"


def test_a_change_a_person_would_not_see_at_a_glance_is_still_named():
    assert change_words(change("Dune", tracker(notes=["a"]), tracker(notes=["b"]))) == "Dune: its notes change"
    assert change_words(change("Dune", tracker(), tracker())) == "Dune: when it was started or finished changes"


def test_a_moment_is_a_day_a_month_and_a_time_with_the_year_only_when_it_is_another():
    this_year = datetime.now().astimezone().year
    evening = datetime(this_year, 11, 14, 20, 0, 5).astimezone()  # local time, as the menu shows it
    assert moment(evening) == "14 Nov, 20:00"
    assert moment(evening, seconds=True) == "14 Nov, 20:00:05"
    assert moment(evening.replace(second=0), seconds=True) == "14 Nov, 20:00"
    assert moment(datetime(2020, 2, 3, 4, 5).astimezone().isoformat()) == "3 Feb 2020, 04:05"  # as the API sends it
    assert moment(datetime(2020, 2, 3, 4, 5, tzinfo=timezone.utc).isoformat()) == \
        moment(datetime(2020, 2, 3, 4, 5, tzinfo=timezone.utc).astimezone())  # in the reader's own time
