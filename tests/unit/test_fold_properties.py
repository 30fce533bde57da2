"""Properties of the fold over random histories with corrections, retractions and rollbacks."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from progress_service.domain.events import STATUSES
from progress_service.domain.rules import (
    AddNote, AddProgress, CorrectEntry, LogChanges, Rate, RemoveTracker, RetractEntry, RollBack, SetProgress,
    SetStatus,
)
from progress_service.domain.tracker import advance, apply, fold, replay, timeline
from progress_service.errors import ProgressServiceError
from tests.unit.test_rules import Stream

changes = st.one_of(
    st.builds(SetStatus, st.sampled_from(STATUSES)),
    st.builds(SetProgress, st.integers(0, 12)),
    st.builds(AddProgress, st.integers(-3, 4)),
    st.builds(Rate, st.one_of(st.none(), st.integers(1, 10).map(lambda halves: halves / 2))),
    st.builds(AddNote, st.sampled_from(["good", "slow start", "rewatch"])),
)

# A command is built against the history it lands on, so targets are drawn as fractions of it.
commands = st.one_of(
    st.tuples(st.just("log"), st.lists(changes, min_size=1, max_size=3)),
    st.tuples(st.just("log"), st.lists(changes, min_size=1, max_size=1)),
    st.tuples(st.just("remove"), st.none()),
    st.tuples(st.just("correct"), st.tuples(st.floats(0, 1), changes)),
    st.tuples(st.just("retract"), st.floats(0, 1)),
    st.tuples(st.just("roll_back"), st.floats(0, 1)),
)


def make(kind, arg):
    def command_for(history, now):
        pick = lambda fraction: 1 + int(fraction * max(len(history) - 1, 0))  # noqa: E731
        if kind == "log":
            return LogChanges(tuple(arg), now)
        if kind == "remove":
            return RemoveTracker(now)
        if kind == "correct":
            return CorrectEntry(history, pick(arg[0]), arg[1], now)
        if kind == "retract":
            return RetractEntry(history, pick(arg), now)
        return RollBack(pick(arg), now)
    return command_for


def play(total, script) -> tuple[Stream, list]:
    """Run a script of commands; refused ones append nothing. Returns the stream and the states
    the service would have kept incrementally after each entry."""
    stream = Stream(total=total)
    kept = []
    state = fold([])
    for kind, arg in script:
        before = list(stream.history)
        try:
            entries = stream.run(make(kind, arg))
        except ProgressServiceError:
            assert stream.history == before
            continue
        states = advance(state, entries, lambda: before)
        kept.extend(states)
        state = states[-1]
    return stream, kept


totals = st.one_of(st.none(), st.integers(1, 12))
scripts = st.lists(commands, max_size=25)


@settings(max_examples=400, deadline=None)
@given(totals, scripts)
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


