"""Starting a title again (a new pass), by hand-worked stories: what the tracker and its passes
show, backdated and re-folded, and which restarts and corrections are refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from progress_service.domain.events import PassStarted, event_from
from progress_service.domain.rules import AddProgress, LogChanges, Rate, Restart, SetProgress, SetStatus, decide
from progress_service.domain.tracker import Pass, fold, passes
from progress_service.errors import InvalidChange, TrackerNotFound
from tests.histories import Stream


def day(month: int, day_: int) -> datetime:
    return datetime(2026, month, day_, 20, 0, tzinfo=timezone.utc)


def watched_twice() -> Stream:
    """A ten-episode show: started 1 Jan, finished 10 Jan, rated 4; started again 1 Feb, finished 20 Feb."""
    stream = Stream(total=10)
    stream.clock = day(3, 1)  # everything below is logged on the day it happened, in order
    stream.log(SetProgress(3), occurred_at=day(1, 1))
    stream.log(SetProgress(10), occurred_at=day(1, 10))
    stream.log(Rate(4), occurred_at=day(1, 10))
    stream.log(Restart(), occurred_at=day(2, 1))
    stream.log(AddProgress(6), occurred_at=day(2, 5))
    stream.log(SetProgress(10), occurred_at=day(2, 20))
    return stream


def test_a_show_watched_twice_is_on_its_second_pass_and_completed_twice():
    stream = watched_twice()
    state = fold(stream.history)
    assert (state.status, state.progress, state.pass_number, state.times_completed) == ("completed", 10, 2, 2)
    assert (state.started_at, state.completed_at, state.rating) == (day(1, 1), day(2, 20), 4)
    assert stream.history[3].event == PassStarted(number=2, total=10)
    assert passes(stream.history) == [
        Pass(1, started_at=day(1, 1), completed_at=day(1, 10), progress=10, rating=4, entries=3, completions=1),
        Pass(2, started_at=day(2, 1), completed_at=day(2, 20), progress=10, rating=None, entries=3, completions=1)]


def test_starting_again_goes_back_to_episode_0_in_progress_with_the_rating_kept():
    stream = watched_twice()
    state = fold(stream.history[:4])  # right after the restart
    assert (state.status, state.progress, state.pass_number, state.times_completed) == ("in_progress", 0, 2, 1)
    assert (state.rating, state.completed_at, state.started_at) == (4, day(1, 10), day(1, 1))


def test_a_retracted_restart_refolds_as_if_it_had_never_been_made():
    stream = watched_twice()
    stream.retract(4)
    state = fold(stream.history)
    # 3, 10 (completed), rated; +6 stays at 10 of 10, and 10 again: one pass, completed once
    assert (state.status, state.progress, state.pass_number, state.times_completed) == ("completed", 10, 1, 1)
    assert passes(stream.history) == [
        Pass(1, started_at=day(1, 1), completed_at=day(1, 10), progress=10, rating=4, entries=5, completions=1)]


def test_a_restart_logged_late_takes_its_place_among_the_entries_by_when_it_happened():
    stream = Stream(total=10)
    stream.clock = day(3, 10)
    stream.log(SetProgress(3), occurred_at=day(1, 1))
    stream.log(SetProgress(10), occurred_at=day(1, 5))
    stream.log(SetProgress(4), occurred_at=day(3, 1))
    stream.log(Restart(), occurred_at=day(2, 1))  # "I started it again on 1 Feb"
    state = fold(stream.history)
    assert (state.status, state.progress, state.pass_number, state.times_completed) == ("in_progress", 4, 2, 1)
    assert passes(stream.history) == [
        Pass(1, started_at=day(1, 1), completed_at=day(1, 5), progress=10, entries=2, completions=1),
        Pass(2, started_at=day(2, 1), progress=4, entries=2)]


def test_a_restart_logged_late_before_an_earlier_restart_numbers_the_passes_by_when_they_began():
    stream = Stream(total=10)
    stream.clock = day(4, 1)
    stream.log(SetProgress(10), occurred_at=day(1, 1))
    stream.log(Restart(), occurred_at=day(3, 1))
    stream.log(Restart(), occurred_at=day(2, 1))
    assert stream.history[2].event.number == 2  # the second pass when it began, as said when it was logged
    assert [(p.number, p.started_at) for p in passes(stream.history)] == [(1, day(1, 1)), (2, day(2, 1)),
                                                                            (3, day(3, 1))]
    assert fold(stream.history).pass_number == 3


def test_a_removal_starts_a_fresh_tracker_on_its_first_pass():
    stream = watched_twice()
    stream.remove()
    assert passes(stream.history) == [] and not fold(stream.history).active
    stream.log(SetStatus("in_progress"))
    state = fold(stream.history)
    assert (state.pass_number, state.times_completed, state.progress) == (1, 0, 0)
    assert [p.number for p in passes(stream.history)] == [1]


def test_rolling_back_to_before_the_restart_is_the_first_pass_again():
    stream = watched_twice()
    stream.roll_back(3)
    state = fold(stream.history)
    assert (state.status, state.pass_number, state.times_completed, state.completed_at) == ("completed", 1, 1,
                                                                                              day(1, 10))
    stream.roll_back(6)  # and forward again
    assert (fold(stream.history).pass_number, fold(stream.history).times_completed) == (2, 2)


def test_a_correction_of_an_earlier_entry_refolds_both_passes():
    stream = watched_twice()
    stream.correct(2, SetProgress(8))  # the first time through stopped at episode 8
    state = fold(stream.history)
    assert (state.pass_number, state.times_completed, state.progress) == (2, 1, 10)
    first, second = passes(stream.history)
    assert (first.progress, first.completed_at, second.completed_at) == (8, None, day(2, 20))


def test_a_restart_that_is_left_first_by_retractions_starts_the_first_pass():
    stream = Stream(total=10)
    stream.log(SetProgress(10))
    stream.log(Restart())
    stream.retract(1)
    state = fold(stream.history)
    assert (state.pass_number, state.status, state.progress, state.times_completed) == (1, "in_progress", 0, 0)
    assert [(p.number, p.entries) for p in passes(stream.history)] == [(1, 1)]


def test_there_is_nothing_to_start_again_before_a_tracker_is_added_or_after_it_is_removed():
    stream = Stream(total=10)
    with pytest.raises(TrackerNotFound, match="no tracker for this title to start again"):
        stream.log(Restart())
    stream.log(SetProgress(2))
    stream.remove()
    with pytest.raises(TrackerNotFound):
        stream.log(Restart())
    assert len(stream.history) == 2


def test_a_restart_backdated_to_before_the_tracker_existed_is_refused_by_its_time():
    stream = Stream(total=10)
    stream.log(SetProgress(2))
    first = stream.history[0].occurred_at
    with pytest.raises(InvalidChange, match="no tracker for this title at") as refused:
        stream.log(Restart(), occurred_at=first - timedelta(days=1))
    assert refused.value.errors == {"occurred_at": [refused.value.detail]}


def test_a_new_pass_cannot_be_corrected_and_no_entry_can_be_corrected_into_one():
    stream = watched_twice()
    with pytest.raises(InvalidChange, match="A new pass cannot be corrected; retract it."):
        stream.correct(4, SetProgress(2))
    with pytest.raises(InvalidChange, match="cannot be corrected into a new pass") as refused:
        stream.correct(2, Restart())
    assert "restart" in refused.value.errors


def test_a_restart_of_a_planned_tracker_starts_its_second_pass_with_the_first_never_begun():
    stream = Stream(total=10)
    stream.log(SetStatus("planned"))
    [restart] = stream.log(Restart())
    assert restart.event.number == 2
    first, second = passes(stream.history)
    assert (first.started_at, first.progress, first.entries) == (None, 0, 1)
    assert second.started_at == restart.occurred_at


def test_a_restart_in_one_write_with_other_changes_counts_them_on_the_new_pass():
    stream = Stream(total=10)
    stream.log(SetProgress(10))
    events = decide(fold(stream.history), LogChanges((Restart(), AddProgress(1)), stream.clock),
                    total=10, now=stream.clock)
    assert events[0] == PassStarted(number=2, total=10)
    assert events[1].progress == 1  # one more than the new pass's 0, not than the first pass's 10


def test_a_new_pass_survives_its_stored_form():
    event = PassStarted(number=3, total=62)
    assert event.data() == {"number": 3, "total": 62} and event_from(event.type, event.data()) == event
