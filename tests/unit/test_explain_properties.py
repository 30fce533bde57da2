"""Properties of a tracker's reasons (domain.explain) over random histories with corrections,
retractions, rollbacks, removals and backdated entries: each names counted entries whose changes,
as they count now, give the tracker the fold gives."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from progress_service.domain.events import PassStarted, ProgressLogged, RatingSet, StatusChanged, TrackerAdded
from progress_service.domain.explain import reasons
from progress_service.domain.rules import AddProgress, CorrectEntry, Rate, SetProgress, SetStatus
from progress_service.domain.tracker import effective_changes, fold
from tests.histories import Stream, backdated_scripts, play, restarted_scripts, scripts, totals


def replayed_progress(entries, counts_as, total):
    """The progress that ``entries`` give, folded on their own: the first sets it (or adds to
    nothing), each later one adds its number, within 0..total."""
    progress = 0
    for i, entry in enumerate(entries):
        change = counts_as[entry.version]
        if isinstance(change, ProgressLogged) and change.delta is not None:
            progress += change.delta
        elif isinstance(change, ProgressLogged):
            assert i == 0, "only the first entry sets the progress outright"
            progress = change.progress or 0
        else:
            assert i == 0 and change.status == "completed", "a completion sets the progress to the total"
            progress = total
        progress = max(0, progress if total is None else min(progress, total))
    return progress


@settings(max_examples=400, deadline=None)
@given(totals, st.one_of(scripts, backdated_scripts, restarted_scripts))
def test_the_reasons_of_a_tracker_give_its_status_progress_and_rating(total, script):
    stream, _ = play(total, script)
    state, why = fold(stream.history), reasons(stream.history)
    counts_as = effective_changes(stream.history)
    named = [entry for entry in (why.status, *why.progress, why.rating) if entry is not None]
    assert all(stream.history[entry.version - 1] is entry and counts_as[entry.version] is not None for entry in named)
    if not state.active:
        assert named == []
        return
    assert replayed_progress(why.progress, counts_as, total) == state.progress
    assert [entry.occurred_at for entry in why.progress] == sorted(entry.occurred_at for entry in why.progress)
    if state.rating is None:
        assert why.rating is None
    else:
        assert isinstance(counts_as[why.rating.version], RatingSet)
        assert counts_as[why.rating.version].rating == state.rating
    status_change = counts_as[why.status.version]
    if isinstance(status_change, (TrackerAdded, StatusChanged)):
        assert status_change.status == state.status
    elif isinstance(status_change, ProgressLogged):  # planned: a fresh tracker that starts at 0
        assert state.status in ("in_progress", "completed", "planned")
    elif isinstance(status_change, PassStarted):  # started again: in progress from 0
        assert state.status == "in_progress"
    else:  # a rating or a note: only the first entry of a fresh tracker, which starts planned
        assert state.status == "planned"


def test_a_correction_is_named_with_the_entry_it_makes_count_otherwise():
    stream = Stream(total=10)
    stream.log(SetStatus("planned"))
    [five] = stream.log(SetProgress(5))
    [one] = stream.log(AddProgress(1))
    stream.run(lambda history, now: CorrectEntry(one.version, AddProgress(2), now))
    [rated] = stream.log(Rate(4))
    why = reasons(stream.history)
    assert (why.status, why.progress, why.rating) == (five, (five, one), rated)
    assert why.corrections == {one.version: stream.history[3]}


def test_a_status_set_again_keeps_the_entry_that_first_set_it():
    stream = Stream(total=10)
    [started] = stream.log(SetProgress(2))
    stream.log(SetStatus("in_progress"))
    stream.log(AddProgress(1))
    assert reasons(stream.history).status == started
    [paused] = stream.log(SetStatus("paused"))
    assert reasons(stream.history).status == paused
