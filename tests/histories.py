"""Histories built through the domain's decide, as the service builds them, and hypothesis
strategies for random ones (with corrections, retractions, rollbacks and new passes), for the
tests of every tier that fold, project or rebuild them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

from progress_service.domain.events import Recorded
from progress_service.domain.rules import (
    AddNote, AddProgress, CorrectEntry, LogChanges, Rate, RemoveTracker, Restart, RetractEntry, RollBack,
    SetProgress, SetStatus, decide,
)
from progress_service.domain.tracker import advance, fold
from progress_service.domain.vocabulary import STATUSES
from progress_service.errors import ProgressServiceError

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


class Stream:
    """A tracker's history built through decide, as the service builds it."""

    def __init__(self, total: int | None = 10):
        self.total = total
        self.history: list[Recorded] = []
        self.clock = T0

    @property
    def state(self):
        return fold(self.history)

    def run(self, command_for) -> list[Recorded]:
        self.clock += timedelta(hours=1)
        command = command_for(self.history, self.clock)
        events = decide(self.state, command, history=self.history, total=self.total, now=self.clock)
        entries = [Recorded(len(self.history) + i, e, command.occurred_at, id=100 + len(self.history) + i,
                            recorded_at=self.clock) for i, e in enumerate(events, start=1)]
        self.history.extend(entries)
        return entries

    def log(self, *changes, occurred_at=None):
        return self.run(lambda history, now: LogChanges(changes, occurred_at or now))

    def correct(self, version, change):
        return self.run(lambda history, now: CorrectEntry(version, change, now))

    def retract(self, version):
        return self.run(lambda history, now: RetractEntry(version, now))

    def roll_back(self, version):
        return self.run(lambda history, now: RollBack(version, now))

    def remove(self):
        return self.run(lambda history, now: RemoveTracker(now))


_changes = (
    st.builds(SetStatus, st.sampled_from(STATUSES)),
    st.builds(SetProgress, st.integers(0, 12)),
    st.builds(AddProgress, st.integers(-3, 4)),
    st.builds(Rate, st.one_of(st.none(), st.integers(1, 10).map(lambda halves: halves / 2))),
    st.builds(AddNote, st.sampled_from(["good", "slow start", "rewatch"])),
)
changes = st.one_of(*_changes)

# What an entry may log: any change, or starting again (a new pass), which no correction carries.
logged = st.one_of(*_changes, st.just(Restart()))

# A command is built against the history it lands on, so targets are drawn as fractions of it.
commands = st.one_of(
    st.tuples(st.just("log"), st.lists(logged, min_size=1, max_size=3)),
    st.tuples(st.just("log"), st.lists(logged, min_size=1, max_size=1)),
    st.tuples(st.just("log"), st.just([Restart()])),
    st.tuples(st.just("remove"), st.none()),
    st.tuples(st.just("correct"), st.tuples(st.floats(0, 1), changes)),
    st.tuples(st.just("retract"), st.floats(0, 1)),
    st.tuples(st.just("roll_back"), st.floats(0, 1)),
)
# The same, with entries logged as having happened up to ten days before they were logged: each
# takes its place among the entries by when it occurred.
backdated_commands = st.one_of(commands, st.tuples(st.just("backdate"), st.tuples(
    st.integers(1, 240), st.lists(logged, min_size=1, max_size=2))))


def make(kind, arg):
    def command_for(history, now):
        pick = lambda fraction: 1 + int(fraction * max(len(history) - 1, 0))  # noqa: E731
        if kind == "log":
            return LogChanges(tuple(arg), now)
        if kind == "backdate":
            return LogChanges(tuple(arg[1]), now - timedelta(hours=arg[0]))
        if kind == "remove":
            return RemoveTracker(now)
        if kind == "correct":
            return CorrectEntry(pick(arg[0]), arg[1], now)
        if kind == "retract":
            return RetractEntry(pick(arg), now)
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
backdated_scripts = st.lists(backdated_commands, max_size=25)
# Histories of a tracker that is started and started again often, among everything else.
restart = st.tuples(st.just("log"), st.just([Restart()]))
restarted_scripts = st.lists(st.one_of(backdated_commands, restart, st.tuples(st.just("backdate"), st.tuples(
    st.integers(1, 240), st.just([Restart()])))), min_size=1, max_size=25).map(
    lambda script: [("log", [SetStatus("in_progress")])] + script)
