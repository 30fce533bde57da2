"""The rules of trackers (shared/API.md), on the pure domain: no database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from progress_service import errors
from progress_service.domain.events import (
    EntryCorrected, NoteAdded, ProgressLogged, RatingCleared, RatingSet, StatusChanged,
    TrackerAdded, TrackerRemoved, TrackerRolledBack, event_from,
)
from progress_service.domain.rules import AddNote, AddProgress, Rate, SetProgress, SetStatus
from progress_service.domain.tracker import NEW, state_at_version, timeline, version_as_of
from tests.histories import T0, Stream


def test_the_first_entry_creates_the_tracker_and_a_status_entry_says_tracker_added():
    stream = Stream()
    [entry] = stream.log(SetStatus("planned"))
    assert entry.event == TrackerAdded(status="planned", total=10)
    assert stream.state.active and stream.state.status == "planned" and stream.state.version == 1
    [entry] = stream.log(SetStatus("paused"))
    assert entry.event == StatusChanged(status="paused", total=10)


def test_progress_moves_planned_to_in_progress_and_records_the_start():
    stream = Stream()
    stream.log(SetStatus("planned"))
    stream.log(SetProgress(3))
    state = stream.state
    assert (state.status, state.progress, state.percent) == ("in_progress", 3, 30.0)
    assert state.started_at == stream.clock


def test_reaching_the_total_completes_and_counts_each_completion():
    stream = Stream(total=4)
    stream.log(AddProgress(4))
    assert (stream.state.status, stream.state.times_completed) == ("completed", 1)
    first_completion = stream.state.completed_at
    stream.log(SetProgress(1))  # a rewatch starts
    assert (stream.state.status, stream.state.times_completed) == ("in_progress", 1)
    stream.log(AddProgress(3))
    assert (stream.state.status, stream.state.times_completed) == ("completed", 2)
    assert stream.state.completed_at > first_completion


def test_status_completed_fills_progress_to_the_total():
    stream = Stream(total=62)
    stream.log(SetProgress(12), SetStatus("completed"))
    assert (stream.state.progress, stream.state.percent, stream.state.times_completed) == (62, 100.0, 1)


def test_a_title_without_total_is_never_completed_by_progress():
    stream = Stream(total=None)
    stream.log(AddProgress(500))
    assert (stream.state.status, stream.state.progress, stream.state.percent) == ("in_progress", 500, None)


@pytest.mark.parametrize("change", [SetProgress(-1), SetProgress(11), AddProgress(-4), AddProgress(8)])
def test_progress_outside_zero_to_total_is_refused(change):
    stream = Stream(total=10)
    stream.log(SetProgress(3))
    with pytest.raises(errors.InvalidProgress) as refused:
        stream.log(change)
    assert refused.value.status == 422 and "Progress" in refused.value.detail


@pytest.mark.parametrize("rating", [0.5, 1, 2.5, 4.5, 5])
def test_ratings_from_half_a_star_to_five_in_halves(rating):
    stream = Stream()
    [entry] = stream.log(Rate(rating))
    assert entry.event == RatingSet(rating=float(rating)) and stream.state.rating == rating


@pytest.mark.parametrize("rating", [0, 7, 5.5, 4.3, -1, True, "4"])
def test_other_ratings_are_refused(rating):
    with pytest.raises(errors.InvalidRating) as refused:
        Stream().log(Rate(rating))
    assert refused.value.status == 422 and refused.value.errors == {"rating": [refused.value.detail]}


def test_rating_none_clears_the_rating():
    stream = Stream()
    stream.log(Rate(4))
    [entry] = stream.log(Rate(None))
    assert entry.event == RatingCleared() and stream.state.rating is None


def test_unknown_status_is_refused():
    with pytest.raises(errors.InvalidStatus) as refused:
        Stream().log(SetStatus("watching"))
    assert refused.value.status == 422 and "in_progress" in refused.value.detail


def test_notes_are_kept_in_order_and_an_empty_note_is_refused():
    stream = Stream()
    stream.log(AddNote("  pilot was slow "))
    stream.log(AddNote("season 2 is great"))
    assert stream.state.notes == ("pilot was slow", "season 2 is great")
    with pytest.raises(errors.InvalidChange):
        stream.log(AddNote("   "))


def test_backdating_is_allowed_but_not_more_than_five_minutes_ahead():
    stream = Stream()
    stream.log(SetProgress(1), occurred_at=T0 - timedelta(days=300))
    assert stream.state.started_at == T0 - timedelta(days=300)
    stream.log(SetProgress(2), occurred_at=stream.clock + timedelta(hours=1, minutes=4))
    with pytest.raises(errors.InvalidChange) as refused:
        stream.log(SetProgress(3), occurred_at=stream.clock + timedelta(hours=1, minutes=6))
    assert refused.value.errors == {"occurred_at": ["occurred_at may not be more than 5 minutes in the future."]}


def test_several_changes_in_one_command_are_checked_in_order():
    stream = Stream(total=10)
    entries = stream.log(SetProgress(9), AddProgress(1), Rate(5))
    assert [e.version for e in entries] == [1, 2, 3]
    assert (stream.state.status, stream.state.rating) == ("completed", 5)
    with pytest.raises(errors.InvalidProgress):
        stream.log(SetProgress(2), AddProgress(9))


def test_a_delta_entry_records_the_progress_it_reached():
    stream = Stream(total=62)
    stream.log(SetProgress(12))
    [entry] = stream.log(AddProgress(1))
    assert entry.event == ProgressLogged(progress=13, delta=1, total=62)


def test_a_correction_refolds_everything_after_the_entry():
    stream = Stream(total=20)
    for _ in range(3):
        stream.log(AddProgress(1))
    [entry] = stream.correct(1, SetProgress(5))
    assert isinstance(entry.event, EntryCorrected) and entry.event.entry_version == 1
    assert stream.state.progress == 7  # 5, then the two +1 entries after it


def test_correcting_a_correction_corrects_the_original_entry_again():
    stream = Stream(total=20)
    stream.log(SetProgress(4))
    stream.correct(1, SetProgress(6))
    [entry] = stream.correct(2, SetProgress(8))
    assert entry.event.entry_version == 1 and stream.state.progress == 8


def test_a_correction_that_overshoots_later_entries_is_clamped_to_the_total():
    stream = Stream(total=10)
    stream.log(SetProgress(5))
    stream.log(AddProgress(4))
    stream.correct(1, SetProgress(9))
    assert (stream.state.progress, stream.state.status) == (10, "completed")


def test_a_retraction_refolds_as_if_the_entry_never_happened():
    stream = Stream(total=10)
    stream.log(SetProgress(10))
    stream.log(Rate(3))
    stream.retract(1)
    state = stream.state
    assert (state.status, state.progress, state.times_completed, state.rating) == ("planned", 0, 0, 3)


def test_retracting_twice_or_correcting_a_retracted_entry_is_a_conflict():
    stream = Stream()
    stream.log(SetProgress(2))
    stream.retract(1)
    for attempt in (lambda: stream.retract(1), lambda: stream.correct(1, SetProgress(3))):
        with pytest.raises(errors.AlreadyRetracted) as refused:
            attempt()
        assert refused.value.status == 409


def test_retracting_a_correction_undoes_it():
    stream = Stream()
    stream.log(SetProgress(2))
    stream.correct(1, SetProgress(3))
    assert stream.state.progress == 3
    stream.retract(2)
    assert stream.state.progress == 2


def test_retracting_a_rollback_undoes_it():
    stream = Stream()
    stream.log(SetProgress(2))
    stream.log(SetProgress(5), Rate(4))
    stream.roll_back(1)
    assert (stream.state.progress, stream.state.rating) == (2, None)
    stream.retract(4)
    assert (stream.state.progress, stream.state.rating) == (5, 4)


def test_retracting_a_retraction_makes_the_entry_count_again_and_each_can_be_undone_once():
    stream = Stream()
    stream.log(SetProgress(2))
    stream.log(SetProgress(5))
    stream.retract(2)
    assert stream.state.progress == 2
    stream.retract(3)  # undo the retraction: episode 5 counts again
    assert stream.state.progress == 5
    stream.retract(4)  # undo the undo
    assert stream.state.progress == 2
    with pytest.raises(errors.AlreadyRetracted, match="has already been retracted"):
        stream.retract(2)  # episode 5, taken back again by the retraction that counts once more
    with pytest.raises(errors.AlreadyRetracted, match="has already been undone"):
        stream.retract(4)  # the undo, itself undone by the entry at version 5


def test_only_entries_that_changed_the_tracker_can_be_corrected():
    stream = Stream()
    stream.log(SetProgress(2))
    stream.log(SetProgress(4))
    stream.retract(2)
    stream.roll_back(1)
    with pytest.raises(errors.InvalidChange, match="is a retraction"):
        stream.correct(3, SetProgress(3))
    with pytest.raises(errors.InvalidChange, match="is a rollback"):
        stream.correct(4, SetProgress(3))
    with pytest.raises(errors.EntryNotFound):
        stream.retract(9)


def test_an_undo_takes_back_a_range_as_if_none_of_it_had_been_made():
    stream = Stream()
    stream.log(SetProgress(2))      # 1, before the range
    stream.log(SetProgress(5))      # 2
    stream.retract(2)               # 3: back to 2
    stream.log(Rate(4))             # 4
    stream.log(SetProgress(7))      # 5
    entries = stream.undo(2, 3, 4, 5)
    # Newest first: episode 7 and the rating go, the retraction is undone, then episode 5 goes too.
    assert [e.event.entry_version for e in entries] == [5, 4, 3, 2]
    assert (stream.state.progress, stream.state.rating) == (2, None)
    assert stream.undo(2, 3, 4, 5) == []  # once is enough: the same undo again appends nothing


def test_an_undo_leaves_alone_what_is_already_taken_back():
    stream = Stream()
    stream.log(SetProgress(2))
    stream.log(SetProgress(5))
    stream.retract(2)
    assert stream.undo(2) == []
    assert stream.state.progress == 2
    [undone] = stream.undo(3)  # undoing the retraction itself brings episode 5 back
    assert undone.event.entry_version == 3 and stream.state.progress == 5


def test_rollback_restores_a_version_and_rolling_back_a_rollback_undoes_it():
    stream = Stream(total=10)
    stream.log(SetProgress(2))
    stream.log(Rate(4))
    stream.log(SetProgress(10))
    [entry] = stream.roll_back(1)
    assert entry.event == TrackerRolledBack(to_version=1)
    assert (stream.state.progress, stream.state.rating, stream.state.status) == (2, None, "in_progress")
    assert stream.state.version == 4
    stream.roll_back(3)
    assert (stream.state.progress, stream.state.rating, stream.state.times_completed) == (10, 4, 1)


def test_rolling_back_a_tracker_that_never_existed_says_so():
    with pytest.raises(errors.TrackerNotFound):
        Stream().roll_back(1)


@pytest.mark.parametrize("version", [0, 3])
def test_rollback_outside_the_versions_is_refused(version):
    stream = Stream()
    stream.log(SetProgress(2), Rate(4))
    with pytest.raises(errors.InvalidChange, match="versions 1 to 2"):
        stream.roll_back(version)


def test_a_correction_before_a_rollback_target_flows_through_the_rollback():
    stream = Stream(total=20)
    stream.log(SetProgress(2))
    stream.log(AddProgress(1))
    stream.log(SetProgress(9))
    stream.roll_back(2)
    assert stream.state.progress == 3
    stream.correct(1, SetProgress(6))
    assert stream.state.progress == 7


def test_removal_hides_the_tracker_and_a_new_entry_starts_it_afresh():
    stream = Stream(total=10)
    stream.log(SetProgress(10), Rate(5))
    [entry] = stream.remove()
    assert entry.event == TrackerRemoved() and not stream.state.active
    with pytest.raises(errors.TrackerNotFound):
        stream.remove()
    stream.log(AddProgress(1))
    state = stream.state
    assert (state.active, state.progress, state.rating, state.times_completed) == (True, 1, None, 0)


def test_time_travel_shows_a_version_as_it_was_recorded_then():
    stream = Stream(total=20)
    stream.log(SetProgress(2))
    stream.log(AddProgress(3))
    stream.correct(1, SetProgress(10))
    assert state_at_version(stream.history, 2).progress == 5  # before the correction was known
    assert stream.state.progress == 13
    assert [s.progress for s in timeline(stream.history)] == [2, 5, 13]
    recorded_at_2 = stream.history[1].recorded_at
    assert version_as_of(stream.history, recorded_at_2) == 2
    assert version_as_of(stream.history, recorded_at_2 - timedelta(minutes=1)) == 1
    assert version_as_of(stream.history, T0) == 0


def test_events_survive_their_stored_form():
    for event in (TrackerAdded("planned", 5), ProgressLogged(delta=2, total=None), RatingSet(4.5), NoteAdded("x"),
                  EntryCorrected(entry_id=7, entry_version=2, change=ProgressLogged(progress=3, total=9))):
        assert event_from(event.type, event.data()) == event


def test_every_error_carries_the_status_it_maps_to():
    expected = {errors.TitleNotFound: 404, errors.TrackerNotFound: 404, errors.InvalidProgress: 422,
                errors.InvalidRating: 422, errors.InvalidStatus: 422, errors.AlreadyRetracted: 409,
                errors.PermissionDenied: 403, errors.AuthenticationFailed: 401, errors.ServiceUnavailable: 503}
    assert {cls: cls.status for cls in expected} == expected
    assert errors.VersionConflict("moved on", expected=1, actual=2).status == 412
    assert all(issubclass(cls, errors.ProgressServiceError) for cls in expected)


def test_the_initial_state_is_an_inactive_planned_tracker():
    assert (NEW.active, NEW.status, NEW.progress, NEW.version) == (False, "planned", 0, 0)



def test_times_are_spelled_in_utc_without_trailing_zeros():
    from datetime import datetime, timedelta, timezone

    from progress_service.schemas import api_time

    paris = timezone(timedelta(hours=1))
    assert api_time(datetime(2026, 11, 1, 20, 0, 0, 120000, tzinfo=paris)) == "2026-11-01T19:00:00.12+00:00"
    assert api_time(datetime(2026, 11, 1, 20, 0, 0, 123456, tzinfo=timezone.utc)) == "2026-11-01T20:00:00.123456+00:00"
    assert api_time(datetime(2026, 11, 1, 20, 0, 0, tzinfo=timezone.utc)) == "2026-11-01T20:00:00+00:00"


def test_an_entry_logged_late_takes_its_place_by_when_it_happened():
    """shared/API.md, "Time": "episode 5, last Friday" after "episode 10, today" leaves it at 10."""
    stream = Stream(total=62)
    stream.clock = T0 + timedelta(days=10)
    stream.log(SetProgress(10))
    today = stream.state.updated_at
    stream.log(SetProgress(5), occurred_at=today - timedelta(days=4))
    state = stream.state
    assert (state.progress, state.version, state.updated_at) == (10, 2, today)
    assert state.started_at == today - timedelta(days=4)  # it was started last Friday


def test_a_late_plus_one_counts_from_where_the_tracker_was_then():
    stream = Stream(total=62)
    stream.clock = T0 + timedelta(days=10)
    stream.log(SetProgress(3), occurred_at=T0 + timedelta(days=1))
    stream.log(SetProgress(9), occurred_at=T0 + timedelta(days=5))
    [late] = stream.log(AddProgress(1), occurred_at=T0 + timedelta(days=2))
    assert (late.event.progress, late.event.delta) == (4, 1)  # episode 4, reached on day 2
    assert stream.state.progress == 9  # day 5's episode 9 still comes after it


def test_a_title_still_to_come_out_may_be_planned_but_takes_no_progress_until_its_day():
    from datetime import date

    from progress_service.domain.rules import Restart

    stream = Stream(total=62, release_date=date(2026, 11, 3))  # the clock starts on 1 Nov 2026, 12:00 UTC
    stream.log(SetStatus("planned"))
    for change in (AddProgress(1), SetProgress(4), SetStatus("in_progress"), SetStatus("completed"), Restart()):
        with pytest.raises(errors.InvalidChange, match="This title comes out on 3 Nov 2026"):
            stream.log(change)
    stream.log(SetStatus("paused"), AddNote("the trailer looks good"))
    with pytest.raises(errors.InvalidChange, match="comes out on 3 Nov 2026"):
        stream.correct(1, SetProgress(2))
    stream.clock = datetime(2026, 11, 2, 23, 0, tzinfo=timezone.utc)  # the next log is at 3 Nov, 00:00 UTC
    stream.log(SetProgress(1))
    assert (stream.state.status, stream.state.progress) == ("in_progress", 1)
