"""Properties of the fold over random histories with corrections, retractions, rollbacks, new
passes and backdated entries, and of the passes against the fold."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from progress_service.domain.events import Recorded, event_from
from progress_service.domain.rules import AddNote, AddProgress, Rate, SetProgress, SetStatus
from progress_service.domain.tracker import apply, fold, passes, replay, timeline
from progress_service.domain.vocabulary import STATUSES
from tests.histories import T0, Stream, backdated_scripts, decimal_scripts, play, restarted_scripts, scripts, totals


@settings(max_examples=400, deadline=None)
@given(totals, st.one_of(scripts, backdated_scripts, restarted_scripts))
def test_the_incrementally_kept_state_always_equals_a_fold_from_scratch(total, script):
    stream, kept = play(total, script)
    for state in kept:
        assert state == fold(stream.history[: state.version])
    assert kept == timeline(stream.history)  # the state kept after each entry is its timeline state


@settings(max_examples=300, deadline=None)
@given(totals, scripts)
def test_the_timeline_is_the_fold_of_each_prefix(total, script):
    stream, _ = play(total, script)
    assert timeline(stream.history) == [fold(stream.history[: i + 1]) for i in range(len(stream.history))]


@settings(max_examples=300, deadline=None)
@given(totals, scripts)
def test_progress_stays_within_bounds_and_versions_are_contiguous(total, script):
    stream, _ = play(total, script)
    assert [entry.version for entry in stream.history] == list(range(1, len(stream.history) + 1))
    for state in replay(stream.history):
        assert state.progress >= 0
        assert total is None or state.progress <= total
        assert state.times_completed >= 0
        if state.status == "completed" and total is not None and state.active:
            assert state.completed_at is not None and state.started_at is not None


@settings(max_examples=200, deadline=None)
@given(totals, scripts)
def test_rolling_back_to_the_version_before_a_rollback_undoes_it(total, script):
    stream, _ = play(total, script)
    if not stream.history:
        return
    before = stream.state
    stream.roll_back(len(stream.history))  # to the current version: nothing changes
    assert stream.state == same_but_version(before, stream.state)
    stream.roll_back(1)
    stream.roll_back(len(stream.history) - 1)  # undo that rollback
    assert stream.state == same_but_version(before, stream.state)


def same_but_version(state, like):
    return replace(state, version=like.version, updated_at=like.updated_at)


def test_apply_on_change_entries_matches_fold():
    stream = Stream(total=5)
    stream.log(SetProgress(2), Rate(3.5), AddNote("x"))
    state = fold([])
    for entry in stream.history:
        state = apply(state, entry)
    assert state == fold(stream.history)




# -- occurred order: backdated entries take their place by when they happened ----------------------
@settings(max_examples=300, deadline=None)
@given(totals, backdated_scripts)
def test_with_backdated_entries_progress_stays_within_bounds(total, script):
    stream, _ = play(total, script)
    for state in timeline(stream.history):
        assert state.progress >= 0 and (total is None or state.progress <= total)
        assert state.updated_at == max(entry.occurred_at for entry in stream.history[: state.version])


absolute_changes = st.one_of(
    st.builds(SetStatus, st.sampled_from(STATUSES)),
    st.builds(SetProgress, st.integers(0, 12)),
    st.builds(Rate, st.one_of(st.none(), st.integers(1, 10).map(lambda halves: halves / 2))),
    st.builds(AddNote, st.sampled_from(["good", "slow start", "rewatch"])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), absolute_changes), min_size=1, max_size=10,
                unique_by=lambda entry: entry[0]), st.randoms(use_true_random=False))
def test_a_tracker_is_the_same_whatever_order_its_entries_were_logged_in(entries, rng):
    """The same things, happened at the same times, logged in two orders: the same tracker."""
    def logged(order):
        stream = Stream(total=12)
        stream.clock = T0 + timedelta(hours=600)
        for hours_ago, change in order:
            stream.log(change, occurred_at=T0 + timedelta(hours=600 - hours_ago))
        return fold(stream.history)
    shuffled = list(entries)
    rng.shuffle(shuffled)
    in_order = sorted(entries, key=lambda entry: -entry[0])
    one, other = logged(in_order), logged(shuffled)
    assert replace(one, version=0, updated_at=None) == replace(other, version=0, updated_at=None)


# -- passes: each time through, cut from the same fold -----------------------------------------------
@settings(max_examples=400, deadline=None)
@given(totals, st.one_of(scripts, backdated_scripts, restarted_scripts))
def test_the_passes_add_up_to_the_tracker_the_fold_gives(total, script):
    stream, _ = play(total, script)
    state, found = fold(stream.history), passes(stream.history)
    if not state.active:  # never added, or removed: no passes
        assert found == []
        return
    assert [p.number for p in found] == list(range(1, state.pass_number + 1))
    assert found[-1].progress == state.progress
    assert sum(p.completions for p in found) == state.times_completed
    assert all((p.completed_at is None) == (p.completions == 0) for p in found)
    assert state.completed_at == max((p.completed_at for p in found if p.completed_at), default=None)
    assert state.started_at == next((p.started_at for p in found if p.started_at), None)
    assert found[-1].rating in (None, state.rating)  # what was set during the last pass is what it shows
    assert all(p.entries >= 1 for p in found[1:])  # a pass after the first begins with its own entry
    for earlier, later in zip(found, found[1:]):  # passes follow one another in occurred time
        assert later.started_at is not None
        assert earlier.started_at is None or earlier.started_at <= later.started_at
        assert earlier.completed_at is None or earlier.completed_at <= later.started_at


@settings(max_examples=300, deadline=None)
@given(totals, decimal_scripts)
def test_a_custom_titles_decimal_history_folds_exactly_and_comes_back_the_same_from_the_log(total, script):
    stream, kept = play(total, script, decimals=True)
    assert kept == timeline(stream.history)
    for state in replay(stream.history):  # exact hundredths: 0.1 + 0.2 is 0.3, never 0.30000000000000004
        assert state.progress >= 0 and (total is None or state.progress <= total)
        assert Decimal(state.progress) == Decimal(state.progress).quantize(Decimal("0.01"))
    # as the log keeps them: each entry's data as JSON, read back
    stored = [Recorded(entry.version, event_from(entry.event.type, json.loads(json.dumps(entry.event.data()))),
                       entry.occurred_at, id=entry.id, recorded_at=entry.recorded_at) for entry in stream.history]
    assert stored == stream.history and timeline(stored) == kept


def test_decimal_amounts_add_up_exactly_on_a_custom_title():
    stream = Stream(total=None, decimals=True)
    for delta in ("0.1", "0.2", "5.25"):
        stream.log(AddProgress(Decimal(delta)))
    assert fold(stream.history).progress == Decimal("5.55")
    assert fold(stream.history).status == "in_progress"
